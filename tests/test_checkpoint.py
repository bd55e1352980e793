"""C2SP tlog-checkpoint bodies: published checkpoints, round trips, strict parsing."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest

from fedcommons.errors import BadInput
from fedcommons.log.checkpoint import MAX_TREE_SIZE, Checkpoint, format_checkpoint, parse_checkpoint
from fedcommons.log.merkle import Frontier, leaf_hash

ROOT = hashlib.sha256(b"some root").digest()
ROOT_B64 = base64.b64encode(ROOT).decode()
VALID = f"example.com/log\n42\n{ROOT_B64}\n"
# 0xfb bytes encode to "+" and "/" in standard base64, "-" and "_" in the URL-safe form.
HIGH = b"\xfb" * 32
HIGH_URLSAFE = base64.urlsafe_b64encode(HIGH).decode()
HIGH_STANDARD = base64.b64encode(HIGH).decode()


def note_text(note: str) -> str:
    """The text of a signed note: everything before the blank line, newline included."""
    text, blank, _ = note.partition("\n\n")
    assert blank, "a signed note has a blank line before its signatures"
    return text + "\n"


def test_published_checkpoints_parse_and_match_the_leaves(vectors):
    published = json.loads((vectors / "signed-note" / "tlog-checkpoints.json").read_text())
    leaves = [leaf.encode("ascii") for leaf in published["leaves_ascii"]]
    checkpoints = published["checkpoints"]
    assert [c["tree_size"] for c in checkpoints] == list(range(len(leaves) + 1))

    # Roots come from our own tree over the ASCII leaves, never from the file.
    frontier = Frontier.empty()
    roots = [frontier.root()]
    for leaf in leaves:
        frontier.append(leaf_hash(leaf))
        roots.append(frontier.root())

    for entry in checkpoints:
        text = note_text(entry["note"])
        cp = parse_checkpoint(text)
        assert cp.origin == published["origin"]
        assert cp.size == entry["tree_size"]
        assert cp.root == roots[cp.size]
        assert cp.root == base64.b64decode(entry["root_hash_b64"])
        assert cp.extensions == ()
        assert format_checkpoint(cp) == text


def test_format_round_trip_with_extensions():
    cp = Checkpoint("example.com/log", 20852163, ROOT, ("Timestamp: 1689748607742585419", "x"))
    text = format_checkpoint(cp)
    assert text == f"example.com/log\n20852163\n{ROOT_B64}\nTimestamp: 1689748607742585419\nx\n"
    assert parse_checkpoint(text) == cp


def test_size_zero_and_largest_size_parse():
    assert parse_checkpoint(f"o\n0\n{ROOT_B64}\n").size == 0
    assert parse_checkpoint(f"o\n{MAX_TREE_SIZE}\n{ROOT_B64}\n").size == MAX_TREE_SIZE


def _non_canonical_root() -> str:
    # 32 bytes leave 2 unused bits in the last base64 character; set one of them.
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    last = ROOT_B64[42]
    return ROOT_B64[:42] + alphabet[alphabet.index(last) | 1] + "="


@pytest.mark.parametrize(
    "body, reason",
    [
        (VALID[:-1], "end with a newline"),
        ("example.com/log\n42\n", "needs origin, size and root"),
        ("example.com/log\n", "needs origin, size and root"),
        ("\n", "needs origin, size and root"),
        ("", "end with a newline"),
        (f"\n42\n{ROOT_B64}\n", "origin is empty"),
        (f"example.com/log\n042\n{ROOT_B64}\n", "leading zeros"),
        (f"example.com/log\n00\n{ROOT_B64}\n", "leading zeros"),
        (f"example.com/log\n+42\n{ROOT_B64}\n", "sign"),
        (f"example.com/log\n-1\n{ROOT_B64}\n", "sign"),
        (f"example.com/log\n 42\n{ROOT_B64}\n", "decimal"),
        (f"example.com/log\n4_2\n{ROOT_B64}\n", "decimal"),
        (f"example.com/log\n\uff14\uff12\n{ROOT_B64}\n", "decimal"),  # fullwidth digits
        (f"example.com/log\n\n{ROOT_B64}\n", "decimal"),
        (f"example.com/log\n{MAX_TREE_SIZE + 1}\n{ROOT_B64}\n", "larger than"),
        (f"example.com/log\n42\n{base64.b64encode(ROOT[:31]).decode()}\n", "32 bytes"),
        (f"example.com/log\n42\n{base64.b64encode(ROOT + b'x').decode()}\n", "32 bytes"),
        (f"example.com/log\n42\n{ROOT_B64.rstrip('=')}\n", "32 bytes"),
        (f"example.com/log\n42\n{HIGH_URLSAFE}\n", "32 bytes"),
        (f"example.com/log\n42\n {ROOT_B64}\n", "32 bytes"),
        (f"example.com/log\n42\n{_non_canonical_root()}\n", "canonical"),
        (f"example.com/log\n42\n{ROOT_B64}\n\n", "extension line 1 is empty"),
        (f"example.com/log\n42\n{ROOT_B64}\next\n\n", "extension line 2 is empty"),
        (f"example.com/log\r\n42\n{ROOT_B64}\n", "control character"),
        (f"example.com/\tlog\n42\n{ROOT_B64}\n", "control character"),
        (f"example.com/log\n42\n{ROOT_B64}\nbad\x00ext\n", "control character"),
    ],
)
def test_parse_rejects_malformed_bodies(body, reason):
    with pytest.raises(BadInput, match=reason):
        parse_checkpoint(body)


def test_the_rejected_bodies_differ_from_a_valid_one_only_where_intended():
    # Guards the table above: the untouched body parses, so each rejection is due
    # to its own change.
    assert parse_checkpoint(VALID) == Checkpoint("example.com/log", 42, ROOT)
    assert parse_checkpoint(f"example.com/log\n42\n{HIGH_STANDARD}\n").root == HIGH


def test_parse_rejects_bytes():
    with pytest.raises(BadInput, match="text"):
        parse_checkpoint(VALID.encode())


@pytest.mark.parametrize(
    "kwargs, reason",
    [
        ({"origin": ""}, "origin is empty"),
        ({"origin": "a\nb"}, "control character"),
        ({"size": -1}, "outside"),
        ({"size": MAX_TREE_SIZE + 1}, "outside"),
        ({"size": "42"}, "integer"),
        ({"size": True}, "integer"),
        ({"root": ROOT[:31]}, "32 bytes"),
        ({"root": ROOT_B64}, "32 bytes"),
        ({"extensions": ("",)}, "extension line 1 is empty"),
        ({"extensions": ("a", "b\nc")}, "extension line 2"),
        ({"extensions": ["a"]}, "tuple"),
    ],
)
def test_checkpoint_refuses_values_it_could_not_format(kwargs, reason):
    fields = {"origin": "example.com/log", "size": 42, "root": ROOT, **kwargs}
    with pytest.raises(BadInput, match=reason):
        Checkpoint(**fields)
