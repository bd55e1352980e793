"""Key generation, base58btc/Multikey, PEM, and private key files."""

import json
import os
import stat

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from fedcommons.errors import BadInput, Conflict, NotFound
from fedcommons.keystore import load_private_key, save_private_key
from fedcommons.sig.keys import (
    base58btc_decode,
    base58btc_encode,
    ed25519_private_from_multibase,
    ed25519_private_multibase,
    ed25519_public_from_multibase,
    ed25519_public_multibase,
    generate_ed25519,
    generate_rsa,
    load_public_pem,
    public_pem,
)

# Fixed test key: the RFC 8032 §7.1 TEST 1 seed and public key.
RFC8032_SEED = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
RFC8032_PUBLIC = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")


# Known answers from the base58 draft (draft-msporny-base58-03 §5).
@pytest.mark.parametrize(
    ("raw", "encoded"),
    [
        (b"Hello World!", "2NEpo7TZRRrLZSi2U"),
        (b"The quick brown fox jumps over the lazy dog.", "USm3fpXnKG5EUBx2ndxBDMPVciP5hGey2Jh4NDv6gmeo1LkMeiKrLJUUBk6Z"),
        (bytes.fromhex("0000287fb4cd"), "11233QC4"),
        (b"", ""),
        (b"\0", "1"),
    ],
)
def test_base58btc_known_answers(raw, encoded):
    assert base58btc_encode(raw) == encoded
    assert base58btc_decode(encoded) == raw


def test_base58btc_round_trip_many_lengths():
    for length in range(80):
        for data in (os.urandom(length), b"\0" * (length % 5) + os.urandom(length)):
            assert base58btc_decode(base58btc_encode(data)) == data


@pytest.mark.parametrize("bad", ["0", "O", "I", "l", "abc+", "zz z"])
def test_base58btc_rejects_characters_outside_alphabet(bad):
    with pytest.raises(BadInput, match="invalid base58btc character"):
        base58btc_decode(bad)


def test_multikey_vector(vectors):
    pair = json.loads((vectors / "data-integrity" / "keyPair.json").read_text())
    private = ed25519_private_from_multibase(pair["privateKeyMultibase"])
    public = ed25519_public_from_multibase(pair["publicKeyMultibase"])
    assert private.public_key().public_bytes_raw() == public.public_bytes_raw()
    assert ed25519_public_multibase(private.public_key()) == pair["publicKeyMultibase"]
    assert ed25519_private_multibase(private) == pair["privateKeyMultibase"]


def test_multikey_rfc8032_key_has_the_ed25519_shape():
    key = Ed25519PrivateKey.from_private_bytes(RFC8032_SEED)
    encoded = ed25519_public_multibase(key.public_key())
    # 0xed01 followed by 32 bytes always base58-encodes to "z6Mk..." (48 characters).
    assert encoded.startswith("z6Mk") and len(encoded) == 48
    assert base58btc_decode(encoded[1:]) == b"\xed\x01" + RFC8032_PUBLIC
    assert ed25519_public_from_multibase(encoded).public_bytes_raw() == RFC8032_PUBLIC


def test_multikey_round_trip_and_key_works():
    key = generate_ed25519()
    public = ed25519_public_from_multibase(ed25519_public_multibase(key.public_key()))
    public.verify(key.sign(b"message"), b"message")
    again = ed25519_private_from_multibase(ed25519_private_multibase(key))
    assert again.private_bytes_raw() == key.private_bytes_raw()


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2", "starting with 'z'"),
        ("u7QE", "starting with 'z'"),
        ("z" + base58btc_encode(b"\xed\x01" + b"\x01" * 31), "must hold 32 bytes"),
        ("z" + base58btc_encode(b"\xed\x01" + b"\x01" * 33), "must hold 32 bytes"),
        ("z" + base58btc_encode(b"\x12\x00" + b"\x01" * 32), "multicodec prefix"),
        ("z" + base58btc_encode(b"\x80\x26" + b"\x01" * 32), "multicodec prefix"),
        ("z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ0", "invalid base58btc"),
        ("", "starting with 'z'"),
    ],
)
def test_public_multibase_rejects_malformed(text, match):
    with pytest.raises(BadInput, match=match):
        ed25519_public_from_multibase(text)


