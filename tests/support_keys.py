"""Pre-generated keys for test actors, and the cheap password hash tests use.

An RSA-2048 key takes a large fraction of a second to find and a full-cost Argon2id a tenth of
a second; the suite makes many actors and passwords. tests/conftest.py installs
both through the seams production leaves for them (`KeyStore.generate_keys`,
`accounts.COST`). The keys in tests/keys/ were generated once and are for tests only.
"""

from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

KEYS = Path(__file__).resolve().parent / "keys"

# Argon2id with one pass over 8 KiB: microseconds, and still a real Argon2id in the stored string.
CHEAP_PASSWORD_COST = (1, 8, 1)


class FixedKeys:
    """Hands out the pre-generated key pairs in turn, so actors made one after the other
    (up to `len(self)` of them) have keys of their own."""

    def __init__(self, folder: Path = KEYS):
        count = len(list(folder.glob("rsa-*.pem")))
        self.pairs = [(_load(folder / f"ed25519-{i}.pem"), _load(folder / f"rsa-{i}.pem")) for i in range(count)]
        self.handed_out = 0

    def __len__(self) -> int:
        return len(self.pairs)

    def __call__(self) -> tuple[Ed25519PrivateKey, RSAPrivateKey]:
        pair = self.pairs[self.handed_out % len(self.pairs)]
        self.handed_out += 1
        return pair


def _load(path: Path):
    # Checking an RSA key costs tens of milliseconds; these were checked when generated.
    return serialization.load_pem_private_key(path.read_bytes(), password=None, unsafe_skip_rsa_key_validation=True)


# One sequence for the whole run: local actors (through conftest) and the fake remote
# ones below draw from it in turn, so the actors of one test have distinct keys.
FIXED_KEYS = FixedKeys()


def fixed_rsa() -> RSAPrivateKey:
    """The RSA key of the next fixed pair, for a remote actor played by a test."""
    return FIXED_KEYS()[1]
