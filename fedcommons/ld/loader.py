"""Offline JSON-LD document loader, and expand/compact wrappers that use it.

The loader answers only from the contexts pinned in vocab/contexts (listed in
vocab/contexts/index.json) and from our own context under its canonical URL. It never
makes a network request: a context that is not pinned is an error naming its URL, never
a fetch, so JSON-LD processing cannot be steered by whoever controls a remote URL and
cannot stall on one.
"""

import copy
import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from types import MappingProxyType

from pyld import jsonld
from pyld.context_resolver import ContextResolver

from ..errors import BadInput, UnknownContext
from .context import FC_CONTEXT_URL, vocab_dir

# Parsed documents by URL. Files are read once per process; a race between two threads
# only parses the same file twice.
_parsed: dict[str, object] = {}

_RESOLVED_CONTEXTS_MAX = 512


class _ResolvedContexts(dict):
    """pyld's cache of resolved contexts, private to this loader and bounded.

    pyld's default cache is shared by every caller in the process and keyed by URL
    alone: a context some other code fetched with another loader would be served to us
    without our loader being asked. Inline contexts are keyed by their canonical JSON, so
    documents from outside could grow an unbounded cache; the oldest entry goes first.
    """

    def __setitem__(self, key, value):
        if key not in self and len(self) >= _RESOLVED_CONTEXTS_MAX:
            try:
                del self[next(iter(self))]
            except (KeyError, RuntimeError, StopIteration):
                pass  # another thread evicted first; being briefly over the bound is harmless
        super().__setitem__(key, value)


_resolved = _ResolvedContexts()


@cache
def pinned_contexts() -> Mapping[str, Path]:
    """Every context URL the loader answers, mapped to the file that answers it (read-only)."""
    contexts = vocab_dir() / "contexts"
    index = json.loads((contexts / "index.json").read_bytes())
    files = {url: contexts / name for url, name in index.items()}
    files[FC_CONTEXT_URL] = vocab_dir() / "fedcommons.jsonld"
    return MappingProxyType(files)


def document_loader(url: str, options: dict | None = None) -> dict:
    """pyld document loader that answers from the pinned files and raises UnknownContext otherwise.

    Returns pyld's RemoteDocument shape. The document is a fresh deep copy each time,
    because pyld rewrites relative context URLs in place; expand and compact cache
    resolved contexts, so this runs about once per URL per process.
    """
    document = _parsed.get(url)
    if document is None:
        path = pinned_contexts().get(url)
        if path is None:
            raise UnknownContext(
                f"JSON-LD context {url} is not pinned in vocab/contexts, and contexts are never "
                "fetched; pin a copy (see vocab/contexts/SOURCES.md) or leave the context out"
            )
        document = json.loads(path.read_bytes())
        _parsed[url] = document
    return {
        "contentType": "application/ld+json",
        "contextUrl": None,
        "documentUrl": url,
        "document": copy.deepcopy(document),
    }


def expand(doc: dict | list) -> list:
    """JSON-LD expansion of `doc` with the offline loader.

    Raises UnknownContext (naming the URL) for a context that is not pinned, and
    BadInput for a document that is not valid JSON-LD.
    """
    try:
        return jsonld.expand(doc, _options())
    except jsonld.JsonLdError as exc:
        raise _our_error(exc) from exc


def compact(doc: dict | list, ctx: dict | list | str) -> dict:
    """JSON-LD compaction of `doc` against `ctx` with the offline loader (errors as expand)."""
    try:
        return jsonld.compact(doc, ctx, _options())
    except jsonld.JsonLdError as exc:
        raise _our_error(exc) from exc


def _options() -> dict:
    # A resolver per operation: its per-operation cache is a plain dict that only grows.
    return {"documentLoader": document_loader, "contextResolver": ContextResolver(_resolved, document_loader)}


def _our_error(exc: jsonld.JsonLdError) -> Exception:
    # pyld wraps whatever the loader raised, sometimes twice (expansion inside
    # compaction), so an UnknownContext we raised sits somewhere down the cause chain.
    reasons: list[str] = []
    code = None
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, UnknownContext):
            return UnknownContext(str(cause))
        if isinstance(cause, jsonld.JsonLdError):
            reasons.append(str(cause.args[0]) if cause.args else cause.type)
            code = cause.code or code
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    return BadInput("not valid JSON-LD: " + "; ".join(reasons) + (f" ({code})" if code else ""))
