"""The one path every source's items take into the log.

A source (``importers/``) only reads: it yields items and cursors. :func:`import_source`
does the rest, batch by batch:

1. skips merges (unless the source's settings keep them) and reverts;
2. leaves out bots (the item's flag, or a name or identity matching the settings' patterns)
   and anonymous people: they never mint;
3. gives each person their part of the item's effort under the source's rule (equal parts
   unless the source gives shares; see ``effort_rules``);
4. maps each source identity to an actor through the pool's steward-confirmed aliases; a
   part whose identity has no alias waits (privately) and is recorded when one is confirmed
   (``aliases.confirm``);
5. signs a ``Create{Contribution}`` by the pool for each mapped person (the person is the
   ``provider``; it is pending until a steward validates it), naming the work's public key
   (``sourceKey``) and the rule (``effortRule``);
6. appends the batch, the waiting parts and the source's cursor in one transaction.

A long run signs in a worker process (see ``actors.signing.BatchSigner``): batch k is
signed there while batch k-1 is appended here. So a killed run loses at most the two
batches it had in hand, and resumes from the last saved cursor;
contribution ids derive from the pool, the item's key and the actor (after the item's time,
for a source whose times are fixed by their keys, so that an import in time order appends
at the end of the indexes holding them), so reading an item again (a resumed run, a
rewritten history, an alias confirmed twice) adds nothing twice; in a pool that imported
before ids began with the time, a part is also looked up under the id of that form.
No source identity (an e-mail address) ever enters the log: only actors, the item's public
key, its summary and its evidence URL do.
"""

import re
from dataclasses import dataclass, field
from functools import lru_cache
from datetime import datetime
from typing import Callable

from ... import activities, urls
from ...effort_rules import Rule, item_minutes, rule as make_rule, session_minutes, split
from ...errors import BadInput, FedcommonsError
from ...importers.items import MERGE, REVERT, REVERTED, Item, Person, Read, Source, utc_text
from ...node import Node, now
from ...store import actors as actor_store
from ...store import contributions as contribution_store
from ...store import imports as import_store
from ...store.actors import ActorRow
from ...store.db import bulk_writes, transaction
from ..actors.signing import BatchSigner, Signing, pipelined, sign_as
from ..contributions.contributions import MAX_SUMMARY, check_fields, followers_of
from ..log import log_writer
from .collector import Batches, fewer_collections
from .importing import SOURCE_BATCH

# An e-mail address in a commit subject or a title (a "Merge ... from alice@..." line).
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Accounts that are bots by their name or identity, unless a source's settings say otherwise.
DEFAULT_BOTS = ("*[bot]*", "*[bot]@*", "dependabot*", "renovate*")


@dataclass(frozen=True)
class Settings:
    """How a source's items become contributions."""

    rule: Rule
    kind: str
    bots: tuple[str, ...] = DEFAULT_BOTS
    merges: bool = False
    item_kinds: bool = True  # an item's own kind (a CRediT role), when the node knows it, before `kind`

    def to_json(self) -> dict:
        return {"rule": self.rule.name, "parameters": dict(self.rule.parameters), "kind": self.kind,
                "bots": list(self.bots), "merges": self.merges, "itemKinds": self.item_kinds}

    @classmethod
    def from_json(cls, data: dict) -> "Settings":
        return cls(make_rule(data["rule"], data.get("parameters")), data["kind"],
                   tuple(data.get("bots", DEFAULT_BOTS)), bool(data.get("merges", False)),
                   bool(data.get("itemKinds", True)))


@dataclass
class Summary:
    """What a run read and what became of it."""

    run: int | None = None
    items: int = 0       # items read
    recorded: int = 0    # contributions appended to the log
    already: int = 0     # contributions found in the log already
    waiting: int = 0     # parts waiting for an alias
    bots: int = 0        # parts of bots, left out
    anonymous: int = 0   # parts of IP addresses and temporary accounts, left out
    skipped: int = 0     # merges and reverts, left out
    minutes: dict[str, int] = field(default_factory=dict)  # recorded minutes by rule
    validated: int = 0


