"""Sources a pool imports from, their runs, and a steward's validation of a run.

A type of source is one entry of :data:`SOURCE_TYPES`: the command-line option that names
it, how to check a location before anything is saved, how to open it for reading, and the
effort rule it uses unless told otherwise. The CLI builds its options from this table, so
a new source (a citation file, a wiki) is one entry here.
"""

from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Callable

from ... import activities, urls
from ...effort_rules import rule as make_rule
from ...errors import BadInput, Conflict, Forbidden, NotFound
from ...fields import is_http_url
from ...importers import cff, crossref, git
from ...importers.items import Read, Source
from ...node import Node, now
from ...store import actors as actor_store
from ...store import contributions as contribution_store
from ...store import imports as import_store
from ...store.db import bulk_writes, transaction
from ...urls import check_name
from ..actors.actors import require
from ..actors.signing import BatchSigner, pipelined
from ..log import log_writer
from .collector import fewer_collections
from .importing import BATCH, SOURCE_BATCH
from . import wikis
from .pipeline import DEFAULT_BOTS, Settings, check_kind, import_source

__all__ = ["BATCH", "SOURCE_BATCH", "SOURCE_TYPES", "add_source", "import_source", "open_source", "source_rows",
           "validate_run"]


@dataclass(frozen=True)
class SourceType:
    """One kind of source: how it is named, checked and opened."""

    option: str                               # the CLI option giving its location
    help: str                                 # that option's help text
    check: Callable[[str], str | None]        # location -> normalised location (None: as given), or BadInput
    open: Callable[..., Source]               # (location, settings[, fetch]) -> a source to read
    rule: str                                 # the effort rule unless one is given
    kind: str                                 # the kind unless one is given
    metavar: str = "PATH"                     # what the CLI option takes
    noun: str = "items"                       # what its items are called in a run's summary
    network: bool = False                     # read through a fetch the edge hands in
    extra: Callable[..., dict] | None = None  # (options, api=, kind_given=, check_kind=) -> settings
    evidence_template: bool = True            # takes --evidence-url (a wiki links its diffs itself)


SOURCE_TYPES: dict[str, SourceType] = {
    "git": SourceType(
        option="--git", help="a git repository (a work tree or a bare repository)",
        check=git.check_repository,
        open=lambda location, s: git.GitSource(location, evidence=s.get("evidence"), merges=s.get("merges", False)),
        rule="sessions/1", kind="code",
    ),
    # Citations say who made a work, not how long it took: the contributor states the
    # effort and a steward validates it (claim/1). An author's CRediT role, where the
    # record gives one, is the item's kind.
    "cff": SourceType(
        option="--cff", metavar="FILE", help="a CITATION.cff file (validated against the CFF 1.2.0 schema)",
        check=lambda location: _checked_file(location, cff.CffSource),
        open=lambda location, s: cff.CffSource(location),
        rule="claim/1", kind="research", noun="works", evidence_template=False,  # a DOI is its own evidence
    ),
    "crossref": SourceType(
        option="--crossref", metavar="FILE", help="Crossref work records (JSON lines, or a Crossref API response)",
        check=lambda location: _checked_file(location, crossref.CrossrefSource),
        open=lambda location, s: crossref.CrossrefSource(location),
        rule="claim/1", kind="research", noun="works", evidence_template=False,
    ),
    # Edit sessions are how wiki labour is usually measured: sessions/1 by default.
    "mediawiki-dump": SourceType(
        option="--mediawiki-dump", metavar="FILE",
        help="a MediaWiki XML export, full or stub history, plain, .gz or .bz2",
        check=wikis.check_dump, open=wikis.open_dump, rule="sessions/1", kind="docs", noun="revisions",
        extra=partial(wikis.wiki_settings, api=False), evidence_template=False,
    ),
    "mediawiki-api": SourceType(
        option="--mediawiki-api", metavar="URL", help="a live wiki through its API (https://wiki.example/w/api.php)",
        check=wikis.check_api, open=wikis.open_api, rule="sessions/1", kind="docs", noun="revisions",
        network=True, extra=partial(wikis.wiki_settings, api=True), evidence_template=False,
    ),
}