def test_private_multibase_rejects_public_key(vectors):
    pair = json.loads((vectors / "data-integrity" / "keyPair.json").read_text())
    with pytest.raises(BadInput, match="multicodec prefix"):
        ed25519_private_from_multibase(pair["publicKeyMultibase"])


def test_generate_rsa_parameters():
    key = generate_rsa()
    assert key.key_size == 2048
    assert key.public_key().public_numbers().e == 65537


def test_public_pem_round_trip_ed25519_and_rsa(rsa_key):
    ed = generate_ed25519()
    for private in (ed, rsa_key):
        pem = public_pem(private.public_key())
        assert pem.startswith("-----BEGIN PUBLIC KEY-----\n")
        assert public_pem(private) == pem  # a private key yields its public half
        loaded = load_public_pem(pem)
        assert public_pem(loaded) == pem
    load_public_pem(public_pem(ed)).verify(ed.sign(b"m"), b"m")


def test_load_public_pem_vector_keys(vectors):
    keys = vectors / "http-signatures" / "rfc9421" / "keys"
    assert isinstance(load_public_pem((keys / "test-key-rsa.public.spki.pem").read_text()), rsa.RSAPublicKey)
    assert isinstance(load_public_pem((keys / "test-key-ecc-p256.public.pem").read_text()), ec.EllipticCurvePublicKey)
    ed = load_public_pem((keys / "test-key-ed25519.public.pem").read_text())
    assert public_pem(ed).split() == (keys / "test-key-ed25519.public.pem").read_text().split()


@pytest.mark.parametrize("bad", ["", "not a key", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"])
def test_load_public_pem_rejects_garbage(bad):
    with pytest.raises(BadInput, match="not a PEM public key"):
        load_public_pem(bad)


@pytest.fixture(scope="module")
def rsa_key():
    return generate_rsa()


def test_save_private_key_mode_and_round_trip(tmp_path, rsa_key):
    ed = generate_ed25519()
    for name, key in (("ed25519.pem", ed), ("rsa.pem", rsa_key)):
        path = tmp_path / name
        save_private_key(path, key)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert path.read_text().startswith("-----BEGIN PRIVATE KEY-----\n")  # PKCS#8
        loaded = load_private_key(path)
        assert public_pem(loaded) == public_pem(key)


def test_save_private_key_is_0600_even_with_permissive_umask(tmp_path):
    old = os.umask(0)
    try:
        save_private_key(tmp_path / "k.pem", generate_ed25519())
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "k.pem").stat().st_mode) == 0o600


def test_save_private_key_never_overwrites(tmp_path):
    path = tmp_path / "k.pem"
    save_private_key(path, generate_ed25519())
    before = path.read_bytes()
    with pytest.raises(Conflict, match="refusing to overwrite"):
        save_private_key(path, generate_ed25519())
    assert path.read_bytes() == before


def test_save_private_key_refuses_a_planted_symlink(tmp_path):
    target = tmp_path / "elsewhere"
    (tmp_path / "k.pem").symlink_to(target)
    with pytest.raises(Conflict):
        save_private_key(tmp_path / "k.pem", generate_ed25519())
    assert not target.exists()


def test_load_private_key_errors(tmp_path):
    with pytest.raises(NotFound, match="no private key file"):
        load_private_key(tmp_path / "missing.pem")
    junk = tmp_path / "junk.pem"
    junk.write_text("hello")
    with pytest.raises(BadInput, match="does not hold an unencrypted PEM private key"):
        load_private_key(junk)
    ec_path = tmp_path / "ec.pem"
    from cryptography.hazmat.primitives import serialization

    ec_path.write_bytes(
        ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    with pytest.raises(BadInput, match="unsupported"):
        load_private_key(ec_path)


def _naive_base58btc(data: bytes) -> str:
    number, digits = int.from_bytes(data, "big"), ""
    while number:
        number, digit = divmod(number, 58)
        digits = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"[digit] + digits
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + digits


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=80))
def test_base58btc_matches_the_textbook_algorithm(data):
    assert base58btc_encode(data) == _naive_base58btc(data)
    assert base58btc_decode(_naive_base58btc(data)) == data