@lru_cache(maxsize=64)
def _pattern(patterns: tuple[str, ...]) -> re.Pattern:
    # Only `*` is special: `[bot]` is meant literally, not as a character class.
    return re.compile("|".join(".*".join(re.escape(part) for part in p.lower().split("*")) for p in patterns))


def is_bot(person: Person, patterns: tuple[str, ...]) -> bool:
    """A bot by the source's flag, or by its name or identity (without its ``email:``
    prefix) matching one of the patterns, in which ``*`` matches anything and case is ignored."""
    if person.bot:
        return True
    if not patterns:
        return False
    pattern = _pattern(patterns)
    identity = person.identity.split(":", 1)[-1]
    return bool(pattern.fullmatch(person.name.lower()) or pattern.fullmatch(identity.lower()))


def utc(moment: datetime) -> str:
    """A source's timezone-aware time as the log writes times."""
    return utc_text(moment)


def contribution_id(node: Node, pool: str, item_key: str, actor: str, at: str | None) -> str:
    """The id of the contribution an item makes for an actor in a pool: always the same, and
    beginning with `at`, the item's time, when its source's times are fixed by their keys
    (see importers.items.Source and urls.imported_contribution)."""
    return urls.imported_contribution(node.url, pool, f"{item_key} {actor}", at)


def legacy_contribution_id(node: Node, pool: str, item_key: str, actor: str) -> str:
    """The id the same contribution had on a node that imported before ids sorted by time."""
    return urls.imported_contribution(node.url, pool, f"{item_key} {actor}")


def recorded_already(node: Node, pool: str, parts: dict[str, tuple[str, str]]) -> set[str]:
    """Those of `parts` (contribution id -> (item key, actor)) in the log already, under their
    id or, in a pool that imported before ids sorted by time, under the id of that form."""
    found = contribution_store.known(node.db, parts)
    if import_store.has_legacy_ids(node.db, pool):
        legacy = {old: cid for cid, (key, actor) in parts.items()
                  if (old := legacy_contribution_id(node, pool, key, actor)) != cid}
        found |= {legacy[old] for old in contribution_store.known(node.db, legacy)}
    return found


class Names:
    """Actors' display names for the contribution text, looked up once each."""

    def __init__(self, node: Node):
        self.node, self.cache = node, {}

    def __call__(self, actor: str) -> str:
        if actor not in self.cache:
            row = actor_store.actor(self.node.db, actor)
            self.cache[actor] = (row.display_name or row.name) if row else actor
        return self.cache[actor]


def signed_contribution(node: Node, pool: ActorRow, actor: str, actor_name: str, data: dict,
                        cid: str | None = None) -> log_writer.Pending:
    """The pool's signed Create{Contribution} for one person's part of an item (`cid`: its
    contribution_id, when the caller has it already)."""
    # Built from checked strings and whole numbers with our own ASCII keys.
    return sign_as(node, pool, contribution_activity(node, pool, actor, actor_name, data, cid), plain=True)


def contribution_activity(node: Node, pool: ActorRow, actor: str, actor_name: str, data: dict,
                          cid: str | None = None) -> dict:
    """The pool's Create{Contribution} for one person's part of an item, unsigned."""
    return activities.contribution(
        activity_id=urls.new_activity(node.url),
        contribution_id=cid or contribution_id(node, pool.id, data["key"], actor, data.get("idTime")),
        actor=pool.id, provider=actor, pool=pool.id, pool_name=pool.display_name or pool.name,
        provider_name=actor_name, minutes=data["minutes"], kind=data["kind"], summary=data["summary"],
        published=data["published"], evidence=data["evidence"], cc=followers_of(pool),
        source_key=data["key"], effort_rule=data["rule"],
    )


