"""Git repositories for tests: rebuilt from recorded commit metadata with `git fast-import`.

`../shared/fixtures/importers/git/tqdm-history.jsonl.gz` records each commit of tqdm: its
parents, raw author and committer, dates, subject, `Co-authored-by` trailers and the sizes
of its changes. `build_history` replays it: the same DAG, the same people and dates, the
same messages and trailers, and file changes of the recorded sizes (each touched text file
loses lines from its start and gains new ones at its end, so `--numstat` reports them as
recorded, except where the recorded deletions exceed the lines the rebuilt parent holds).
The repository's `.mailmap` is in the tree of every merge, so HEAD carries it while no
non-merge commit's change does.
"""

import gzip
import os
import subprocess
from datetime import datetime
from pathlib import Path

import orjson
import pytest

FIXTURES = Path(__file__).resolve().parent.parent.parent / "shared" / "fixtures" / "importers"
HISTORY = FIXTURES / "git" / "tqdm-history.jsonl.gz"
MAILMAP = FIXTURES / "git" / "tqdm-history.mailmap"
ENV = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": "/nonexistent", "GIT_CONFIG_NOSYSTEM": "1",
       "GIT_CONFIG_GLOBAL": "/dev/null", "LC_ALL": "C"}


def require_history() -> list[dict]:
    """The recorded commits, or a skip saying what is missing."""
    if not HISTORY.exists() or not MAILMAP.exists():
        pytest.skip(f"the importer fixtures are absent ({HISTORY.parent}); .ci/run requires them")
    with gzip.open(HISTORY) as handle:
        return [orjson.loads(line) for line in handle]


def git(path: Path, *args: str, input: bytes | None = None) -> str:
    """Run git in `path` without the machine's configuration; its stdout."""
    result = subprocess.run(["git", "-C", str(path), *args], env=ENV, input=input, capture_output=True,
                            timeout=120, check=True)
    return result.stdout.decode()


def _ident(person: dict, when: str) -> bytes:
    moment = datetime.fromisoformat(when)
    offset = moment.utcoffset().total_seconds() // 60
    sign = "-" if offset < 0 else "+"
    offset = abs(int(offset))
    return f"{person['name']} <{person['email']}> {int(moment.timestamp())} {sign}{offset // 60:02d}{offset % 60:02d}".encode()


def _data(payload: bytes) -> bytes:
    return b"data %d\n%s\n" % (len(payload), payload)


def fast_import_stream(commits: list[dict], mailmap: bytes, ref: bytes = b"refs/heads/main") -> bytes:
    """The fast-import stream that replays `commits` (oldest first) on `ref`."""
    out: list[bytes] = []
    marks: dict[str, int] = {}
    states: dict[str, dict[str, tuple[str, ...]]] = {}
    fresh = 0
    for number, commit in enumerate(commits, start=1):
        marks[commit["sha"]] = number
        parents = commit["parents"]
        state = dict(states[parents[0]]) if parents else {}
        message = commit["subject"].encode()
        if commit["coauthors"]:
            message += b"\n\n" + b"".join(f"Co-authored-by: {c['name']} <{c['email']}>\n".encode()
                                          for c in commit["coauthors"])
        out.append(b"reset %s\n" % ref if not parents else b"")
        out.append(b"commit %s\nmark :%d\nauthor %s\ncommitter %s\n" % (
            ref, number, _ident(commit["author"], commit["authored"]),
            _ident(commit["committer"], commit["committed"])))
        out.append(_data(message))
        if parents:
            out.append(b"from :%d\n" % marks[parents[0]])
            for other in parents[1:]:
                out.append(b"merge :%d\n" % marks[other])
        if len(parents) > 1:
            out.append(b"M 100644 inline .mailmap\n" + _data(mailmap))
        else:
            changes, fresh = _changes(commit["numstat"], state, number, fresh)
            out.extend(changes)
        states[commit["sha"]] = state
    return b"".join(out)


def _changes(stat: dict, state: dict, number: int, fresh: int) -> tuple[list[bytes], int]:
    """Touch files of `state` so that numstat gives the recorded sizes; updates `state`."""
    out = []
    binaries = stat["binary_files"]
    text_files = stat["files"] - binaries
    deleted_left, added_left = stat["deleted"], stat["added"]
    touched: list[tuple[str, int]] = []  # (path, lines deleted)
    for path in sorted((p for p in state if p.startswith("src/")), key=lambda p: (-len(state[p]), p)):
        if len(touched) >= text_files or deleted_left <= 0:
            break
        take = min(deleted_left, len(state[path]))
        touched.append((path, take))
        deleted_left -= take
    while len(touched) < text_files:
        fresh += 1
        touched.append((f"src/f{fresh}.txt", 0))
    # Each file that loses nothing gains one line; the rest goes to the largest file, so
    # that files grow big enough for later commits' deletions.
    needed = [1 if take == 0 else 0 for _, take in touched]
    for index, (path, take) in enumerate(touched):
        share = min(needed[index], added_left)
        if index == 0:
            share = max(0, added_left - sum(needed[1:]))
        added_left -= share
        lines = state.get(path, ())[take:] + tuple(f"{number}.{index}.{j}\n" for j in range(share))
        if not lines:
            out.append(f"D {path}\n".encode())
            state.pop(path, None)
            continue
        state[path] = lines
        out.append(f"M 100644 inline {path}\n".encode() + _data("".join(lines).encode()))
    for index in range(binaries):
        out.append(f"M 100644 inline bin/b{index}.bin\n".encode() + _data(b"\0%d.%d" % (number, index)))
    return out, fresh


def build_history(dest: Path, commits: list[dict], *, bare: bool = False) -> Path:
    """A new repository at `dest` holding the recorded history; its path."""
    git(dest.parent, "init", "--quiet", *(["--bare"] if bare else []), "-b", "main", str(dest))
    stream = fast_import_stream(commits, MAILMAP.read_bytes())
    git(dest, "fast-import", "--quiet", input=stream)
    if not bare:
        git(dest, "checkout", "--quiet", "-f", "main")
    return dest
