"""The body of a C2SP tlog-witness ``add-checkpoint`` request. Pure.

::

    old <size the witness last cosigned, or 0>
    <consistency proof from that size to the checkpoint's, one base64 hash a line>
    <empty line>
    <the signed checkpoint note>

At most 63 proof lines; the proof is empty when the old size is 0.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..errors import BadInput
from ..untrusted import whole_number
from .checkpoint import MAX_TREE_SIZE
from .merkle import HASH_SIZE

MAX_PROOF_LINES = 63
MAX_BODY = 64 * 1024
SIZE_CONTENT_TYPE = "text/x.tlog.size"

_OLD = re.compile(r"old (0|[1-9][0-9]*)", re.ASCII)


@dataclass(frozen=True)
class AddCheckpoint:
    """A parsed add-checkpoint request."""

    old_size: int
    proof: list[bytes]
    note: str


def format_add_checkpoint(old_size: int, proof: Sequence[bytes], note: str) -> bytes:
    """The request body for submitting ``note`` with a proof from ``old_size``."""
    if len(proof) > MAX_PROOF_LINES:
        raise BadInput(f"a consistency proof has at most {MAX_PROOF_LINES} hashes")
    lines = [f"old {old_size}"] + [base64.b64encode(h).decode("ascii") for h in proof]
    return ("\n".join(lines) + "\n\n" + note).encode("utf-8")


def parse_add_checkpoint(body: bytes) -> AddCheckpoint:
    """Read a request body; :class:`BadInput` (a 400) naming what is wrong."""
    if len(body) > MAX_BODY:
        raise BadInput(f"an add-checkpoint body is at most {MAX_BODY} bytes")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise BadInput("the add-checkpoint body is not UTF-8") from None
    head, sep, note = text.partition("\n\n")
    if not sep:
        raise BadInput("the add-checkpoint body needs an empty line before the checkpoint")
    lines = head.split("\n")
    match = _OLD.fullmatch(lines[0])
    if not match:
        raise BadInput("the add-checkpoint body starts with 'old <size>' (decimal, no leading zeros)")
    if len(lines) - 1 > MAX_PROOF_LINES:
        raise BadInput(f"more than {MAX_PROOF_LINES} consistency proof lines")
    proof = []
    for number, line in enumerate(lines[1:], start=1):
        try:
            value = base64.b64decode(line, validate=True)
        except (binascii.Error, ValueError):
            raise BadInput(f"consistency proof line {number} is not base64") from None
        if len(value) != HASH_SIZE:
            raise BadInput(f"consistency proof line {number} is not a {HASH_SIZE}-byte hash")
        proof.append(value)
    return AddCheckpoint(whole_number("the old size", match.group(1), maximum=MAX_TREE_SIZE), proof, note)