def _checked_file(location: str, source: Callable[[str], Source]) -> str:
    """The absolute path of a citation file that reads whole; BadInput (naming the file and
    the place) otherwise. Reading it all is cheap: such files are small and capped."""
    path = str(Path(location).expanduser().resolve())
    for _ in source(path).read(None):
        pass
    return path


def add_source(node: Node, name: str, *, pool: str, type_: str, location: str,
               rule: str | None = None, parameters: dict | None = None, kind: str | None = None,
               evidence: str | None = None, bots: tuple[str, ...] | None = None,
               merges: bool = False, options: dict | None = None) -> import_store.SourceRow:
    """Check and save a new source; BadInput (nothing saved) for anything wrong.

    ``options`` are those of the source's type (a wiki's namespaces, category, pages and
    namespace kinds); a type without any refuses them."""
    name = check_name(name, "source name")
    if type_ not in SOURCE_TYPES:
        raise BadInput(f"unknown source type {type_!r}: use one of {', '.join(SOURCE_TYPES)}")
    spec = SOURCE_TYPES[type_]
    pool_row = require(node, pool, "pool")
    effort_rule = make_rule(rule or spec.rule, parameters)
    given_kind, kind = kind, check_kind(node, kind or spec.kind)
    if evidence is not None and not spec.evidence_template:
        raise BadInput(f"--evidence-url is not for a {type_} source: each revision links its own diff")
    if spec.extra is None and any(options.values() if options else ()):
        raise BadInput(f"{', '.join(k for k, v in options.items() if v)}: not options of a {type_} source")
    extra = spec.extra(options or {}, kind_given=given_kind is not None, check_kind=partial(check_kind, node)) \
        if spec.extra else {}
    if evidence is not None and ("{sha}" not in evidence and "{key}" not in evidence
                                 or not is_http_url(evidence.replace("{sha}", "0").replace("{key}", "0"))
                                 or any(c.isspace() for c in evidence)):
        raise BadInput("--evidence-url is an http(s) URL with {sha} (or {key}) where the commit goes")
    location = spec.check(location) or location
    settings = Settings(effort_rule, kind, tuple(bots) if bots else DEFAULT_BOTS, merges,
                        item_kinds=given_kind is None).to_json()
    if evidence:
        settings["evidence"] = evidence
    settings.update(extra)
    row = import_store.SourceRow(name, pool_row.id, type_, location, settings, None, now())
    with transaction(node.db):
        if import_store.source(node.db, name):
            raise Conflict(f"there is already a source named {name!r} (see `fedcommons import sources`)")
        import_store.add_source(node.db, row)
    return row


def open_source(row: import_store.SourceRow, fetch_for: Callable[[str], Callable] | None = None) -> Source:
    """The source object that reads a saved source. A source read over the network needs
    ``fetch_for(location)``: the edge's client for that location."""
    spec = SOURCE_TYPES[row.type]
    if not spec.network:
        return spec.open(row.location, row.settings)
    if fetch_for is None:
        raise BadInput(f"the source {row.name!r} reads {row.location} over the network; no client was given")
    return spec.open(row.location, row.settings, fetch_for(row.location))


def network_sources(node: Node) -> list[import_store.SourceRow]:
    """The sources read over the network (live wikis), which the server follows."""
    return [row for row in import_store.sources(node.db) if SOURCE_TYPES[row.type].network]


def record_reads(node: Node, name: str, reads: list[Read], *, times_fixed: bool):
    """Record reads already made (by a worker, from a source's cursor) as one run of the
    source ``name``; its cursor moves to the last of them. ``times_fixed``: the source's
    (see importers.items.Source)."""
    row = import_store.source(node.db, name)
    if row is None:
        raise NotFound(f"no import source named {name!r}")
    return import_source(node, row, _Reads(reads, times_fixed))