class _Run:
    """The state of one run: settings, the sessions/1 clock of each identity, the counts."""

    def __init__(self, node: Node, row: import_store.SourceRow, settings: Settings, dry_run: bool,
                 times_fixed: bool):
        self.node, self.row, self.settings, self.dry_run = node, row, settings, dry_run
        self.times_fixed = times_fixed
        self.pool = actor_store.actor(node.db, row.pool)
        if self.pool is None:
            raise BadInput(f"the pool {row.pool} of source {row.name!r} is not on this node")
        self.rule = settings.rule
        self.described = settings.rule.describe()
        self.lasts: dict[str, datetime] = {}
        self.kinds = set(node.config.kinds)
        self.names = Names(node)
        self.summary = Summary()
        self.bots: dict[tuple[str, str], bool] = {}
        # Identities noted in this run, with the other keys noted for each: a batch notes
        # only the new ones (a wiki's accounts come back in batch after batch).
        self.noted: dict[str, frozenset[str]] = {}

    def is_bot(self, person: Person) -> bool:
        """is_bot, remembered per identity and name for the run."""
        key = (person.identity, person.name)
        if key not in self.bots:
            self.bots[key] = is_bot(person, self.settings.bots)
        return person.bot or self.bots[key]

    def to_note(self, person: Person) -> bool:
        """Whether the batch must note `person`: not noted in this run yet, or with other keys."""
        noted = self.noted.get(person.identity)
        return noted is None or not noted.issuperset(person.aka)

    def parts(self, item: Item) -> tuple[list[tuple[Person, int]], int, int]:
        """(person, minutes) for each person who mints, and how many bots and anonymous
        people (IP addresses, temporary accounts) were left out."""
        people: dict[str, Person] = {}
        bots = anonymous = 0
        for person in item.people:
            if person.anonymous:
                anonymous += 1
                continue
            if person.identity in people:
                continue
            if self.is_bot(person):
                bots += 1
                continue
            people[person.identity] = person
        chosen = list(people.values())
        shares = [p.share for p in chosen]
        if self.rule.name == "sessions/1":
            minutes = []
            for index, person in enumerate(chosen):
                previous = self.lasts.get(person.identity)
                own = session_minutes(self.rule, item.time, previous)
                minutes.append(split(own, shares)[index])
                if previous is None or item.time > previous:
                    self.lasts[person.identity] = item.time
        else:
            minutes = split(item_minutes(self.rule, item.metrics), shares)
        return list(zip(chosen, minutes)), bots, anonymous

    def load_lasts(self, reads: list[Read]) -> None:
        """The sessions/1 clocks of the batch's identities not seen yet in this run."""
        if self.rule.name != "sessions/1":
            return
        missing = {p.identity for r in reads for p in r.item.people} - set(self.lasts)
        if missing:
            for key, last in import_store.session_lasts(self.node.db, self.row.name, missing).items():
                self.lasts[key] = datetime.fromisoformat(last.replace("Z", "+00:00"))

    def data(self, item: Item, minutes: int) -> dict:
        """What a person's part of the item says. ``idTime``: the time its contribution's
        id begins with, when the source's times are fixed (kept with a part that waits)."""
        # Addresses stay out of the log even where a source's public text holds one.
        summary = _EMAIL.sub("[address]", " ".join(item.summary.split()))[:MAX_SUMMARY] or item.key
        published = utc(item.time)
        data = {"key": item.key, "published": published, "summary": summary,
                "evidence": [item.evidence] if item.evidence else [], "minutes": minutes,
                "kind": self.kind(item), "rule": self.described}
        if self.times_fixed:
            data["idTime"] = published
        return data

    def kind(self, item: Item) -> str:
        """The item's own kind when the source suggests one the node knows (and no kind was
        imposed), else the source's."""
        suggested = (item.kind or "").strip().lower()
        if self.settings.item_kinds and suggested in self.kinds:
            return suggested
        return self.settings.kind


