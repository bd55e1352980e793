"""C2SP signed notes: spec and Go vectors, checkpoints, round trip, tampering."""

import base64
import hashlib
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from fedcommons.errors import BadInput, VerificationError
from fedcommons.sig.note import (
    MAX_SIGNATURES,
    NoteSigner,
    key_id,
    open_note,
    parse_signer_key,
    parse_verifier_key,
    verifier_key,
)

# RFC 8032 §7.1 TEST 1 seed: a fixed key for tests that need one of their own.
FIXED_SEED = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
TEXT = "example.com/log\n12\nAAAA\n"


@pytest.fixture(scope="module")
def note_vectors(vectors):
    return json.loads((vectors / "signed-note" / "vectors.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def checkpoints(vectors):
    return json.loads((vectors / "signed-note" / "tlog-checkpoints.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def known(note_vectors):
    """Verifiers for every key that has a single verifier_key in the vectors."""
    return {
        case["key_name"]: parse_verifier_key(case["verifier_key"])
        for case in note_vectors["cases"]
        if case.get("verifier_key")
    }


@pytest.fixture
def signer():
    return NoteSigner("node.example/log", Ed25519PrivateKey.from_private_bytes(FIXED_SEED))


def single_key_cases(note_vectors):
    return [c for c in note_vectors["cases"] if c.get("verifier_key")]


def test_single_key_vectors(note_vectors):
    cases = single_key_cases(note_vectors)
    assert len(cases) == 3
    for case in cases:
        verifier = parse_verifier_key(case["verifier_key"])
        assert verifier.name == case["key_name"]
        assert verifier.key_id.hex() == case["key_id"]
        assert verifier.public_key.public_bytes_raw().hex() == case["public_key_hex"]
        # The key ID is recomputed, not just read back from the string.
        assert key_id(case["key_name"], b"\x01" + bytes.fromhex(case["public_key_hex"])).hex() == case["key_id"]
        assert verifier.verifier_key() == case["verifier_key"]
        opened = open_note(case["note"], [verifier])
        assert opened.text == case["text"]
        assert opened.signatures == [(case["key_name"], bytes.fromhex(case["key_id"]))]
        assert opened.unverified == []


def test_resigning_reproduces_the_vectors_byte_for_byte(note_vectors):
    signed_cases = [c for c in note_vectors["cases"] if c.get("signer_key")]
    assert len(signed_cases) == 2
    for case in signed_cases:
        signer = parse_signer_key(case["signer_key"])
        seed = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(case["private_seed_hex"]))
        direct = NoteSigner(case["key_name"], seed)
        assert direct.key_id == signer.key_id == bytes.fromhex(case["key_id"])
        assert direct.signer_key() == case["signer_key"]
        assert direct.verifier_key() == case["verifier_key"]
        assert direct.signature_line(case["text"]) == case["signature_lines"][0]
        assert direct.sign(case["text"]) == case["note"]
        assert signer.sign(case["text"]) == case["note"]


def test_two_signature_note(note_vectors, known):
    (case,) = [c for c in note_vectors["cases"] if c.get("verifier_keys")]
    both = [parse_verifier_key(k) for k in case["verifier_keys"]]
    opened = open_note(case["note"], both)
    assert [name for name, _ in opened.signatures] == ["PeterNeumann", "EnochRoot"]
    assert opened.text == case["text"]
    # With only one known key, the other signature is ignored and reported as unverified.
    only_peter = open_note(case["note"], [known["PeterNeumann"]])
    assert only_peter.signatures == [("PeterNeumann", known["PeterNeumann"].key_id)]
    assert only_peter.unverified == [("EnochRoot", known["EnochRoot"].key_id)]


def test_cosignature_by_appending_a_line(note_vectors):
    peter, enoch = (parse_signer_key(c["signer_key"]) for c in note_vectors["cases"] if c.get("signer_key"))
    (case,) = [c for c in note_vectors["cases"] if c.get("verifier_keys")]
    assert peter.sign(case["text"]) + enoch.signature_line(case["text"]) == case["note"]


def test_malformed_and_rejected_notes(note_vectors, known):
    cases = note_vectors["malformed_or_rejected_notes"]
    assert len(cases) == 9
    for case in cases:
        note = case["note"] if "note" in case else bytes.fromhex(case["note_hex"])
        verifiers = [parse_verifier_key(k) for k in case.get("verifier_keys", [])] or list(known.values())
        with pytest.raises(VerificationError):
            open_note(note, verifiers)


def test_the_rejections_happen_for_the_stated_reason(note_vectors, known):
    by_desc = {c["desc"]: c for c in note_vectors["malformed_or_rejected_notes"]}
    peter = [known["PeterNeumann"]]
    altered = by_desc['signature bytes altered ("ABCD" inserted at character 60 of the PeterNeumann line)']
    with pytest.raises(VerificationError, match="PeterNeumann\\+c74f20a3 does not verify"):
        open_note(altered["note"], peter)
    with pytest.raises(VerificationError, match="no signature from a known key"):
        open_note(by_desc["note with only unknown-key signatures"]["note"], peter)
    with pytest.raises(VerificationError, match="not valid UTF-8"):
        open_note(bytes.fromhex(by_desc["leading 0xff byte (invalid UTF-8)"]["note_hex"]), peter)
    # The space-in-name case also lacks its final newline; with the newline added it
    # must still be rejected, now because of the name.
    spaced = by_desc["key name containing a space"]["note"] + "\n"
    with pytest.raises(VerificationError, match="malformed"):
        open_note(spaced, peter)


def test_invalid_verifier_keys(note_vectors):
    cases = note_vectors["invalid_verifier_keys"]
    assert len(cases) == 3
    for case in cases:
        with pytest.raises(BadInput):
            parse_verifier_key(case["verifier_key"])


@pytest.mark.parametrize(
    "vkey",
    [
        "",
        "PeterNeumann",
        "PeterNeumann+c74f20a3",
        "PeterNeumann+c74f20a3+",
        "PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T",
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T!",
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
    ],
)
def test_malformed_verifier_keys(vkey):
    with pytest.raises(BadInput):
        parse_verifier_key(vkey)


def test_checkpoint_notes(checkpoints):
    verifier = parse_verifier_key(checkpoints["verifier_key"])
    assert verifier.key_id.hex() == checkpoints["key_id"]
    signer = parse_signer_key(checkpoints["signer_key"])
    assert signer.key_id == verifier.key_id
    assert signer.verifier_key() == checkpoints["verifier_key"]
    assert len(checkpoints["checkpoints"]) == 16
    for entry in checkpoints["checkpoints"]:
        opened = open_note(entry["note"], [verifier])
        assert opened.signatures == [(checkpoints["origin"], verifier.key_id)]
        origin, size, root, *extensions = opened.text.split("\n")[:-1]
        assert origin == checkpoints["origin"]
        assert int(size) == entry["tree_size"] and size == str(int(size))
        assert base64.b64decode(root) == bytes.fromhex(entry["root_hash_hex"])
        assert extensions == []
        # Re-signing the body reproduces the published note exactly.
        assert signer.sign(opened.text) == entry["note"]


def test_checkpoint_tampering_fails(checkpoints):
    verifier = parse_verifier_key(checkpoints["verifier_key"])
    note = checkpoints["checkpoints"][5]["note"]
    for old, new in (("\n5\n", "\n6\n"), ("example.com/log/testdata\n5", "example.com/log/testdatb\n5")):
        with pytest.raises(VerificationError, match="does not verify"):
            open_note(note.replace(old, new, 1), [verifier])


def test_round_trip_and_key_id_derivation(signer):
    vkey = signer.verifier_key()
    name, hex_id, b64 = vkey.split("+", 2)
    blob = base64.b64decode(b64)
    assert name == signer.name and blob[0] == 1 and len(blob) == 33
    assert bytes.fromhex(hex_id) == hashlib.sha256(b"node.example/log\n" + blob).digest()[:4] == signer.key_id
    note = signer.sign(TEXT)
    assert note.startswith(TEXT + "\n\u2014 node.example/log ")
    opened = open_note(note, [parse_verifier_key(vkey)])
    assert (opened.text, opened.signatures) == (TEXT, [(signer.name, signer.key_id)])
    assert open_note(note.encode("utf-8"), [signer.verifier()]).text == TEXT


def test_text_with_blank_lines_and_unicode(signer):
    text = "Ognuno sta solo sul cuor della terra\n\ned \u00e8 subito sera.\n\n"
    opened = open_note(signer.sign(text), [signer.verifier()])
    assert opened.text == text


def test_every_bit_flip_in_the_text_fails(signer):
    note = signer.sign(TEXT).encode("utf-8")
    text_bytes = len(TEXT.encode("utf-8"))
    for bit in range(text_bytes * 8):
        flipped = bytearray(note)
        flipped[bit // 8] ^= 1 << (bit % 8)
        with pytest.raises(VerificationError):
            open_note(bytes(flipped), [signer.verifier()])


def test_bit_flips_in_the_signature_fail(signer):
    line = signer.signature_line(TEXT)
    raw = base64.b64decode(line.split(" ")[2])
    for bit in range(32, len(raw) * 8, 7):
        flipped = bytearray(raw)
        flipped[bit // 8] ^= 1 << (bit % 8)
        bad = f"\u2014 {signer.name} {base64.b64encode(bytes(flipped)).decode()}\n"
        with pytest.raises(VerificationError, match="does not verify"):
            open_note(TEXT + "\n" + bad, [signer.verifier()])


def test_unknown_keys_sharing_name_or_id_are_ignored(signer):
    other = NoteSigner(signer.name, Ed25519PrivateKey.generate())  # same name, other ID
    note = signer.sign(TEXT) + other.signature_line(TEXT)
    opened = open_note(note, [signer.verifier()])
    assert opened.signatures == [(signer.name, signer.key_id)]
    assert opened.unverified == [(signer.name, other.key_id)]
    # Same ID, different name: also a different key.
    raw = base64.b64decode(signer.signature_line(TEXT).split(" ")[2])
    impostor = f"\u2014 other.example/log {base64.b64encode(raw).decode()}\n"
    assert open_note(signer.sign(TEXT) + impostor, [signer.verifier()]).unverified == [
        ("other.example/log", signer.key_id)
    ]
    with pytest.raises(VerificationError, match="no signature from a known key"):
        open_note(TEXT + "\n" + impostor, [signer.verifier()])


def test_duplicate_signatures_are_counted_once(signer):
    line = signer.signature_line(TEXT)
    other = NoteSigner("w.example", Ed25519PrivateKey.generate())
    other_line = other.signature_line(TEXT)
    opened = open_note(TEXT + "\n" + line + other_line + line + other_line, [signer.verifier()])
    assert opened.signatures == [(signer.name, signer.key_id)]
    assert opened.unverified == [("w.example", other.key_id)]


def test_signature_count_limit(signer):
    lines = [NoteSigner(f"w{i}.example", Ed25519PrivateKey.generate()).signature_line(TEXT) for i in range(3)]
    at_limit = TEXT + "\n" + signer.signature_line(TEXT) + "".join(lines[i % 3] for i in range(MAX_SIGNATURES - 1))
    assert open_note(at_limit, [signer.verifier()]).signatures
    with pytest.raises(VerificationError, match="more than"):
        open_note(at_limit + lines[0], [signer.verifier()])


@pytest.mark.parametrize(
    "signature_block",
    [
        "- node.example/log AAAAAAAA\n",  # hyphen, not em dash
        "\u2014node.example/log AAAAAAAA\n",  # no space after the dash
        "\u2014 node.example/log\n",  # no signature
        "\u2014 node.example/log \n",
        "\u2014 node.example/log AAAA\n",  # shorter than key ID + 1 byte
        "\u2014 node.example/log !!!!\n",  # not base64
        "\u2014 node+example AAAAAAAA\n",  # "+" in name
        "\u2014 \u00a0x AAAAAAAA\n",  # Unicode space in name
    ],
)
def test_malformed_signature_lines(signer, signature_block):
    with pytest.raises(VerificationError, match="malformed"):
        open_note(TEXT + "\n" + signature_block, [signer.verifier()])


def test_oversized_note_is_rejected_before_parsing(signer):
    huge = "x" * (1 << 20) + "\n"
    with pytest.raises(VerificationError, match="larger than"):
        open_note(huge + "\n" + signer.signature_line(TEXT), [signer.verifier()])


@pytest.mark.parametrize("text", ["no newline", "", "tab\there\n", "nul\0\n", "lone \ud800\n"])
def test_signing_refuses_text_that_cannot_make_a_valid_note(signer, text):
    with pytest.raises(BadInput):
        signer.sign(text)


@pytest.mark.parametrize("name", ["", "a b", "a+b", "tab\tname", "nbsp\u00a0name"])
def test_invalid_key_names(name):
    key = Ed25519PrivateKey.from_private_bytes(FIXED_SEED)
    with pytest.raises(BadInput, match="invalid key name"):
        NoteSigner(name, key)
    with pytest.raises(BadInput, match="invalid key name"):
        verifier_key(name, key.public_key())


def test_conflicting_verifiers_are_refused(signer):
    clash = parse_verifier_key(signer.verifier_key())
    impostor = type(clash)(clash.name, clash.key_id, Ed25519PrivateKey.generate().public_key())
    with pytest.raises(BadInput, match="share name"):
        open_note(signer.sign(TEXT), [clash, impostor])
    # The same key given twice is fine.
    assert open_note(signer.sign(TEXT), [clash, signer.verifier()]).signatures


def test_signer_key_parsing_rejects_mismatches(note_vectors):
    good = next(c["signer_key"] for c in note_vectors["cases"] if c.get("signer_key"))
    with pytest.raises(BadInput, match="does not match"):
        parse_signer_key(good.replace("c74f20a3", "c74f20a4"))
    with pytest.raises(BadInput, match="must start with"):
        parse_signer_key(good[len("PRIVATE+KEY+"):])
