"""The hot-path Ed25519 signer (libsodium's binding) signs exactly as the reference does."""

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from fedcommons.sig import ed25519

# RFC 8032 §7.1, TEST 2: a one-byte message.
RFC_SEED = bytes.fromhex("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb")
RFC_MESSAGE = bytes.fromhex("72")
RFC_SIGNATURE = bytes.fromhex(
    "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
    "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00")


def test_the_published_vector():
    assert ed25519.sign(Ed25519PrivateKey.from_private_bytes(RFC_SEED), RFC_MESSAGE) == RFC_SIGNATURE


def test_the_same_signatures_as_the_reference_and_they_verify():
    for n in range(20):
        key = Ed25519PrivateKey.from_private_bytes(bytes([n]) * 32)
        message = bytes(range(n * 3 % 64)) + b"m" * n
        signature = ed25519.sign(key, message)
        assert signature == key.sign(message)  # Ed25519 is deterministic
        assert ed25519.verify(key.public_key(), signature, message)
        assert not ed25519.verify(key.public_key(), signature, message + b"!")
