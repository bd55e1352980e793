"""Wikis as import sources: a MediaWiki dump file, or a live wiki's API.

What is checked before a source is saved (a readable dump, an http(s) API URL, namespace
numbers, the kinds given to namespaces) and how a saved source is opened. A live wiki is
read through a ``fetch`` the edge hands in (the polite client of ``federation``): services
do not speak HTTP themselves.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Iterable

from ... import fields
from ...errors import BadInput
from ...importers.items import Source
from ...importers.mediawiki import DEFAULT_KINDS_BY_NAMESPACE, TALK_KIND
from ...importers.mediawiki_api import Fetch, MediaWikiApi
from ...importers.mediawiki_dump import MediaWikiDump

_MAGICS = (b"<", b"\x1f\x8b", b"BZh", b"\xef\xbb\xbf")  # XML (maybe after a BOM), gzip, bzip2


def check_dump(location: str) -> str:
    """The absolute path of a file that looks like a (maybe compressed) XML export."""
    path = Path(location).expanduser()
    try:
        with open(path, "rb") as stream:
            head = stream.read(3).lstrip()
    except OSError as error:
        raise BadInput(f"cannot read the MediaWiki dump {location}: {error.strerror or error}") from None
    if not head.startswith(_MAGICS):
        raise BadInput(f"{location} is not a MediaWiki XML export (plain, .gz or .bz2)")
    return str(path.resolve())


def check_api(location: str) -> str:
    """An http(s) URL of a wiki's api.php."""
    if not fields.is_http_url(location):
        raise BadInput(f"--mediawiki-api takes the http(s) URL of a wiki's api.php, not {location!r}")
    return location


def wiki_settings(options: dict[str, Any], *, api: bool, kind_given: bool,
                  check_kind: Callable[[str], str]) -> dict[str, Any]:
    """The settings a wiki source saves besides the common ones; BadInput for anything wrong.

    ``namespaces`` (numbers; by default all of a dump, a live wiki's articles), ``category``
    and ``pages`` (a live wiki only), ``namespace_kinds`` ({number: kind} over the defaults).
    With ``--kind`` every revision has that one kind instead (the pipeline then ignores
    items' own kinds), and namespace kinds are refused.
    """
    # A dump holds what its maker chose: all of it by default; a live wiki, its articles.
    namespaces = sorted({_namespace(n) for n in options.get("namespaces") or ()}) or ([0] if api else None)
    category = options.get("category") or None
    pages = list(dict.fromkeys(options.get("pages") or ()))
    if not api and (category or pages):
        raise BadInput("--category and --page narrow a live wiki (--mediawiki-api); a dump is read whole")
    given = {str(_namespace(n)): k for n, k in (options.get("namespace_kinds") or {}).items()}
    if kind_given and given:
        raise BadInput("--kind gives every revision one kind, --namespace-kind one per namespace: not both")
    kinds = {} if kind_given else {**{str(n): k for n, k in DEFAULT_KINDS_BY_NAMESPACE.items()}, **given}
    kinds = {n: check_kind(k) for n, k in kinds.items()}
    if not kind_given:
        check_kind(TALK_KIND)
    return {"wiki": {"namespaces": namespaces, "category": category, "pages": pages, "namespace_kinds": kinds}}


def open_dump(location: str, settings: dict) -> Source:
    """A saved dump source, ready to read."""
    namespaces = (settings.get("wiki") or {}).get("namespaces")  # None: all
    return MediaWikiDump(location, kinds=_kinds(settings), namespaces=namespaces)


def open_api(location: str, settings: dict, fetch: Fetch) -> Source:
    """A saved live-wiki source, reading through ``fetch``."""
    wiki = settings.get("wiki") or {}
    return MediaWikiApi(fetch, namespaces=wiki.get("namespaces") or [0], category=wiki.get("category"),
                        pages=wiki.get("pages") or (), kinds=_kinds(settings))


def _kinds(settings: dict) -> dict[int, str]:
    wiki = settings.get("wiki") or {}
    return {int(n): k for n, k in (wiki.get("namespace_kinds") or {}).items()}


def _namespace(value: Any) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise BadInput(f"a namespace is a number (0 for articles, 1 for their talk pages...), not {value!r}") from None
    if number < 0:
        raise BadInput(f"namespace {number} holds no revisions (special pages and media)")
    return number


def parse_namespace_kinds(pairs: Iterable[str]) -> dict[str, str]:
    """``N=KIND`` pairs from the command line."""
    kinds: dict[str, str] = {}
    for pair in pairs:
        number, sep, kind = pair.partition("=")
        if not sep or not kind:
            raise BadInput(f"--namespace-kind takes N=KIND, such as 10=code, not {pair!r}")
        kinds[str(_namespace(number))] = kind
    return kinds
