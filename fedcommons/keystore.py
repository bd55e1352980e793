"""Private keys of local actors, kept as 0600 PEM files under the node home.

Private keys never leave this directory: nothing here returns them to a caller outside the
node process, and no HTTP handler reads this module.
"""

import os
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

from .errors import Conflict, HomeError, NotFound
from .sig import keys

# O_EXCL makes creation atomic (no overwrite, no race); O_NOFOLLOW refuses a planted symlink.
_CREATE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)


def fresh_keys() -> tuple[Ed25519PrivateKey, RSAPrivateKey]:
    """A new Ed25519 key and a new RSA-2048 key: what every actor gets."""
    return keys.generate_ed25519(), keys.generate_rsa()


class KeyStore:
    """Reads and creates the private keys of local actors."""

    # Where new actors' keys come from. This is a seam for tests only: tests/conftest.py
    # installs pre-generated keys, since an RSA-2048 key takes a large fraction of a second
    # to find and the suite makes many actors. Production always uses fresh_keys.
    generate_keys: Callable[[], tuple[Ed25519PrivateKey, RSAPrivateKey]] = staticmethod(fresh_keys)

    def __init__(self, root: Path):
        self.root = root
        self._ed25519 = lru_cache(maxsize=4096)(self._load_ed25519)
        self._rsa = lru_cache(maxsize=1024)(self._load_rsa)

    def path(self, kind: str, name: str, alg: str) -> Path:
        return self.root / kind / f"{name}.{alg}.pem"

    def create(self, kind: str, name: str) -> tuple[Ed25519PrivateKey, RSAPrivateKey]:
        """Generate and save both keys of a new actor."""
        # Level by level: `parents=True` would make keys/ itself with the umask's mode.
        for folder in (self.root, self.root / kind):
            folder.mkdir(exist_ok=True, mode=0o700)
        ed, rsa = self.generate_keys()
        save_private_key(self.path(kind, name, "ed25519"), ed)
        save_private_key(self.path(kind, name, "rsa"), rsa)
        return ed, rsa

    def discard(self, kind: str, name: str) -> None:
        """Remove the keys `create` made for an actor whose creation then failed, so that
        trying again is not refused for keys nobody uses."""
        for alg in ("ed25519", "rsa"):
            self.path(kind, name, alg).unlink(missing_ok=True)
        self._ed25519.cache_clear()
        self._rsa.cache_clear()

    def ed25519(self, kind: str, name: str) -> Ed25519PrivateKey:
        """The Ed25519 key that signs an actor's objects and the node's checkpoints."""
        return self._ed25519(kind, name)

    def rsa(self, kind: str, name: str) -> RSAPrivateKey:
        """The RSA key that signs an actor's HTTP requests (what Mastodon verifies)."""
        return self._rsa(kind, name)

    def _load(self, kind: str, name: str, alg: str):
        path = self.path(kind, name, alg)
        if not path.exists():
            raise HomeError(f"missing private key {path}: the node home is incomplete")
        return load_private_key(path)

    def _load_ed25519(self, kind: str, name: str) -> Ed25519PrivateKey:
        return self._load(kind, name, "ed25519")

    def _load_rsa(self, kind: str, name: str) -> RSAPrivateKey:
        return self._load(kind, name, "rsa")


def save_private_key(path: Path, key: keys.PrivateKey) -> None:
    """Write ``key`` as unencrypted PKCS#8 PEM to a new file readable only by its owner.

    The file is created with mode 0600 (never wider, not even briefly), fsync'd with its
    directory, and never overwrites: an existing file raises :class:`Conflict`.
    """
    pem = keys.private_key_pem(key)
    path = Path(path)
    try:
        fd = os.open(path, _CREATE_FLAGS, 0o600)
    except FileExistsError:
        raise Conflict(
            f"refusing to overwrite existing key file {path}; move it away first "
            "if you really mean to replace the key"
        ) from None
    try:
        # The umask can only narrow 0600, but make the mode exact regardless.
        os.fchmod(fd, 0o600)
        view = memoryview(pem)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        path.unlink(missing_ok=True)  # never leave a truncated key behind
        raise
    os.close(fd)
    _fsync_directory(path.parent)


def _fsync_directory(directory: Path) -> None:
    """Make the new directory entry durable, where the platform allows it."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some filesystems refuse fsync on directories; the file itself is synced
    finally:
        os.close(fd)


def load_private_key(path: Path) -> keys.PrivateKey:
    """Load an unencrypted PEM private key (Ed25519 or RSA) written by :func:`save_private_key`."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise NotFound(f"no private key file at {path}") from None
    return keys.private_key_from_pem(data, str(path))
