"""Reading a contribution claim out of a fediverse Note ("@garden@node 3h watering #care").

Pure: the Note in, what it claims (or why it cannot be read) out.
"""

import re
from dataclasses import dataclass
from html.parser import HTMLParser

from . import fields
from .effort import find_effort


@dataclass(frozen=True)
class NoteClaim:
    """What a Note claims: minutes of a kind of work, with the rest of its text as summary."""

    minutes: int | None
    kind: str | None
    summary: str
    problem: str | None  # why it cannot be recorded, in words for the reply


class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in ("br", "p"):
            self.parts.append(" ")

    def handle_data(self, data):
        self.parts.append(data)


def note_text(note: dict) -> str:
    """The Note's plain text: `source.content` when a client sent it, else `content` without HTML."""
    source = fields.embedded(note, "source")
    plain = fields.text(source, "content") if source is not None else None
    if plain is not None:
        return " ".join(plain.split())
    content = fields.text(note, "content")
    if content is None:
        return ""
    parser = _Text()
    parser.feed(content)
    return " ".join("".join(parser.parts).split())


def hashtags(note: dict, text: str) -> list[str]:
    """Hashtag names, from `Hashtag` tags (whatever their href) and from the text itself."""
    names = []
    for tag in fields.objects(note, "tag"):
        name = fields.text(tag, "name")
        if tag.get("type") == "Hashtag" and name:
            names.append(name.lstrip("#").lower())
    names += [m.lower() for m in re.findall(r"(?<![\w/])#(\w+)", text)]
    return list(dict.fromkeys(names))


def read_claim(note: dict, kinds: tuple[str, ...]) -> NoteClaim:
    """Effort and kind from a Note's text and tags."""
    text = note_text(note)
    minutes = find_effort(text)
    tags = hashtags(note, text)
    kind = next((t for t in tags if t in kinds), None)
    summary = re.sub(r"(?<![\w/])[@#][\w.@-]+(?::\d+)?", " ", text)
    summary = re.sub(r"(?<![\w.])\d+(?:\.\d+)?\s*h(?:\s*\d+\s*m(?:in)?)?(?!\w)|(?<![\w.])\d+\s*m(?:in)?(?!\w)",
                     " ", summary, flags=re.IGNORECASE)
    summary = " ".join(summary.split())[:500] or "contribution"
    problem = None
    if minutes is None:
        problem = "I found no effort in it; write the time spent like 3h, 90m or 1h30m"
    elif kind is None:
        problem = f"I found no kind of work in it; add a hashtag such as {', '.join('#' + k for k in kinds[:4])}"
    return NoteClaim(minutes, kind, summary, problem)


def mentioned(note: dict) -> list[str]:
    """Every actor a Note mentions or addresses: Mention hrefs, to and cc."""
    found = [fields.ref(tag, "href") for tag in fields.objects(note, "tag") if tag.get("type") == "Mention"]
    found += fields.refs(note, "to") + fields.refs(note, "cc")
    return list(dict.fromkeys(href for href in found if href))
