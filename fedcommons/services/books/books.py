"""A cooperative's books: recording income and expenses, reversals, balances and statements.

A member records an entry for the cooperative (``--as MEMBER``); the cooperative signs it,
as it signs its Distributions, inside a ``Create`` addressed to the public and its
followers, appended to the log at ``{coop}/books/{uuid}``. Every figure is then read
back from the log by the pure core (:mod:`fedcommons.books`): the balance is a function
of the log up to a checkpoint, never a number kept on the side.

With ``from_balance``, an expense (or a payout, see ``services/payouts``) that would take
the balance of its unit below zero is refused before anything is written.
"""

from __future__ import annotations

import base64
import threading
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, datetime, timezone
from html import escape

import orjson

from ... import activities, urls
from ...activities import PUBLIC
from ...books import entry_document, read_entry, statement_document
from ...books.exports import Payee
from ...books.ledger import Ledger, Movement, balance_of, corrected, unit_named
from ...errors import BadInput, NotFound
from ...ld.context import activity_context
from ...log.merkle import root_at
from ...node import Node, now
from ...payout.money import Currency, currency
from ...sig.proof import create_proof_canonical
from ...store import actors as actor_store
from ...store import books as book_store
from ...store import log as log_store
from ...store.actors import ActorRow
from ..actors.signing import sign_as
from ..log import log_writer
from ..log.log_writer import lookup
from ..payouts.coops import acting_member, require_coop


@dataclass(frozen=True)
class NewEntry:
    """What a member typed for one income or expense (amounts as decimal strings)."""

    kind: str
    amount: str
    currency: str
    booked_on: str
    category: str
    counterparty: str | None = None  # an actor: URL or the name of a local actor
    counterparty_name: str | None = None
    memo: str | None = None
    evidence: tuple[str, ...] = ()
    decimals: int | None = None


def today() -> date:
    """Today in UTC, the day against which "in the future" is judged."""
    return datetime.now(timezone.utc).date()


# The fold of each cooperative's books, by (database, cooperative), kept between calls so
# that a page view or a new entry reads only the log entries appended since the last one
# instead of parsing the cooperative's whole history again (the log is append-only).
_LEDGERS: "OrderedDict[tuple[str, str], Ledger]" = OrderedDict()
_LEDGERS_KEPT = 64
_LEDGERS_LOCK = threading.Lock()  # the server reads on the event loop and writes on its writer thread


def coop_movements(node: Node, coop: ActorRow, size: int | None = None) -> list[Movement]:
    """The cooperative's movements in the first ``size`` log entries (default: all)."""
    stop = log_store.log_size(node.db) if size is None else size
    key = (str(node.config.database), coop.id)
    with _LEDGERS_LOCK:
        ledger = _LEDGERS.pop(key, None) or Ledger(coop.id)
        if ledger.size < stop:
            # orjson: the entries carry their context and proof, and parsing is most of the work.
            for row in log_store.created_by(node.db, coop.id, stop, start=ledger.size):
                if row.body is not None:
                    ledger.add(row.idx, orjson.loads(row.body))
            ledger.size = stop
        _LEDGERS[key] = ledger
        while len(_LEDGERS) > _LEDGERS_KEPT:
            _LEDGERS.popitem(last=False)
        return ledger.before(stop)


def book_unit(found: list[Movement], code: str, decimals: int | None) -> Currency:
    """The unit ``code`` (with ``decimals`` outside ISO 4217); a unit the books already use
    keeps the decimals it was first recorded with."""
    if decimals is None:
        known = unit_named(found, code.strip())
        if known is not None:
            return known
    unit = currency(code, decimals)
    known = unit_named(found, unit.code)
    if known is not None and known != unit:
        raise BadInput(f"the books keep {unit.code} with {known.exponent} decimals, not {unit.exponent}")
    return unit


def require_balance(found: list[Movement], unit: Currency, amount: int, what: str) -> int:
    """The balance of ``unit``; BadInput if taking ``amount`` from it would leave it below zero."""
    held = balance_of(found, unit)
    if amount > held:
        raise BadInput(f"{what} of {unit.display(amount)} would take the balance below zero: "
                       f"the books hold {unit.display(held)}")
    return held


def record(node: Node, slug: str, new: NewEntry, *, member: str, from_balance: bool = False,
           on: date | None = None) -> dict:
    """``member`` records income or an expense for the cooperative; the signed BookEntry."""
    coop = require_coop(node, slug)
    person = acting_member(node, coop, member)
    found = coop_movements(node, coop)
    unit = book_unit(found, new.currency, new.decimals)
    counterparty = _counterparty(node, new.counterparty) if new.counterparty else None
    document = entry_document(coop.id, new.kind, new.amount, unit, new.booked_on, today=on or today(),
                              counterparty=counterparty, counterparty_name=new.counterparty_name,
                              category=new.category, memo=new.memo, evidence=new.evidence)
    entry = read_entry({**document, "id": f"{coop.id}/books/x"})
    if from_balance and new.kind == "expense":
        require_balance(found, unit, entry.amount, "an expense")
    return _publish(node, coop, person, document)