def import_source(node: Node, row: import_store.SourceRow, source: Source, *, dry_run: bool = False,
                  batch: int = SOURCE_BATCH, progress: Callable[[int], None] | None = None) -> Summary:
    """Read `source` from the cursor saved for `row` and record what it yields; see the
    module docstring. With `dry_run`, compute the same summary and write nothing."""
    if batch < 1:
        raise BadInput(f"the batch size must be at least 1, not {batch}")
    run = _Run(node, row, Settings.from_json(row.settings), dry_run, getattr(source, "times_fixed", False))
    summary = run.summary
    if not dry_run:
        with transaction(node.db):
            summary.run = import_store.start_run(node.db, row.name, row.pool, now())
    broken: list[FedcommonsError] = []
    with BatchSigner(node) as signer, bulk_writes(node.db), fewer_collections() as batches:
        pipelined(_chunks(iter(source.read(row.cursor)), batch, broken),
                  lambda chunk: _prepare(run, chunk, signer), lambda prepared: _write(run, prepared, progress, batches))
    if not dry_run:
        with transaction(node.db):
            import_store.finish_run(node.db, summary.run, now())
    if broken:
        raise broken[0]
    return summary


def _chunks(reads, batch: int, broken: list[FedcommonsError]):
    """The reads in chunks of `batch` (the last may be shorter). A source that breaks off (a
    truncated dump) raises after its last good item: what it yielded before is recorded,
    and the error is put in `broken`, for the caller to raise when that is done."""
    while True:
        chunk, error = _take(reads, batch)
        if chunk:
            yield chunk
        if error is not None:
            broken.append(error)
        if error is not None or len(chunk) < batch:
            return


def _take(reads, batch: int) -> tuple[list[Read], FedcommonsError | None]:
    """Up to `batch` reads, and the error the source raised after them, if it did."""
    chunk: list[Read] = []
    try:
        for read in reads:
            chunk.append(read)
            if len(chunk) >= batch:
                break
    except FedcommonsError as error:
        return chunk, error
    return chunk, None


@dataclass
class _Batch:
    """A batch read and valued, its new contributions on their way to being signed."""

    cursor: str
    counts: Summary
    considered: int                         # contributions it makes, some perhaps in the log already
    fresh: list[tuple[str, str, dict]]      # (contribution id, actor, data) not in the log when prepared
    waiting: list[tuple[str, str, int, dict]]
    seen: list[tuple[str, str, list, bool]]  # identities to note
    touched: dict[str, datetime]            # sessions/1 clocks moved
    signing: Signing | None                 # None for a dry run


def _prepare(run: _Run, reads: list[Read], signer: BatchSigner) -> _Batch:
    """Everything up to the signatures, which it starts (in a worker, for a long run)."""
    node, pool, summary = run.node, run.pool, run.summary
    run.load_lasts(reads)
    touched: dict[str, datetime] = {}
    mapped_keys = {p.identity for r in reads for p in r.item.people}
    aliases = import_store.aliases_for(node.db, pool.id, mapped_keys)
    counts = Summary()
    to_record: dict[str, tuple[str, dict]] = {}  # contribution id -> (actor, data)
    waiting: list[tuple[str, str, int, dict]] = []
    seen: dict[str, tuple[str, str, list, bool]] = {}
    for read in reads:
        item = read.item
        counts.items += 1
        for person in item.people:
            if person.identity not in seen and not person.anonymous and run.to_note(person):
                seen[person.identity] = (person.identity, person.name, list(person.aka), run.is_bot(person))
        if item.flags & {REVERT, REVERTED} or (MERGE in item.flags and not run.settings.merges):
            counts.skipped += 1
            continue
        parts, bots, anonymous = run.parts(item)
        counts.bots += bots
        counts.anonymous += anonymous
        if run.rule.name == "sessions/1":
            for person, _ in parts:
                touched[person.identity] = run.lasts[person.identity]
        by_actor: dict[str, int] = {}
        for person, minutes in parts:
            actor = aliases.get(person.identity)
            if actor is None:
                waiting.append((person.identity, item.key, summary.run or 0, run.data(item, minutes)))
            else:
                by_actor[actor] = by_actor.get(actor, 0) + minutes
        for actor, minutes in by_actor.items():
            data = run.data(item, minutes)
            to_record[contribution_id(node, pool.id, item.key, actor, data.get("idTime"))] = (actor, data)
    # The next batch is prepared before this one is written: it notes only identities new to both.
    for identity, _, aka, _ in seen.values():
        run.noted[identity] = run.noted.get(identity, frozenset()) | frozenset(aka)
    known = recorded_already(node, pool.id, {cid: (data["key"], actor) for cid, (actor, data) in to_record.items()})
    fresh = [(cid, actor, data) for cid, (actor, data) in to_record.items() if cid not in known]
    signing = None
    if not run.dry_run:
        # Built from checked strings and whole numbers with our own ASCII keys.
        signing = signer.submit(pool, [contribution_activity(node, pool, actor, run.names(actor), data, cid)
                                       for cid, actor, data in fresh], plain=True)
    return _Batch(reads[-1].cursor, counts, len(to_record), fresh, waiting, list(seen.values()), touched, signing)


