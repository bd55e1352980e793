"""A git repository as a source: one item per commit, oldest first.

git itself reads the repository, run so that nothing in the repository or on the machine
can make it run a program or change what it reports: no hooks, no external diff or
textconv, no fsmonitor, no system or global configuration, no inherited ``GIT_*``
variables, and ``--end-of-options`` before revisions. A bare repository works like a work
tree, ``.mailmap`` included (read from ``HEAD:.mailmap``, where git would not look in a bare
repository's work tree, which it has none of).

People: the author after ``.mailmap``, and those named in ``Co-authored-by:`` trailers
(mapped through ``.mailmap`` too). Their identity is ``email:`` and the address, which
stays private (items.py); the raw addresses ``.mailmap`` folded in are given as ``aka``.

The cursor is ``BASE..TIP+N``: the first N commits of ``git log --reverse --topo-order TIP
^BASE`` were read. A run resumes that range after the N-th commit, then reads what was
added since TIP. When BASE or TIP no longer exist (a rewritten, garbage-collected history)
the whole history is read again and the pipeline, which knows the commits it recorded,
adds only what is new.
"""

import os
import subprocess
from datetime import datetime
from pathlib import Path
from typing import Iterator

from ..errors import BadInput
from .items import MERGE, REVERT, Item, Person, Read

# Nothing from the machine's or the user's configuration, nor from the caller's GIT_* variables.
_ENV = {
    "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
    "LC_ALL": "C",
    "HOME": "/nonexistent",
    "XDG_CONFIG_HOME": "/nonexistent",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": "/dev/null",
    "GIT_ATTR_NOSYSTEM": "1",
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_NO_REPLACE_OBJECTS": "1",
    "GIT_OPTIONAL_LOCKS": "0",
}
# What the repository's own configuration might otherwise switch on.
_SAFE = ("-c", "core.hooksPath=/dev/null", "-c", "core.fsmonitor=false", "-c", "core.attributesFile=/dev/null",
         "-c", "core.pager=cat", "-c", "log.showSignature=false", "-c", "diff.external=",
         "-c", "mailmap.blob=HEAD:.mailmap", "-c", "log.mailmap=true")
_FIELDS = "%H%x1f%P%x1f%aN%x1f%aE%x1f%an%x1f%ae%x1f%aI%x1f%(trailers:key=Co-authored-by,valueonly,separator=%x1d)%x1f%s%x1f"
TIMEOUT = 60  # seconds for a short git command (not the log, which streams)


