"""The JSON-LD contexts our documents carry, and where the vocabulary files live.

Documents we send name only context URLs every fediverse server already knows
(ActivityStreams and the well-known security contexts) and carry our own terms inline,
as Mastodon does with its "toot" terms: a strict server such as Fedify tries to fetch
any other context URL and fails.
"""

import json
from functools import cache
from pathlib import Path

from ..errors import FedcommonsError

AS = "https://www.w3.org/ns/activitystreams"
SECURITY_V1 = "https://w3id.org/security/v1"
DATA_INTEGRITY_V2 = "https://w3id.org/security/data-integrity/v2"
MULTIKEY_V1 = "https://w3id.org/security/multikey/v1"

FC_NS = "https://w3id.org/fedcommons#"
FC_CONTEXT_URL = "https://w3id.org/fedcommons/v1"

# Where pyproject's force-include puts the top-level vocab/ inside the wheel.
PACKAGED_VOCAB = "_vocab"

_PACKAGE_DIR = Path(__file__).resolve().parent.parent


def find_vocab(package_dir: Path) -> Path:
    """The vocab folder for a `fedcommons` package at `package_dir`.

    A wheel ships it as package data (`fedcommons/_vocab`); a source checkout or an
    editable install has no such folder, and the repository's `vocab/` sits beside the
    package instead.
    """
    for candidate in (package_dir / PACKAGED_VOCAB, package_dir.parent / "vocab"):
        if (candidate / "fedcommons.jsonld").is_file():
            return candidate
    raise FedcommonsError(
        f"the vocabulary files are missing: neither {package_dir / PACKAGED_VOCAB} nor "
        f"{package_dir.parent / 'vocab'} holds fedcommons.jsonld; reinstall fedcommons"
    )


@cache
def vocab_dir() -> Path:
    """The folder holding fedcommons.jsonld and the pinned contexts (looked up once)."""
    return find_vocab(_PACKAGE_DIR)


@cache
def fc_context() -> dict:
    """The inner `@context` object of vocab/fedcommons.jsonld, parsed once.

    Every call returns the same dict, shared by every document that embeds it: never
    mutate it (copy.deepcopy it first if you must change a term).
    """
    path = vocab_dir() / "fedcommons.jsonld"
    try:
        context = json.loads(path.read_bytes())["@context"]
    except (ValueError, KeyError, TypeError) as exc:
        raise FedcommonsError(
            f"{path} is not a JSON-LD context document ({exc}); reinstall fedcommons"
        ) from exc
    if not isinstance(context, dict):
        raise FedcommonsError(f"{path}: @context must be an object; reinstall fedcommons")
    return context


def activity_context() -> list:
    """The `@context` of every activity we write: [AS, data-integrity v2, our terms inline].

    Returns a new three-item list on each call (cheap: the items are shared), so a
    caller may extend its own copy; the inline dict is `fc_context()` and must not be
    mutated.
    """
    return [AS, DATA_INTEGRITY_V2, fc_context()]


def actor_context() -> list:
    """The `@context` of actor documents: [AS, security v1, multikey v1, our terms inline].

    Security v1 defines `publicKey`/`publicKeyPem` (what Mastodon reads); multikey v1
    defines `Multikey` with its `controller` and `publicKeyMultibase`. `assertionMethod`
    is defined at the top level by neither multikey v1 nor data-integrity v2 (Fedify adds
    DID v1 for it), so our inline context defines it with the security vocabulary's IRI.
    Returns a new list on each call; the inline dict is shared and must not be mutated.
    """
    return [AS, SECURITY_V1, MULTIKEY_V1, fc_context()]
