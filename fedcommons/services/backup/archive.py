"""One file holding a node: a tar with a manifest, the database copied through SQLite's
online backup API, the settings and the keys (sealed with a passphrase when asked).

The manifest names the format, the node's URL and log origin, the size and root of the
copied log, and the SHA-256 of every other member; a restore checks all of them before it
writes anything.
"""

import base64
import hashlib
import io
import json
import os
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ...config import CONFIG_FILE, DATABASE_FILE, KEYS_DIR, Config
from ...errors import BadInput, HomeError
from ...node import now
from ...store.backup import PAGES_PER_STEP, Progress, copy_database
from . import sealing

FORMAT = 1
KIND = "fedcommons-backup"
MANIFEST = "manifest.json"
KEYS_PLAIN = "keys.tar"
KEYS_SEALED = "keys.tar.sealed"
_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class Manifest:
    """What a backup says about itself."""

    url: str
    origin: str
    log_size: int
    log_root: bytes
    created_at: str
    files: dict[str, str]  # member name -> SHA-256 hex
    sealing: dict | None  # how the keys are sealed, None when they are not

    def to_json(self) -> bytes:
        return json.dumps({
            "kind": KIND, "format": FORMAT, "node": self.url, "origin": self.origin,
            "log": {"size": self.log_size, "root": base64.b64encode(self.log_root).decode()},
            "createdAt": self.created_at, "files": self.files, "keys": self.sealing,
        }, indent=2, sort_keys=True).encode() + b"\n"