def _git(path: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(["git", "--no-pager", *_SAFE, "-C", path, *args], env=_ENV, capture_output=True,
                            timeout=TIMEOUT, stdin=subprocess.DEVNULL)
    if check and result.returncode:
        raise BadInput(f"git failed in {path}: {result.stderr.decode(errors='replace').strip()[:200]}")
    return result


def check_repository(location: str) -> str:
    """The absolute path of a git repository (a work tree or a bare one); BadInput otherwise."""
    path = Path(location).expanduser()
    if not path.is_dir():
        raise BadInput(f"{location} is not a directory, so not a git repository")
    path = path.resolve()
    result = _git(str(path), "rev-parse", "--absolute-git-dir", check=False)
    if result.returncode:
        raise BadInput(f"{location} is not a git repository")
    return str(path)


def _commit(path: str, rev: str | None) -> str | None:
    """The commit id `rev` names, or None when it names none (an unborn HEAD, a lost tip)."""
    if not rev:
        return None
    result = _git(path, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}", check=False)
    return result.stdout.decode().strip() or None if result.returncode == 0 else None


def parse_cursor(cursor: str | None) -> tuple[str | None, str | None, int]:
    """(base, tip, commits read) of a cursor; (None, None, 0) to start from the beginning."""
    if not cursor:
        return None, None, 0
    try:
        span, _, count = cursor.rpartition("+")
        base, _, tip = span.partition("..")
        return base or None, tip or None, int(count)
    except ValueError as exc:
        raise BadInput(f"cannot read the git cursor {cursor!r}") from exc


class GitSource:
    """Reads a git repository's commits (see the module docstring)."""

    times_fixed = True  # a commit's time is part of the commit

    def __init__(self, location: str, *, evidence: str | None = None, merges: bool = False,
                 mailmap: bool = True):
        self.path = check_repository(location)
        self.evidence, self.merges, self.mailmap = evidence, merges, mailmap
        self._mapped: dict[str, tuple[str, str]] = {}

    def read(self, cursor: str | None) -> Iterator[Read]:
        """The commits after `cursor`, oldest first, each with the cursor just after it."""
        head = _commit(self.path, "HEAD")
        if head is None:
            return
        base, tip, done = parse_cursor(cursor)
        base_ok, tip_ok = _commit(self.path, base) if base else None, _commit(self.path, tip)
        if tip and tip_ok and (base is None or base_ok):
            yield from self._range(base_ok, tip_ok, skip=done)
            if tip_ok != head:
                yield from self._range(tip_ok, head, skip=0)
        else:  # a first run, or a history rewritten under the cursor
            yield from self._range(None, head, skip=0)

    def estimate(self, cursor: str | None) -> int:
        """About how many commits a read from `cursor` yields (for a progress bar)."""
        head = _commit(self.path, "HEAD")
        if head is None:
            return 0
        _, tip, _ = parse_cursor(cursor)
        base = _commit(self.path, tip) if tip else None
        result = _git(self.path, "rev-list", "--count", "--end-of-options", head, *([f"^{base}"] if base else []),
                      check=False)
        return int(result.stdout.decode().strip() or 0) if result.returncode == 0 else 0

    def _range(self, base: str | None, tip: str, skip: int) -> Iterator[Read]:
        revs = [tip] + ([f"^{base}"] if base else [])
        args = ["git", "--no-pager", *_SAFE, "-C", self.path, "log", "--reverse", "--topo-order",
                "--no-ext-diff", "--no-textconv", "--numstat", "--no-color", f"--format=%x1e{_FIELDS}",
                "--end-of-options", *revs]
        process = subprocess.Popen(args, env=_ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   stdin=subprocess.DEVNULL)
        try:
            number = 0
            for record in _records(process.stdout):
                number += 1
                if number <= skip:
                    continue
                yield Read(self._item(record), f"{base or ''}..{tip}+{number}")
        finally:
            process.stdout.close()
            if process.poll() is None:
                process.kill()
            process.wait(timeout=TIMEOUT)
            error = process.stderr.read().decode(errors="replace").strip()
            process.stderr.close()
        if process.returncode:
            raise BadInput(f"git log failed in {self.path}: {error[:200]}")

    def _item(self, record: str) -> Item:
        sha, parents, name, email, raw_name, raw_email, when, coauthors, subject, numstat = record.split("\x1f", 9)
        if not self.mailmap:
            name, email = raw_name, raw_email
        aka = (f"email:{raw_email.lower()}",) if self.mailmap and raw_email.lower() != email.lower() else ()
        people = [Person(f"email:{email.lower()}", name, aka=aka)]
        for value in filter(None, (v.strip() for v in coauthors.split("\x1d"))):
            co_name, co_email = self._coauthor(value)
            if co_email and f"email:{co_email.lower()}" not in {p.identity for p in people}:
                people.append(Person(f"email:{co_email.lower()}", co_name, role="co-author"))
        added = deleted = files = 0
        for line in numstat.splitlines():
            parts = line.split("\t", 2)
            if len(parts) == 3:
                files += 1
                added += int(parts[0]) if parts[0].isdigit() else 0
                deleted += int(parts[1]) if parts[1].isdigit() else 0
        flags = set()
        if len(parents.split()) > 1:
            flags.add(MERGE)
        if subject.startswith('Revert "'):
            flags.add(REVERT)
        evidence = self.evidence.replace("{sha}", sha).replace("{key}", sha) if self.evidence else None
        return Item(key=f"git:{sha}", time=datetime.fromisoformat(when), summary=subject, people=tuple(people),
                    evidence=evidence, metrics={"lines_added": added, "lines_deleted": deleted, "files": files},
                    flags=frozenset(flags))

    def _coauthor(self, value: str) -> tuple[str, str]:
        """A ``Name <email>`` trailer value through ``.mailmap``."""
        if value not in self._mapped:
            name, _, rest = value.partition("<")
            email = rest.split(">", 1)[0].strip()
            name = name.strip()
            if self.mailmap and email:
                result = _git(self.path, "check-mailmap", "--end-of-options", f"{name} <{email}>", check=False)
                mapped = result.stdout.decode(errors="replace").strip()
                if result.returncode == 0 and mapped.endswith(">") and "<" in mapped:
                    name, _, rest = mapped.rpartition("<")
                    name, email = name.strip(), rest[:-1].strip()
            self._mapped[value] = (name, email)
        return self._mapped[value]


def _records(stream) -> Iterator[str]:
    """The \\x1e-separated records of git's output, decoded, as they arrive."""
    pending = b""
    for block in iter(lambda: stream.read(1 << 16), b""):
        pending += block
        *complete, pending = pending.split(b"\x1e")
        for record in complete:
            if record.strip():
                yield record.decode(errors="replace").strip("\n")
    if pending.strip():
        yield pending.decode(errors="replace").strip("\n")