def reverse(node: Node, slug: str, entry_url: str, *, member: str, booked_on: str | None = None,
            memo: str | None = None, from_balance: bool = False, on: date | None = None) -> dict:
    """``member`` undoes a book entry with a new one that corrects it; the signed reversal."""
    coop = require_coop(node, slug)
    person = acting_member(node, coop, member)
    found = coop_movements(node, coop)
    original = next((m for m in found if m.id == entry_url and m.kind != "payout"), None)
    if original is None:
        raise NotFound(f"no book entry {entry_url} of {coop.name} in this node's log "
                       f"(see `fedcommons books export {coop.name}`)")
    if original.corrects:
        raise BadInput(f"{entry_url} is itself a reversal; record the entry again instead")
    if entry_url in corrected(found):
        raise BadInput(f"{entry_url} has already been reversed")
    day = on or today()
    document = entry_document(
        coop.id, original.kind, original.unit.to_string(original.amount), original.unit,
        booked_on or day.isoformat(), today=day, counterparty=original.counterparty,
        counterparty_name=original.counterparty_name, category=original.category,
        memo=memo or f"reversal of {entry_url}", corrects=entry_url)
    if from_balance and original.kind == "income":
        require_balance(found, original.unit, original.amount, "reversing this income")
    return _publish(node, coop, person, document)


def balances_now(node: Node, slug: str) -> dict[Currency, int]:
    """What the cooperative holds now, per unit, from its whole log."""
    coop = require_coop(node, slug)
    totals: dict[Currency, int] = {}
    for m in coop_movements(node, coop):
        totals[m.unit] = totals.get(m.unit, 0) + m.effect
    return totals


def checkpoint_at(node: Node, size: int | None) -> dict:
    """Origin, size and root of this node's log at ``size`` (default: its latest checkpoint)."""
    latest = log_store.latest_checkpoint(node.db)
    held = latest[0] if latest else 0
    if size is None:
        size = held
    if not 0 <= size <= held:
        raise BadInput(f"treeSize {size} is beyond the log's {held} checkpointed entries")
    root = base64.b64encode(root_at(size, lookup(node))).decode("ascii")
    return {"origin": node.config.origin, "treeSize": size, "rootHash": root}


def statement_url(coop: ActorRow, label: str, start: str, after: str, size: int) -> str:
    """The URL that serves (and recomputes) this statement."""
    if ".." in label:
        first, _, last = label.partition("..")
        query = (f"from={first}&" if first else "") + f"to={last}"
    else:
        query = f"period={label}"
    return f"{coop.id}/books?{query}&treeSize={size}"


def statement(node: Node, coop: ActorRow, label: str, start: str, after: str, size: int | None = None) -> dict:
    """The statement of ``coop`` for [start, after) at the log size ``size`` (default: latest)."""
    checkpoint = checkpoint_at(node, size)
    found = coop_movements(node, coop, checkpoint["treeSize"])
    url = statement_url(coop, label, start, after, checkpoint["treeSize"])
    return statement_document(coop.id, found, label=label, start=start, after=after, checkpoint=checkpoint,
                              url=url, context=activity_context())


def names(node: Node, found: list[Movement]) -> dict[str, str]:
    """Display names of the actors the movements name, as this node knows them."""
    out = {}
    for url in {m.counterparty for m in found if m.counterparty}:
        row = actor_store.actor(node.db, url)
        if row is not None:
            out[url] = row.display_name or row.name
    return out


def payees(node: Node) -> dict[str, Payee]:
    """The private payee table, for the bookkeeper's ``--private`` export only."""
    return {actor: Payee(*details) for actor, details in book_store.payees(node.db).items()}


def set_payee(node: Node, actor: str, legal_name: str, bank_details: str) -> str:
    """Record an actor's payee details in the private table; returns the actor's URL."""
    url = _counterparty(node, actor)
    for value, what in ((legal_name, "--legal-name"), (bank_details, "--bank")):
        if not value.strip() or len(value) > 500 or any(ord(c) < 32 for c in value):
            raise BadInput(f"{what} must be one non-empty line of at most 500 characters")
    book_store.set_payee(node.db, url, legal_name.strip(), bank_details.strip(), now())
    return url


def remove_payee(node: Node, actor: str) -> bool:
    """Forget an actor's payee details."""
    return book_store.remove_payee(node.db, _counterparty(node, actor))


# -- inside -----------------------------------------------------------------------------


def _counterparty(node: Node, reference: str) -> str:
    """An actor URL as given, or the URL of the local actor of that name."""
    reference = reference.strip()
    if reference.startswith(("http://", "https://")):
        return reference
    for kind in ("person", "cooperative", "pool"):
        row = actor_store.local_actor(node.db, reference, kind)
        if row is not None:
            return row.id
    raise NotFound(f"no local actor named {reference!r}: give an actor URL, or --counterparty-name for "
                   "someone without one")


def _publish(node: Node, coop: ActorRow, person: ActorRow, document: dict) -> dict:
    """Sign the entry as the cooperative and log its Create; the signed entry."""
    published = now()
    entry = read_entry({**document, "id": f"{coop.id}/books/x"})
    who = entry.counterparty_name or entry.counterparty or ""
    verb = "received" if entry.kind == "income" else "paid"
    side = "from" if entry.kind == "income" else "to"
    text = (f"{'Reversal: ' if entry.corrects else ''}{coop.display_name or coop.name} {verb} "
            f"{entry.unit.display(entry.amount)} {side} {who} ({entry.category}) on {entry.booked_on}")
    obj = {"@context": activity_context(), "id": f"{coop.id}/books/{uuid.uuid4().hex}", **document,
           "recordedBy": person.id, "attributedTo": coop.id, "published": published,
           "content": f"<p>{escape(text)}</p>", "to": [PUBLIC], "cc": [f"{coop.id}/followers"]}
    key = node.keys.ed25519(coop.kind, coop.name)
    signed, _ = create_proof_canonical(obj, key, coop.ed25519_key_id, created=published)
    create = activities.create_signed(activity_id=urls.new_activity(node.url), actor=coop.id, obj=signed,
                                      published=published, to=obj["to"], cc=obj["cc"])
    log_writer.append(node, [sign_as(node, coop, create)])
    return signed
