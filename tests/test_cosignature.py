"""cosignature/v1 (c2sp.org/tlog-cosignature): known vector, round trip, tampering."""

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from fedcommons.errors import BadInput, VerificationError
from fedcommons.sig.cosignature import (
    Cosigner,
    cosigned_message,
    parse_cosignature,
    parse_cosigner_key,
    verify_cosignature,
)
from fedcommons.sig.note import NoteSigner, open_note

# The checkpoint and cosignature line of the example in c2sp.org/tlog-cosignature.
SPEC_NOTE = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
SPEC_LINE = ("\u2014 witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2"
             "oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==\n")
SEED = bytes(range(32))
NAME = "witness.example/w1"
# Made once with the fixed seed above; Ed25519 is deterministic, so it never changes.
VECTOR = ("\u2014 witness.example/w1 519lMgAAAABkGFDLBuRDazBLVac2NE+Y+IjbjQOcXLfF9CSDZVUIoS83rE1nFZsVE8YiWV6N"
          "gr7lV8H6bdoBQGP/l73euDMQ9k+bBQ==\n")
VKEY = "witness.example/w1+e75f6532+BAOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4"


def cosigner() -> Cosigner:
    return Cosigner(NAME, Ed25519PrivateKey.from_private_bytes(SEED))


def test_the_spec_example_line_has_the_timestamp_of_the_spec_message():
    cosig = parse_cosignature(SPEC_LINE)
    assert cosig.name == "witness.example.com/w1"
    assert cosig.timestamp == 1679315147  # "time 1679315147" in the spec's signed message
    assert len(cosig.signature) == 64


def test_signed_message_is_exactly_the_spec_layout():
    assert cosigned_message(SPEC_NOTE, 1679315147) == (
        b"cosignature/v1\ntime 1679315147\nexample.com/behind-the-sofa\n20852163\n"
        b"CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    )


def test_known_vector_and_an_independent_check_of_it():
    assert cosigner().cosign(SPEC_NOTE, 1679315147) == VECTOR
    assert cosigner().verifier_key() == VKEY
    # Recomputed by hand from the spec, without the module: key ID, layout, signature.
    public = Ed25519PrivateKey.from_private_bytes(SEED).public_key()
    raw = public.public_bytes_raw()
    blob = base64.b64decode(VECTOR.split(" ")[2])
    assert blob[:4] == hashlib.sha256(NAME.encode() + b"\n" + b"\x04" + raw).digest()[:4]
    assert int.from_bytes(blob[4:12], "big") == 1679315147
    public.verify(blob[12:], b"cosignature/v1\ntime 1679315147\n" + SPEC_NOTE.encode())
    key_blob = base64.b64encode(b"\x04" + raw).decode()
    assert VKEY == f"{NAME}+{blob[:4].hex()}+{key_blob}"


def test_round_trip_and_tampering():
    verifier = parse_cosigner_key(VKEY)
    line = cosigner().cosign(SPEC_NOTE, 1700000000)
    assert verify_cosignature(line, SPEC_NOTE, verifier).timestamp == 1700000000
    with pytest.raises(VerificationError, match="does not verify"):
        verify_cosignature(line, SPEC_NOTE.replace("20852163", "20852164"), verifier)
    blob = bytearray(base64.b64decode(line.split(" ")[2]))
    blob[11] ^= 1  # another timestamp
    with pytest.raises(VerificationError, match="does not verify"):
        verify_cosignature(f"\u2014 {NAME} {base64.b64encode(bytes(blob)).decode()}\n", SPEC_NOTE, verifier)
    other = Cosigner(NAME, Ed25519PrivateKey.generate())
    with pytest.raises(VerificationError, match="not"):
        verify_cosignature(other.cosign(SPEC_NOTE, 1), SPEC_NOTE, verifier)


def test_a_cosigned_note_still_opens_with_the_log_key_alone():
    log = NoteSigner("example.com/log", Ed25519PrivateKey.from_private_bytes(bytes(32)))
    text = "example.com/log\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    note = log.sign(text) + cosigner().cosign(text, 1)
    opened = open_note(note, [log.verifier()])
    assert opened.unverified == [(NAME, parse_cosigner_key(VKEY).key_id)]


@pytest.mark.parametrize("vkey", [
    VKEY.replace("+BAO", "+AQO"),  # signature type 0x01: a checkpoint key, not a cosigner key
    VKEY.replace("e75f6532", "e75f6533"),
    "witness example+e75f6532+BAOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4",
    "witness.example/w1+e75f6532+!!",
])
def test_malformed_cosigner_keys_are_refused(vkey):
    with pytest.raises(BadInput):
        parse_cosigner_key(vkey)


def test_timestamps_are_bounded():
    with pytest.raises(BadInput):
        cosigner().cosign(SPEC_NOTE, -1)
    with pytest.raises(BadInput):
        cosigner().cosign(SPEC_NOTE, 2**63)
