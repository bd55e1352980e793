"""Running Python in a child process whose disk fills up: RLIMIT_FSIZE caps every file it
writes, so a write past the cap fails as it would on a full disk (root included, no mount
needed). The child runs this checkout's fedcommons, not an installed one."""

import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

import fedcommons

SOURCE_ROOT = Path(fedcommons.__file__).resolve().parent.parent


def _cap_file_size(limit: int):
    def cap():
        # Ignored, SIGXFSZ turns into a failing write (EFBIG) instead of killing the child.
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))
    return cap


def run_on_full_disk(args: list[str], *, limit: int, timeout: float = 60) -> subprocess.CompletedProcess:
    """`python ARGS...` in a child that can write no file beyond `limit` bytes."""
    env = dict(os.environ, PYTHONPATH=str(SOURCE_ROOT))
    return subprocess.run([sys.executable, *args], env=env, capture_output=True, text=True,
                          timeout=timeout, preexec_fn=_cap_file_size(limit))
