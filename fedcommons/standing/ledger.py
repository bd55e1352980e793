"""The facts about one pool, read from log activities one at a time into compact columns.

A busy pool has millions of activities, so :class:`PoolLedger` keeps no activity dicts:
every URL is interned to an integer and each fact (contribution, validation,
endorsement, undo) becomes one row of typed arrays. Nothing is decided here that
depends on other activities, because activities arrive in any order (a Like before its
contribution, an Accept before the Create); :mod:`fedcommons.standing.view` decides
what counts once a cut-off time is known.

What is read (compact ActivityStreams JSON; ``@context`` and ``proof`` are not looked at):

- ``Create`` of a ``Contribution`` whose ``receiver`` is the pool. Its ``provider`` (or
  ``attributedTo``; when both are given they must agree) is the contributor, and the
  activity's ``actor`` must be that contributor or the pool itself (a claim the pool
  recorded from a fediverse Note). ``action``, when given, must be ``work``. Effort is
  ``effortQuantity`` in ``minute`` or ``hour`` (a number or decimal string, at most a
  week, as :func:`fedcommons.effort.quantity_minutes` reads it for every part of the node);
  a contribution without one records zero effort; one with an unreadable one counts for nothing. Its time is the object's
  ``published``, else the activity's.
- ``Create`` / ``Update`` of the pool object itself (stewards and standing method).
- ``Accept`` / ``Reject`` whose object is a contribution URL (or an object with that id).
- ``Like`` with an optional ``weight``: a number or decimal string in (0, 10], read to
  six decimals (default 1). A Like with any other weight counts for nothing.
- ``Undo`` of a Like, by the Like's id, or by an embedded Like without an id (then it
  undoes the actor's Likes of that object published up to the Undo).

Anything else (``Delete``, ``Undo`` of anything but a Like, ``Update`` of a
contribution), or anything malformed (no actor, unreadable ``published``), is skipped.
"""

from __future__ import annotations

import json
from array import array
from collections.abc import Callable, Container, Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN

import numpy as np

from fedcommons.effort import plain_decimal, quantity_minutes
from fedcommons.errors import BadInput

from .clock import parse_micros

ACCEPT = 1
REJECT = 2

WEIGHT_SCALE = 1_000_000
MAX_WEIGHT = 10
DEFAULT_WEIGHT_UNITS = WEIGHT_SCALE



@dataclass(frozen=True)
class PoolRecord:
    """A Create or Update of the pool object, kept whole: a pool has few of them."""

    kind: str  # "Create" or "Update"
    published: int
    actor: str
    stewards: object  # the raw value, or MISSING when the field was absent
    standing_method: object  # likewise
    order_key: str
    governance: object = None  # the raw ``governance`` settings, or MISSING when absent
    tally: object = None  # the ``tally`` an applied proposal's Update cites, or MISSING  # canonical JSON of the record, to order records with equal times


MISSING = object()


@dataclass(frozen=True)
class Columns:
    """A frozen copy of a ledger's columns as numpy arrays (see :meth:`PoolLedger.columns`)."""

    names: list[str]
    contribution: np.ndarray
    provider: np.ndarray
    kind: np.ndarray
    minutes: np.ndarray
    contribution_published: np.ndarray
    validation_object: np.ndarray
    validation_actor: np.ndarray
    validation_published: np.ndarray
    validation_verdict: np.ndarray
    like_id: np.ndarray
    like_actor: np.ndarray
    like_object: np.ndarray
    like_weight: np.ndarray
    like_published: np.ndarray
    undo_target: np.ndarray
    undo_actor: np.ndarray
    undo_object: np.ndarray
    undo_published: np.ndarray