class _Reads:
    """Reads already made, as a source."""

    def __init__(self, reads: list[Read], times_fixed: bool):
        self.reads, self.times_fixed = reads, times_fixed

    def read(self, cursor: str | None):
        return iter(self.reads)


def source_rows(node: Node, names: list[str]) -> list[import_store.SourceRow]:
    """The named sources (all, when none are named); NotFound for an unknown name."""
    if not names:
        rows = import_store.sources(node.db)
        if not rows:
            raise NotFound("no import sources yet (add one with `fedcommons import source add`)")
        return rows
    rows = []
    for name in names:
        row = import_store.source(node.db, name)
        if row is None:
            raise NotFound(f"no import source named {name!r} (see `fedcommons import sources`)")
        rows.append(row)
    return rows


def listing(node: Node) -> list[import_store.SourceRow]:
    """Every source, by name."""
    return import_store.sources(node.db)


def runs(node: Node, pool: str | None = None) -> list[import_store.RunRow]:
    """The latest import runs, newest first (into one local pool, or all)."""
    return import_store.runs(node.db, require(node, pool, "pool").id if pool else None)


def estimate(source: Source, row: import_store.SourceRow) -> int:
    """About how many items a run of the source will read (0: unknown), for a progress bar."""
    guess = getattr(source, "estimate", None)
    return guess(row.cursor) if guess else 0


def check_steward(node: Node, run_pools: list[str], steward: str):
    """The steward's actor, if they steward every pool of `run_pools`; Forbidden otherwise."""
    person = require(node, steward, "person")
    for pool in run_pools:
        if person.id not in actor_store.stewards(node.db, pool):
            raise Forbidden(f"{steward} is not a steward of {pool}")
    return person


def validate_run(node: Node, run_id: int, steward: str, *, batch: int = SOURCE_BATCH,
                 progress: Callable[[int], None] | None = None) -> int:
    """The steward validates every contribution a run recorded that is still pending (one
    signed Accept each), except their own, which another steward must validate. Returns
    how many were validated."""
    run = import_store.run(node.db, run_id)
    if run is None:
        raise NotFound(f"no import run {run_id}")
    person = check_steward(node, [run.pool], steward)
    followers = f"{run.pool}/followers"
    ids = import_store.recorded_in(node.db, run_id)
    done = 0

    def sign(chunk: list[str]):
        """The chunk, the contributions it accepts, and their Accepts being signed."""
        cids, decisions = [], []
        for cid, contributor in contribution_store.pending_contributors(node.db, chunk):
            if contributor == person.id:
                continue
            cids.append(cid)
            decisions.append(activities.decision(
                activity_id=urls.new_activity(node.url), steward=person.id, contribution_id=cid,
                contributor=contributor, accept=True, published=now(), followers=followers))
        return chunk, cids, signer.submit(person, decisions, plain=True)

    def append(signed) -> None:
        nonlocal done
        chunk, cids, signing = signed
        decisions = list(zip(cids, signing.result()))  # waits for the worker before the write lock
        with transaction(node.db):
            # Another steward may have decided some since.
            still = contribution_store.pending_among(node.db, cids)
            pending = [p for i, p in decisions if i in still]
            log_writer.append(node, pending)
            import_store.add_to_run(node.db, run_id, validated=len(pending))
        done += len(pending)
        batches.done()
        if progress:
            progress(len(chunk))

    # Batch k+1's Accepts are signed (in a worker, for a long run) while batch k is appended.
    with BatchSigner(node) as signer, bulk_writes(node.db), fewer_collections() as batches:
        pipelined((ids[start:start + batch] for start in range(0, len(ids), batch)), sign, append)
    return done
