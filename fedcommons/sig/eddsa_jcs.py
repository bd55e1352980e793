"""The eddsa-jcs-2022 signature over JCS bytes already made.

What :mod:`fedcommons.sig.proof` signs and checks, and all that the signing worker
(``services/actors/signing_worker.py``) computes: it imports only hashlib, the libsodium
binding and the multibase encoder, so a worker process starts in a tenth of a second.
"""

import hashlib

from nacl.bindings import crypto_sign

from fedcommons.sig.multibase import multibase_encode


def signing_input(config_bytes: bytes, document_bytes: bytes) -> bytes:
    """The 64 bytes Ed25519 signs: SHA-256(JCS(proof config)) || SHA-256(JCS(document))."""
    return hashlib.sha256(config_bytes).digest() + hashlib.sha256(document_bytes).digest()


def proof_value(secret_key: bytes, config_bytes: bytes, document_bytes: bytes) -> str:
    """The ``proofValue`` (multibase base58btc of the Ed25519 signature) for a proof config
    and a document given as JCS bytes; ``secret_key`` is libsodium's 64-byte form."""
    return multibase_encode(crypto_sign(signing_input(config_bytes, document_bytes), secret_key)[:64])