class PoolLedger:
    """Everything the log says about one pool, as compact columns; feed it with :meth:`add`."""

    def __init__(self, pool: str):
        if type(pool) is not str or not pool:
            raise BadInput(f"a pool ledger needs the pool's URL, got {pool!r}")
        self.pool = pool
        self.seen = 0
        self._ids: dict[str, int] = {}
        self._version = 0
        self._cache: tuple[int, Columns] | None = None
        # (version, latest time, view) of the view as of any time after everything it holds
        # (see fedcommons.standing.view.resolve): the current standing, asked for again and again.
        self.latest_view: tuple[int, int, object] | None = None
        # ((version, method, parameters), (scores, iterations)) computed on that view
        # (see fedcommons.standing.methods.compute_standing).
        self.latest_scores: tuple[tuple, tuple] | None = None
        self.records: list[PoolRecord] = []
        self._times: dict[object, int | None] = {}  # see _micros
        self._c_id = array("q")
        self._c_provider = array("q")
        self._c_kind = array("q")
        self._c_minutes = array("d")
        self._c_published = array("q")
        self._v_object = array("q")
        self._v_actor = array("q")
        self._v_published = array("q")
        self._v_verdict = array("b")
        self._l_id = array("q")
        self._l_actor = array("q")
        self._l_object = array("q")
        self._l_weight = array("q")
        self._l_published = array("q")
        self._u_target = array("q")
        self._u_actor = array("q")
        self._u_object = array("q")
        self._u_published = array("q")

    def add(self, activity: dict) -> None:
        """Read one activity; activities that say nothing about this pool are skipped."""
        self.seen += 1
        if type(activity) is not dict:
            return
        kind = activity.get("type")
        if type(kind) is not str:
            kind = first_known(kind, _HANDLERS)
        handler = _HANDLERS.get(kind)
        if handler is not None:
            handler(self, activity)

    def extend(self, activities: Iterable[dict]) -> PoolLedger:
        """Read every activity of an iterable (consumed as a stream); returns the ledger."""
        add = self.add
        for activity in activities:
            add(activity)
        return self

    @property
    def version(self) -> int:
        """A number that changes whenever a row is added."""
        return self._version

    def lookup(self, url: str) -> int | None:
        """The interned number of ``url``, or None when no read activity mentioned it."""
        return self._ids.get(url)

    @property
    def counts(self) -> dict[str, int]:
        """How many rows of each kind are held (for progress output and benchmarks)."""
        return {
            "seen": self.seen,
            "contributions": len(self._c_id),
            "validations": len(self._v_object),
            "endorsements": len(self._l_actor),
            "undos": len(self._u_actor),
            "pool_records": len(self.records),
            "urls": len(self._ids),
        }

    def columns(self) -> Columns:
        """The rows as numpy arrays; cached until the next activity that adds a row."""
        if self._cache is not None and self._cache[0] == self._version:
            return self._cache[1]

        def ints(column: array) -> np.ndarray:
            return np.array(column, dtype=np.int64)

        frozen = Columns(
            names=list(self._ids),
            contribution=ints(self._c_id),
            provider=ints(self._c_provider),
            kind=ints(self._c_kind),
            minutes=np.array(self._c_minutes, dtype=np.float64),
            contribution_published=ints(self._c_published),
            validation_object=ints(self._v_object),
            validation_actor=ints(self._v_actor),
            validation_published=ints(self._v_published),
            validation_verdict=np.array(self._v_verdict, dtype=np.int8),
            like_id=ints(self._l_id),
            like_actor=ints(self._l_actor),
            like_object=ints(self._l_object),
            like_weight=ints(self._l_weight),
            like_published=ints(self._l_published),
            undo_target=ints(self._u_target),
            undo_actor=ints(self._u_actor),
            undo_object=ints(self._u_object),
            undo_published=ints(self._u_published),
        )
        self._cache = (self._version, frozen)
        return frozen

    # -- snapshots ---------------------------------------------------------------------------

    def snapshot(self) -> bytes:
        """Everything the ledger holds, as bytes :meth:`restore` reads back into an equal ledger
        (same interned numbers, same rows), so that reading on from a restored ledger gives
        what reading on from this one would."""
        return b"".join(self.snapshot_parts())

    def snapshot_parts(self) -> list:
        """The bytes of :meth:`snapshot` in pieces (bytes, then the columns' buffers, not
        copied), for a caller that writes them out one at a time: a large ledger's snapshot
        is a hundred MB or more, and joining them costs one more copy."""
        columns = [getattr(self, name) for name in _COLUMN_NAMES]

        def text(value: object) -> bytes:
            return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

        # The header is JSON: {"pool":..,"seen":..,"names":[..],"records":[..],"lengths":[..]}.
        # Its names are encoded a run at a time (the same bytes as encoding the list at once),
        # so that no text of them all is held beside their bytes.
        names = list(self._ids)
        runs = [text(names[at:at + _NAMES_RUN])[1:-1] for at in range(0, len(names), _NAMES_RUN)]
        del names
        header = [text({"pool": self.pool, "seen": self.seen})[:-1] + b',"names":[',
                  *_interleave(runs, b","),
                  b'],"records":' + text([record.order_key for record in self.records])
                  + b',"lengths":' + text([len(column) for column in columns]) + b"}"]
        size = sum(len(piece) for piece in header)
        return [size.to_bytes(8, "big"), *header, *(memoryview(column).cast("B") for column in columns)]

    @classmethod
    def restore(cls, data: bytes) -> PoolLedger:
        """The ledger a :meth:`snapshot` holds; ValueError when ``data`` is not one."""
        try:
            size = int.from_bytes(data[:8], "big")
            # Through a memoryview: a large ledger's header is tens of MB, not copied again.
            data = memoryview(data)
            header = json.loads(str(data[8:8 + size], "utf-8"))
            ledger = cls(header["pool"])
            ledger.seen = header["seen"]
            names = header["names"]
            ledger._ids = dict(zip(names, range(len(names))))  # twice as quick as a comprehension
            ledger.records = [_record(json.loads(key), key) for key in header["records"]]
            at = 8 + size
            for name, length in zip(_COLUMN_NAMES, header["lengths"], strict=True):
                column = getattr(ledger, name)
                end = at + length * column.itemsize
                column.frombytes(data[at:end])
                if len(column) != length:
                    raise ValueError("the snapshot is cut short")
                at = end
        except (KeyError, TypeError, UnicodeDecodeError, BadInput) as exc:
            raise ValueError(f"not a ledger snapshot: {exc}") from None
        if at != len(data):
            raise ValueError("not a ledger snapshot: bytes left over")
        ledger._version = 1
        return ledger

    def absorb(self, later: PoolLedger) -> None:
        """Append what ``later`` read from the entries that follow this ledger's, so that this
        ledger becomes the one a single reading of both runs would give: ``later``'s URLs are
        interned here in its order (the order that reading would first meet the new ones),
        its rows are renumbered to them and appended, its records follow these."""
        if later.pool != self.pool:
            raise BadInput(f"cannot join the ledger of {later.pool} to that of {self.pool}")
        ids = self._ids
        # numbers[k] is later's URL k's number here; the last slot keeps -1 (no URL) as -1.
        numbers = np.fromiter((ids.setdefault(name, len(ids)) for name in later._ids), dtype=np.int64,
                              count=len(later._ids))
        numbers = np.append(numbers, np.int64(-1))
        added = 0
        for name in _COLUMN_NAMES:
            column, more = getattr(self, name), getattr(later, name)
            added += len(more)
            if name in _URL_COLUMNS and len(more):
                more = numbers[np.frombuffer(more, dtype=np.int64)].astype(np.int64).tobytes()
            column.frombytes(bytes(more) if isinstance(more, array) else more)
        self.records.extend(later.records)
        added += len(later.records)
        self.seen += later.seen
        if added:
            self._version += added

    # -- readers, one per activity type ---------------------------------------------------

    def _micros(self, value: object) -> int | None:
        """:func:`parse_micros` of ``value``, remembered: the entries of a log come in bursts
        that share a timestamp, and parsing one is a fifth of reading a validation."""
        times = self._times
        if type(value) is str:
            found = times.get(value, times)
            if found is not times:
                return found
            if len(times) >= _TIMES_KEPT:
                times.clear()
            found = times[value] = parse_micros(value)
            return found
        return None  # parse_micros reads only strings

    def _intern(self, url: str) -> int:
        ids = self._ids
        return ids.setdefault(url, len(ids))

    def _create(self, activity: dict) -> None:
        obj = activity.get("object")
        if type(obj) is not dict:
            return
        types = obj.get("type")
        if has_type(types, "Contribution"):
            self._contribution(activity, obj)
        elif obj.get("id") == self.pool and has_type(types, "CommonPool"):
            self._pool_record("Create", activity, obj)

    def _update(self, activity: dict) -> None:
        obj = activity.get("object")
        if type(obj) is dict and obj.get("id") == self.pool:
            self._pool_record("Update", activity, obj)

    def _contribution(self, activity: dict, obj: dict) -> None:
        # The hot path of a large log: plain strings are tested inline before ref.
        pool = self.pool
        if obj.get("receiver") != pool:
            return
        cid = obj.get("id")
        if type(cid) is not str or not cid:
            return
        provider = obj.get("provider")
        attributed = obj.get("attributedTo")
        if type(provider) is not str:
            provider = ref(provider)
        if type(attributed) is not str:
            attributed = ref(attributed)
        if provider is None:
            provider = attributed
        elif attributed is not None and attributed != provider:
            return  # two different authors: no way to tell whose work it is
        if not provider:
            return
        actor = activity.get("actor")
        if type(actor) is not str:
            actor = ref(actor)
        if actor != provider and actor != pool:
            return
        action = obj.get("action")
        if action is not None and action != "work":
            return
        when = obj.get("published")
        published = self._micros(when if when is not None else activity.get("published"))
        if published is None:
            return
        effort = obj.get("effortQuantity")
        if effort is None:
            minutes = 0.0
        else:
            exact = quantity_minutes(effort)
            if exact is None:
                return
            minutes = float(exact)
        kind = obj.get("kind")
        ids = self._ids
        self._c_id.append(ids.setdefault(cid, len(ids)))
        self._c_provider.append(ids.setdefault(provider, len(ids)))
        self._c_kind.append(ids.setdefault(kind if type(kind) is str else "", len(ids)))
        self._c_minutes.append(minutes)
        self._c_published.append(published)
        self._version += 1

    def _accept(self, activity: dict) -> None:
        self._decision(activity, ACCEPT)

    def _reject(self, activity: dict) -> None:
        self._decision(activity, REJECT)

    def _decision(self, activity: dict, verdict: int) -> None:
        obj = activity.get("object")
        if type(obj) is not str:
            # Accepts of Follow requests share the type; skip what is plainly not a contribution.
            if type(obj) is dict and "type" in obj and not has_type(obj["type"], "Contribution"):
                return
            obj = ref(obj)
        actor = activity.get("actor")
        if type(actor) is not str:
            actor = ref(actor)
        published = self._micros(activity.get("published"))
        if not obj or not actor or published is None:
            return
        ids = self._ids
        self._v_object.append(ids.setdefault(obj, len(ids)))
        self._v_actor.append(ids.setdefault(actor, len(ids)))
        self._v_published.append(published)
        self._v_verdict.append(verdict)
        self._version += 1

    def _like(self, activity: dict) -> None:
        # Plain strings and an absent weight (the common case) are tested inline.
        target = activity.get("object")
        if type(target) is not str or not target:
            target = ref(target)
        actor = activity.get("actor")
        if type(actor) is not str or not actor:
            actor = ref(actor)
        published = self._micros(activity.get("published"))
        weight = activity.get("weight", MISSING)
        weight = DEFAULT_WEIGHT_UNITS if weight is MISSING else _weight_units(weight)
        if target is None or actor is None or published is None or weight is None:
            return
        like_id = activity.get("id")
        self._l_id.append(self._intern(like_id) if type(like_id) is str else -1)
        self._l_actor.append(self._intern(actor))
        self._l_object.append(self._intern(target))
        self._l_weight.append(weight)
        self._l_published.append(published)
        self._version += 1

    def _undo(self, activity: dict) -> None:
        actor = ref(activity.get("actor"))
        published = self._micros(activity.get("published"))
        if actor is None or published is None:
            return
        obj = activity.get("object")
        target = -1
        endorsed = -1
        if type(obj) is str:
            target = self._intern(obj)
        elif type(obj) is dict:
            if "type" in obj and not has_type(obj["type"], "Like"):
                return
            like_id = obj.get("id")
            inner = ref(obj.get("object"))
            if type(like_id) is str:
                target = self._intern(like_id)
            elif inner is not None:
                endorsed = self._intern(inner)
            else:
                return
        else:
            return
        self._u_target.append(target)
        self._u_actor.append(self._intern(actor))
        self._u_object.append(endorsed)
        self._u_published.append(published)
        self._version += 1

    def _pool_record(self, kind: str, activity: dict, obj: dict) -> None:
        actor = ref(activity.get("actor"))
        published = self._micros(activity.get("published"))
        if actor is None or published is None:
            return
        stewards = obj.get("stewards", MISSING)
        method = obj.get("standingMethod", MISSING)
        governance = obj.get("governance", MISSING)
        tally = obj.get("tally", MISSING)
        try:
            # A JSON round trip copies the values (the caller may reuse its dicts) and gives
            # a canonical text to order records that share a timestamp.
            fields = {"kind": kind, "published": published, "actor": actor}
            if stewards is not MISSING:
                fields["stewards"] = stewards
            if method is not MISSING:
                fields["standingMethod"] = method
            if governance is not MISSING:
                fields["governance"] = governance
            if tally is not MISSING:
                fields["tally"] = tally
            order_key = json.dumps(fields, sort_keys=True, separators=(",", ":"), allow_nan=False)
            copy = json.loads(order_key)
        except (TypeError, ValueError):
            return
        self.records.append(_record(copy, order_key))
        self._version += 1