def _write(run: _Run, batch: _Batch, progress: Callable[[int], None] | None, batches: Batches) -> None:
    """Append a prepared batch, its waiting parts and its cursor in one transaction (a dry
    run only counts), and add it to the run's summary."""
    node, pool, summary, counts = run.node, run.pool, run.summary, batch.counts
    if batch.signing is None:
        _count(summary, counts, batch.fresh, batch.considered - len(batch.fresh), len(batch.waiting), run.rule.name)
    else:
        # The wait for the signatures, if any, comes before taking the write lock.
        signed = [(cid, data, pending) for (cid, _, data), pending in zip(batch.fresh, batch.signing.result())]
        with transaction(node.db):
            # Another run may have recorded some of them since.
            still = contribution_store.known(node.db, [cid for cid, _, _ in signed])
            signed = [s for s in signed if s[0] not in still]
            log_writer.append(node, [p for _, _, p in signed])
            import_store.add_recorded(node.db, [(cid, summary.run) for cid, _, _ in signed])
            new_waiting = import_store.add_waiting(node.db, pool.id, batch.waiting) if batch.waiting else 0
            import_store.note_identities(node.db, pool.id, batch.seen)
            if batch.touched:
                import_store.set_session_lasts(node.db, run.row.name, {k: utc(v) for k, v in batch.touched.items()})
            import_store.set_cursor(node.db, run.row.name, batch.cursor)
            recorded = [(cid, data) for cid, data, _ in signed]
            minutes = {run.rule.name: sum(d["minutes"] for _, d in recorded)} if recorded else {}
            import_store.add_to_run(node.db, summary.run, items=counts.items, recorded=len(recorded),
                                    waiting=new_waiting, bots=counts.bots, skipped=counts.skipped,
                                    minutes=minutes)
        _count(summary, counts, recorded, batch.considered - len(recorded), new_waiting, run.rule.name)
    batches.done()
    if progress:
        progress(counts.items)


def _count(summary: Summary, counts: Summary, recorded: list, already: int, waiting: int, rule: str) -> None:
    summary.items += counts.items
    summary.skipped += counts.skipped
    summary.bots += counts.bots
    summary.anonymous += counts.anonymous
    summary.recorded += len(recorded)
    summary.already += already
    summary.waiting += waiting
    minutes = sum(entry[-1]["minutes"] for entry in recorded)
    if recorded:
        summary.minutes[rule] = summary.minutes.get(rule, 0) + minutes


def check_kind(node: Node, kind: str) -> str:
    """A kind the node knows, normalised as contributions write it; BadInput otherwise."""
    kind = (kind or "").strip().lower().lstrip("#")
    check_fields(node.config.kinds, kind=kind, summary="-", evidence=())
    return kind

