"""Blocking a domain or an actor, as a fediverse server's operator does.

A blocked domain covers every host under it (blocking ``example.com`` blocks
``social.example.com``), on any port. What a block does: activities from it are refused
at the inbox with 403; nothing is delivered or fetched there (queued deliveries fail as
blocked); its people's contributions are hidden on this node's pages. The log is never
touched: what was recorded stays recorded and verifiable, and standing (a function of the
log) does not change; a block is this node's choice of what to show and to talk to.
"""

from collections.abc import Callable
from urllib.parse import urlsplit

from ...errors import BadInput
from ...node import Node, now
from ...store import blocks as block_store
from ...store.blocks import BlockRow
from ...store.db import transaction

MAX_REASON = 500


def target_of(text: str) -> tuple[str, str]:
    """(target, kind) for what someone typed: an actor URL, or a domain (``example.com``)."""
    text = (text or "").strip()
    if "://" in text:
        parts = urlsplit(text)
        if parts.scheme not in ("http", "https") or not parts.hostname or not parts.path.strip("/"):
            raise BadInput(f"{text!r} is neither a domain such as example.com nor an actor URL")
        return f"{parts.scheme}://{parts.netloc.lower()}{parts.path}", "actor"
    domain = text.lower().rstrip(".").lstrip("@")
    if "@" in domain:
        raise BadInput(f"block {text!r} by its actor URL (or its whole domain: {domain.rpartition('@')[2]})")
    labels = domain.split(".")
    if not domain or len(domain) > 253 or any(not label or len(label) > 63 or not all(
            ch.isalnum() or ch == "-" for ch in label) for label in labels):
        raise BadInput(f"{text!r} is neither a domain such as example.com nor an actor URL")
    return domain, "domain"


def block(node: Node, text: str, reason: str | None = None) -> tuple[str, bool]:
    """Block a domain or an actor; (target, whether it is new). Deliveries queued for it
    fail as blocked when their turn comes."""
    target, kind = target_of(text)
    if reason is not None and len(reason) > MAX_REASON:
        raise BadInput(f"a reason may have at most {MAX_REASON} characters")
    if kind == "domain" and target == (urlsplit(node.url).hostname or ""):
        raise BadInput("a node cannot block its own domain")
    with transaction(node.db):
        return target, block_store.add(node.db, target, kind, reason, now())


def unblock(node: Node, text: str) -> str:
    """Lift a block; BadInput when there is none."""
    target, _ = target_of(text)
    with transaction(node.db):
        if not block_store.remove(node.db, target):
            raise BadInput(f"{target} is not blocked")
    return target


def blocks(node: Node) -> list[BlockRow]:
    """Every block in force."""
    return block_store.listing(node.db)


def domains_of(host: str) -> list[str]:
    """A host and every domain above it: ``a.b.example`` -> a.b.example, b.example, example."""
    labels = host.lower().rstrip(".").split(".")
    return [".".join(labels[i:]) for i in range(len(labels))]


def blocked(node: Node, url: str | None) -> str | None:
    """The block that covers `url` (an actor, an inbox, any URL there), or None."""
    targets = _targets(url)
    return block_store.any_of(node.db, targets) if targets else None


def blocked_check(node: Node) -> Callable[[str | None], str | None]:
    """:func:`blocked` for many URLs at once (a page's rows): the blocks are read once."""
    known = {row.target for row in block_store.listing(node.db)}
    return lambda url: next((target for target in _targets(url) if target in known), None) if known else None


def _targets(url: str | None) -> list[str]:
    """What a block on `url` could name: its host and every domain above it, and the URL
    itself when it has a path (an actor)."""
    parts = urlsplit(url or "")
    host = parts.hostname or ""
    if not host:
        return []
    targets = domains_of(host)
    if parts.path.strip("/"):
        targets.append(f"{parts.scheme}://{parts.netloc.lower()}{parts.path}")
    return targets