# What each kind of activity is read by. Kept out of the instances: a ledger holding its
# own bound methods would be a reference cycle, freed only by the cyclic garbage collector,
# with every array it holds (a busy pool's ledger is megabytes).
_HANDLERS: dict[str, Callable[[PoolLedger, dict], None]] = {
    "Create": PoolLedger._create,
    "Update": PoolLedger._update,
    "Accept": PoolLedger._accept,
    "Reject": PoolLedger._reject,
    "Like": PoolLedger._like,
    "Undo": PoolLedger._undo,
}

_NAMES_RUN = 10_000  # names encoded at a time by PoolLedger.snapshot_parts


def _interleave(pieces: list[bytes], separator: bytes) -> list[bytes]:
    """``pieces`` with ``separator`` between each two (what ``separator.join`` would join)."""
    out: list[bytes] = []
    for piece in pieces:
        if out:
            out.append(separator)
        out.append(piece)
    return out


_TIMES_KEPT = 4096  # timestamps a ledger remembers (PoolLedger._micros), at most

_COLUMN_NAMES = (
    "_c_id", "_c_provider", "_c_kind", "_c_minutes", "_c_published",
    "_v_object", "_v_actor", "_v_published", "_v_verdict",
    "_l_id", "_l_actor", "_l_object", "_l_weight", "_l_published",
    "_u_target", "_u_actor", "_u_object", "_u_published",
)


