"""C2SP tlog-checkpoint bodies: the note text that states a log's size and root.

Only the text is handled here; signing and verifying the note around it is
``fedcommons.sig.note``. Parsing is strict because a checkpoint is compared byte for
byte across nodes: a text that could be read two ways is refused.

Body layout (https://c2sp.org/tlog-checkpoint)::

    origin
    tree size, ASCII decimal, no leading zeros
    base64 root hash
    extension lines (optional, non-empty)

with every line, the last included, ended by a newline.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass

from fedcommons.errors import BadInput
from fedcommons.log.merkle import HASH_SIZE

__all__ = ["MAX_TREE_SIZE", "Checkpoint", "format_checkpoint", "parse_checkpoint"]

MAX_TREE_SIZE = 2**63 - 1
"""Largest tree size accepted: the log's sizes are SQLite (signed 64-bit) integers."""

_SIZE = re.compile(r"0|[1-9][0-9]*", re.ASCII)
# Standard base64 with padding, 32 bytes -> 43 characters and one "=".
_ROOT = re.compile(r"[A-Za-z0-9+/]{43}=", re.ASCII)
# A signed note's text may hold no control characters but the line feeds between lines.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class Checkpoint:
    """A log's claim about itself: its ``origin`` had ``size`` leaves with ``root``."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check_line(self.origin, "origin")
        if not isinstance(self.size, int) or isinstance(self.size, bool):
            raise BadInput(f"checkpoint size must be an integer, got {type(self.size).__name__}")
        if not 0 <= self.size <= MAX_TREE_SIZE:
            raise BadInput(f"checkpoint size {self.size} is outside 0..{MAX_TREE_SIZE}")
        if not isinstance(self.root, bytes) or len(self.root) != HASH_SIZE:
            raise BadInput(f"checkpoint root must be {HASH_SIZE} bytes")
        if not isinstance(self.extensions, tuple):
            raise BadInput("checkpoint extensions must be a tuple of lines")
        for position, line in enumerate(self.extensions):
            _check_line(line, f"extension line {position + 1}")


def format_checkpoint(cp: Checkpoint) -> str:
    """The note text of ``cp``: origin, size and base64 root lines, then any extension lines."""
    lines = [cp.origin, str(cp.size), base64.b64encode(cp.root).decode("ascii"), *cp.extensions]
    return "".join(line + "\n" for line in lines)


def parse_checkpoint(body: str) -> Checkpoint:
    """Read a checkpoint note text; raise ``BadInput`` naming the first thing wrong with it."""
    if not isinstance(body, str):
        raise BadInput(f"checkpoint body must be text, got {type(body).__name__}")
    if not body.endswith("\n"):
        raise BadInput("checkpoint body must end with a newline")
    lines = body[:-1].split("\n")
    if len(lines) < 3:
        raise BadInput(f"checkpoint body has {len(lines)} lines, needs origin, size and root")
    origin, size_text, root_text, *extensions = lines

    _check_line(origin, "origin")
    if not _SIZE.fullmatch(size_text):
        raise BadInput(
            f"checkpoint size {size_text!r} is not a decimal number without sign or leading zeros"
        )
    # Length first: int() raises ValueError past 4,300 digits.
    if len(size_text) > len(str(MAX_TREE_SIZE)) or int(size_text) > MAX_TREE_SIZE:
        raise BadInput(f"checkpoint size {size_text:.40} is larger than {MAX_TREE_SIZE}")
    size = int(size_text)
    # The regex pins the alphabet and the length of 32 encoded bytes; re-encoding then
    # rejects non-zero unused bits in the last character, so each root has one spelling.
    if not _ROOT.fullmatch(root_text):
        raise BadInput(f"checkpoint root {root_text!r} is not the standard base64 of {HASH_SIZE} bytes")
    root = base64.b64decode(root_text, validate=True)
    if base64.b64encode(root).decode("ascii") != root_text:
        raise BadInput(f"checkpoint root {root_text!r} is not canonical base64")
    for position, line in enumerate(extensions):
        _check_line(line, f"extension line {position + 1}")
    return Checkpoint(origin=origin, size=size, root=root, extensions=tuple(extensions))


def _check_line(line: object, name: str) -> None:
    if not isinstance(line, str):
        raise BadInput(f"checkpoint {name} must be text, got {type(line).__name__}")
    if not line:
        raise BadInput(f"checkpoint {name} is empty")
    match = _CONTROL.search(line)
    if match:
        raise BadInput(f"checkpoint {name} contains control character {match.group()!r}")