def write_backup(config: Config, target: Path, *, passphrase: str | None = None,
                 progress: Progress | None = None, pages: int = PAGES_PER_STEP) -> Manifest:
    """Write a consistent copy of the node in ``config.home`` to ``target`` (a new file),
    copying the database ``pages`` pages at a time."""
    if config.on_postgresql:
        from ...store.postgresql import redacted  # psycopg takes 0.18 s to load: only for a node on PostgreSQL

        raise BadInput(f"this node's data live in PostgreSQL at {redacted(config.database_url)}: back them up "
                       "with PostgreSQL's tools (pg_dump or base backups with WAL archiving); "
                       "`fedcommons backup` copies a SQLite node")
    if target.exists():
        raise BadInput(f"{target} already exists; choose a new file")
    keys = _pack_keys(config.home / KEYS_DIR)
    with tempfile.TemporaryDirectory(prefix=".backup.", dir=target.parent) as scratch:
        db_copy = Path(scratch) / DATABASE_FILE
        snapshot = copy_database(config.database, db_copy, pages=pages, progress=progress)
        members: dict[str, bytes | Path] = {DATABASE_FILE: db_copy,
                                            CONFIG_FILE: (config.home / CONFIG_FILE).read_bytes()}
        files = {name: _sha256(value) for name, value in members.items()}
        header = None
        if passphrase is None:
            members[KEYS_PLAIN] = keys
        else:
            sealed = sealing.seal(keys, passphrase, _sealing_context(config.origin, files))
            members[KEYS_SEALED], header = sealed.ciphertext, sealed.header
        files.update({name: _sha256(members[name]) for name in (KEYS_PLAIN, KEYS_SEALED) if name in members})
        manifest = Manifest(config.url, config.origin, snapshot.size, snapshot.root, now(), files, header)
        partial = Path(scratch) / "backup.tar"
        # The file holds the node's private keys: only its owner may read it.
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with open(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w") as tar:
            _add(tar, MANIFEST, manifest.to_json())
            for name, value in members.items():
                _add(tar, name, value)
            tar.close()
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(partial, target)
    return manifest


@dataclass(frozen=True)
class Opened:
    """A checked backup: its manifest, settings, key files and where its database was put."""

    manifest: Manifest
    config: bytes
    keys: dict[str, bytes]  # "node/node.ed25519.pem" -> PEM
    database: Path


def open_backup(source: Path, scratch: Path, passphrase: Callable[[], str],
                progress: Progress | None = None) -> Opened:
    """Read and check a backup, writing its database into ``scratch``; BadInput for a file
    that is not a backup, fails a checksum, or whose keys the passphrase does not open.
    ``passphrase`` is called only when the keys are sealed; ``progress`` hears (bytes of
    the database read, its size)."""
    try:
        tar = tarfile.open(source, mode="r:")
    except (tarfile.TarError, OSError) as exc:
        raise BadInput(f"{source} is not a fedcommons backup: {exc}") from None
    with tar:
        manifest = _read_manifest(tar, source)
        expected = {DATABASE_FILE, CONFIG_FILE, KEYS_SEALED if manifest.sealing else KEYS_PLAIN}
        if set(manifest.files) != expected:
            raise BadInput(f"{source}: the manifest lists {sorted(manifest.files)}, not {sorted(expected)}")
        database = scratch / DATABASE_FILE
        with open(os.open(database, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as out:
            _extract(tar, DATABASE_FILE, manifest, source, out, progress)
        config = _extract_bytes(tar, CONFIG_FILE, manifest, source)
        if manifest.sealing:
            sealed = _extract_bytes(tar, KEYS_SEALED, manifest, source)
            packed = sealing.unseal(sealed, manifest.sealing, passphrase(),
                                    _sealing_context(manifest.origin, manifest.files))
        else:
            packed = _extract_bytes(tar, KEYS_PLAIN, manifest, source)
    try:
        settings = json.loads(config)
    except ValueError:
        raise BadInput(f"{source}: its {CONFIG_FILE} is not JSON") from None
    if settings.get("url") != manifest.url:
        raise BadInput(f"{source}: its settings are for {settings.get('url')}, its manifest for {manifest.url}")
    return Opened(manifest, config, _unpack_keys(packed, source), database)


def _sealing_context(origin: str, files: dict[str, str]) -> bytes:
    """What the sealed keys authenticate besides themselves: the node's origin and the
    checksums of the database and settings. With a passphrase, a backup whose database was
    changed, however carefully its manifest was rewritten to match, does not open."""
    return f"{KIND} {FORMAT}\n{origin}\n{files[DATABASE_FILE]}\n{files[CONFIG_FILE]}\n".encode()


def _read_manifest(tar: tarfile.TarFile, source: Path) -> Manifest:
    try:
        member = tar.getmember(MANIFEST)
        doc = json.loads(tar.extractfile(member).read(1024 * 1024))
        if doc.get("kind") != KIND:
            raise ValueError("not a fedcommons backup manifest")
        if doc.get("format") != FORMAT:
            raise ValueError(f"format {doc.get('format')}; this version reads format {FORMAT}")
        return Manifest(
            url=str(doc["node"]), origin=str(doc["origin"]), log_size=int(doc["log"]["size"]),
            log_root=base64.b64decode(doc["log"]["root"], validate=True), created_at=str(doc["createdAt"]),
            files={str(k): str(v) for k, v in dict(doc["files"]).items()},
            sealing=dict(doc["keys"]) if doc.get("keys") else None,
        )
    except (KeyError, TypeError, ValueError, AttributeError, tarfile.TarError) as exc:
        raise BadInput(f"{source} is not a fedcommons backup: {MANIFEST}: {exc}") from None


def _extract(tar: tarfile.TarFile, name: str, manifest: Manifest, source: Path, out,
             progress: Progress | None = None) -> None:
    try:
        member = tar.getmember(name)
    except KeyError:
        raise BadInput(f"{source} lacks {name}") from None
    if not member.isfile():
        raise BadInput(f"{source}: {name} is not a plain file")
    digest = hashlib.sha256()
    stream = tar.extractfile(member)
    done = 0
    while chunk := stream.read(_CHUNK):
        digest.update(chunk)
        out.write(chunk)
        done += len(chunk)
        if progress is not None:
            progress(done, member.size)
    if digest.hexdigest() != manifest.files[name]:
        raise BadInput(f"{source}: {name} does not match its checksum in the manifest: the file is damaged "
                       "or was altered; nothing was restored")


def _extract_bytes(tar: tarfile.TarFile, name: str, manifest: Manifest, source: Path) -> bytes:
    out = io.BytesIO()
    _extract(tar, name, manifest, source, out)
    return out.getvalue()


def _pack_keys(root: Path) -> bytes:
    """Every key file under keys/ as an inner tar (names relative to keys/)."""
    if not root.is_dir():
        raise HomeError(f"no {KEYS_DIR}/ in the node home: nothing to back up the keys from")
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        for path in sorted(root.rglob("*.pem")):
            _add(tar, path.relative_to(root).as_posix(), path.read_bytes())
    return out.getvalue()


def _unpack_keys(packed: bytes, source: Path) -> dict[str, bytes]:
    keys = {}
    try:
        with tarfile.open(fileobj=io.BytesIO(packed), mode="r:") as tar:
            for member in tar.getmembers():
                parts = member.name.split("/")
                if (not member.isfile() or len(parts) != 2 or not member.name.endswith(".pem")
                        or any(p in ("", ".", "..") or p.startswith(".") for p in parts)):
                    raise BadInput(f"{source}: unexpected key file {member.name!r}")
                keys[member.name] = tar.extractfile(member).read()
    except tarfile.TarError as exc:
        raise BadInput(f"{source}: the keys cannot be read: {exc}") from None
    if "node/node.ed25519.pem" not in keys:
        raise BadInput(f"{source} holds no node key (node/node.ed25519.pem)")
    return keys


def _add(tar: tarfile.TarFile, name: str, value: bytes | Path) -> None:
    info = tarfile.TarInfo(name)
    info.mode = 0o600
    if isinstance(value, Path):
        info.size = value.stat().st_size
        with open(value, "rb") as f:
            tar.addfile(info, f)
    else:
        info.size = len(value)
        tar.addfile(info, io.BytesIO(value))


def _sha256(value: bytes | Path) -> str:
    if isinstance(value, bytes):
        return hashlib.sha256(value).hexdigest()
    digest = hashlib.sha256()
    with open(value, "rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