# The columns that hold interned URLs (or -1 for none), renumbered by PoolLedger.absorb.
_URL_COLUMNS = frozenset((
    "_c_id", "_c_provider", "_c_kind", "_v_object", "_v_actor",
    "_l_id", "_l_actor", "_l_object", "_u_target", "_u_actor", "_u_object",
))


def _record(fields: dict, order_key: str) -> PoolRecord:
    """A pool record from its canonical fields (a copy of what the activity said)."""
    return PoolRecord(
        kind=fields["kind"],
        published=fields["published"],
        actor=fields["actor"],
        stewards=fields.get("stewards", MISSING),
        standing_method=fields.get("standingMethod", MISSING),
        order_key=order_key,
        governance=fields.get("governance", MISSING),
        tally=fields.get("tally", MISSING),
    )


def build_ledger(activities: Iterable[dict], pool: str) -> PoolLedger:
    """Stream ``activities`` (any order, any pools) into the ledger of ``pool``."""
    return PoolLedger(pool).extend(activities)


def first_known(types: object, known: Container) -> str | None:
    """The first of a list of types that has a reader, or None."""
    if type(types) is not list:
        return None
    return next((t for t in types if type(t) is str and t in known), None)


def has_type(types: object, name: str) -> bool:
    """Whether an AS2 ``type`` value (a string or a list) includes ``name``."""
    if type(types) is str:
        return types == name
    return type(types) is list and name in types


def ref(value: object) -> str | None:
    """The URL a reference stands for: a string, an object's ``id``, or a one-item list of those."""
    if type(value) is str:
        return value or None
    if type(value) is dict:
        ident = value.get("id")
        return ident if type(ident) is str and ident else None
    if type(value) is list and len(value) == 1:
        return ref(value[0])
    return None


def _weight_units(value: object) -> int | None:
    """An endorsement weight in millionths; the default when absent, None when invalid."""
    if value is MISSING:
        return DEFAULT_WEIGHT_UNITS
    amount = plain_decimal(value)
    if amount is None or amount > MAX_WEIGHT:
        return None
    units = int((amount * WEIGHT_SCALE).to_integral_value(rounding=ROUND_HALF_EVEN))
    return units if units > 0 else None
