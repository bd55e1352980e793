"""Making a node home from a backup. The home is written whole or not at all, and marked
as waiting for reconciliation (see `reconcile`), so that it appends nothing before it knows
what its peers hold of its log."""

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from ...config import CONFIG_FILE, KEYS_DIR, RECONCILE_FILE
from ...errors import BadInput
from ...keystore import save_private_key
from ...node import now
from ...sig.keys import private_key_from_pem
from ...store.backup import Progress, log_snapshot
from .archive import Manifest, open_backup


def restore_home(source: Path, home: Path, passphrase: Callable[[], str],
                 progress: Progress | None = None) -> Manifest:
    """Check the backup at ``source`` and make ``home`` (new, or an empty directory) from it;
    ``progress`` hears (bytes of the database checked, its size)."""
    if home.exists() and (not home.is_dir() or any(home.iterdir())):
        raise BadInput(f"{home} exists and is not empty: restore into a new or empty directory")
    home.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{home.name}.", suffix=".restore", dir=home.parent))
    try:
        os.chmod(staging, 0o700)
        opened = open_backup(source, staging, passphrase, progress)
        snapshot = log_snapshot(opened.database)
        if (snapshot.size, snapshot.root) != (opened.manifest.log_size, opened.manifest.log_root):
            raise BadInput(f"{source}: its database's log is not the one its manifest describes")
        keys = staging / KEYS_DIR
        keys.mkdir(mode=0o700)
        for name, pem in sorted(opened.keys.items()):
            kind, file = name.split("/")
            (keys / kind).mkdir(mode=0o700, exist_ok=True)
            save_private_key(keys / kind / file, private_key_from_pem(pem, name))
        _write_private(staging / RECONCILE_FILE, json.dumps({
            "backup": str(source), "backupCreatedAt": opened.manifest.created_at,
            "logSize": opened.manifest.log_size, "restoredAt": now()}, indent=2).encode() + b"\n")
        # config.json last, as `init` does: without it the directory is no node.
        _write_private(staging / CONFIG_FILE, opened.config)
        if home.exists():
            for child in staging.iterdir():
                child.rename(home / child.name)
            staging.rmdir()
            os.chmod(home, 0o700)
        else:
            staging.rename(home)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return opened.manifest


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with open(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
