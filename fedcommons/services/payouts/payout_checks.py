"""Checking a published Distribution: fetch it and its inputs, verify the proofs, recompute.

:func:`verify_distribution` collects every problem it finds rather than stopping at the
first, so one run says all that is wrong:

1. the Distribution is fetched (from this node's log when the URL is ours, else with
   the node's HTTP client) and read by the payout core; its proof must verify with a
   key of the cooperative it names;
2. each Standing input is fetched and its proof must verify with a key of the node it
   says issued it (``attributedTo``). The log its checkpoint names (this node's own, or
   a replica, synced from the pool's home node first when too short) must hash to its
   ``rootHash`` at ``treeSize``, and recomputing the standing from those entries must
   give every figure; when that log cannot be had, a note says the figures were taken
   as signed;
3. for ``balanced``, each earlier Distribution it counts is fetched and must be signed
   by the same cooperative; for a cooperative of this node, no earlier one in the same
   currency may be left out;
4. the core's :func:`~fedcommons.payout.recompute` splits the amount again from those
   inputs, and every payout that differs is reported.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from ... import urls
from ...errors import BadInput, FedcommonsError, NotFound
from ...log.merkle import Frontier
from ...node import Node
from ...payout import payout_differences, read_distribution, recompute
from ...sig.proof import proof_verification_method, verify_proof
from ...store import coops as coop_store
from ..standing import standing as standing_service
from .payouts import logged_object

if TYPE_CHECKING:  # the type only: the client is an edge's, handed in
    from ...federation.client import Client

# A Distribution or Standing lists one row per person: about 100 bytes each, so this
# admits some 300,000 recipients while still bounding what a peer can make us read
# (the client handed to verify_distribution is opened with it).
MAX_DOCUMENT_BYTES = 32 * 1024 * 1024


@dataclass
class DistributionCheck:
    """What :func:`verify_distribution` found; ``ok`` when there is no problem."""

    url: str
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    cooperative: str | None = None
    amount: str | None = None
    currency: str | None = None
    policy: str | None = None
    recipients: int = 0
    standings: int = 0
    recomputed_standings: int = 0
    previous: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_json(self) -> dict:
        """The report for ``--format json``."""
        return {"url": self.url, "ok": self.ok, "problems": self.problems, "notes": self.notes,
                "cooperative": self.cooperative, "amount": self.amount, "currency": self.currency,
                "policy": self.policy, "recipients": self.recipients, "standings": self.standings,
                "recomputedStandings": self.recomputed_standings, "previous": self.previous}


async def verify_distribution(node: Node, client: Client, url: str) -> DistributionCheck:
    """Check the Distribution at ``url`` as the module docstring says.

    Raises only when the Distribution itself cannot be fetched (NotFound, FetchError).
    """
    check = DistributionCheck(url)
    fetched = (await _fetch_all(node, client, [url]))[url]
    if isinstance(fetched, str):
        raise NotFound(fetched) if urls.is_local(node.url, url) else FedcommonsError(fetched)
    document = fetched
    try:
        terms = read_distribution(document)
    except BadInput as exc:
        check.problems.append(f"it is not a valid Distribution: {exc}")
        return check
    check.cooperative, check.policy = terms.cooperative, terms.policy
    check.amount, check.currency = terms.unit.to_string(terms.amount), terms.unit.code
    check.recipients, check.standings, check.previous = len(terms.payouts), len(terms.standings), len(terms.previous)
    if document.get("attributedTo") != terms.cooperative:
        check.problems.append(f"it is attributed to {document.get('attributedTo')}, "
                              f"not to the cooperative it names, {terms.cooperative}")

    inputs = await _fetch_all(node, client, [ref.id for ref in terms.standings] + list(terms.previous))
    documents = [document] + [d for d in inputs.values() if isinstance(d, dict)]
    keys = await _keys(client, {k for k in map(proof_verification_method, documents) if k})
    _proof(check, document, "the distribution", terms.cooperative, keys)

    standings = {}
    for ref in terms.standings:
        standing = inputs[ref.id]
        if isinstance(standing, str):
            check.problems.append(standing)
            continue
        standings[ref.id] = standing
        _proof(check, standing, f"the standing {ref.id}", standing.get("attributedTo"), keys)
        await _recompute_standing(node, client, check, standing)
    previous = []
    for earlier in terms.previous:
        found = inputs[earlier]
        if isinstance(found, str):
            check.problems.append(found)
            continue
        previous.append(found)
        _proof(check, found, f"the earlier distribution {earlier}", terms.cooperative, keys)
    if terms.policy == "balanced":
        _complete(node, check, document, terms)

    if len(standings) == len(terms.standings) and len(previous) == len(terms.previous):
        try:
            allocation = recompute(document, standings, previous)
        except BadInput as exc:
            check.problems.append(f"cannot recompute the payouts: {exc}")
        else:
            check.problems.extend(payout_differences(document, allocation.payouts))
    else:
        check.problems.append("the payouts were not recomputed: inputs are missing")
    return check


def _proof(check: DistributionCheck, document: dict, what: str, owner: object, keys: dict) -> None:
    """Add a problem unless ``document`` carries a proof that verifies with a key of ``owner``."""
    key_id = proof_verification_method(document)
    if key_id is None:
        check.problems.append(f"{what} carries no proof")
        return
    found = keys.get(key_id)
    if isinstance(found, str) or found is None:
        check.problems.append(f"{what}: {found or 'its key could not be fetched'}")
        return
    key, key_owner = found
    if key_owner != owner:
        check.problems.append(f"{what} is signed with a key of {key_owner}, not of {owner}")
        return
    verdict = verify_proof(document, key)
    if not verdict.ok:
        check.problems.append(f"{what}: the proof does not verify ({verdict.reason})")


async def _recompute_standing(node: Node, client: Client, check: DistributionCheck, standing: dict) -> None:
    """Recompute a Standing from the log its checkpoint names, when this node holds that log."""
    name = standing.get("id")
    checkpoint, pool = standing.get("checkpoint"), standing.get("pool")
    if not isinstance(checkpoint, dict) or not isinstance(pool, str):
        return  # recompute() reports the malformed input
    origin, size = checkpoint.get("origin"), checkpoint.get("treeSize")
    try:
        if origin == node.config.origin:
            log = standing_service.local_log(node)
        else:  # replicated from the pool's home node first when this node holds too little
            log = await standing_service.replicated_log(node, client, origin, peer=_home(pool), need=size)
    except FedcommonsError as exc:
        check.notes.append(f"the figures of {name} were taken as signed, not recomputed: {exc}")
        return
    if type(size) is not int or not 1 <= size <= log.size:
        check.problems.append(f"{name} names {size} entries of the log of {origin}, which has {log.size} here")
        return
    frontier = Frontier.empty()
    ledger = standing_service.log_ledger(log, size, pool, frontier)
    root = base64.b64encode(frontier.root()).decode("ascii")
    if root != checkpoint.get("rootHash"):
        check.problems.append(f"{name}: the first {size} entries of the log of {origin} have root {root}, "
                              f"not the rootHash it names")
        return
    try:
        expected, _ = standing_service.compute(
            ledger, checkpoint, standing_service.parse_as_of(standing.get("asOf")),
            standing.get("method"), standing.get("parameters"))
    except (BadInput, NotFound) as exc:
        check.problems.append(f"{name} cannot be recomputed: {exc}")
        return
    difference = standing_service.first_difference(standing, expected)
    if difference:
        check.problems.append(f"{name}: {difference}")
    else:
        check.recomputed_standings += 1


def _complete(node: Node, check: DistributionCheck, document: dict, terms) -> None:
    """For a cooperative of this node: every earlier Distribution in the currency is counted."""
    if not urls.is_local(node.url, terms.cooperative):
        check.notes.append("whether every earlier distribution was counted is checked only on the "
                           "cooperative's own node")
        return
    this = coop_store.distribution(node.db, document.get("id"))
    if this is None:
        return  # not ours as published (a copy): the proof check has said so
    earlier = {row.id for row in coop_store.distributions(node.db, terms.cooperative, currency=terms.unit.code)
               if row.entry < this.entry}
    for missing in sorted(earlier - set(terms.previous)):
        check.problems.append(f"the earlier distribution {missing} is left out of what was already paid")


async def _fetch_all(node: Node, client: Client, targets: list[str]) -> dict[str, dict | str]:
    """Each URL's document, or a string saying why it could not be had."""
    found: dict[str, dict | str] = {}
    remote = []
    for url in targets:
        if not urls.is_local(node.url, url):
            remote.append(url)
            continue
        document = logged_object(node, url)
        if document is None and "/standing?" in url:
            try:
                document = standing_service.local_standing_document(node, url)
            except FedcommonsError as exc:
                found[url] = f"{url} cannot be recomputed here: {exc}"
                continue
        found[url] = document if document is not None else f"{url} is not in this node's log"

    for url in remote:
        try:
            found[url] = await client.get_json(url)
        except FedcommonsError as exc:
            found[url] = f"cannot fetch {url}: {exc}"
    return found


async def _keys(client: Client, key_ids: set[str]) -> dict[str, tuple | str]:
    """(public key, owner URL) for each key id, or a string saying why not."""
    found: dict[str, tuple | str] = {}
    for key_id in sorted(key_ids):
        try:
            found[key_id] = await client.public_key(key_id)
        except FedcommonsError as exc:
            found[key_id] = f"the key {key_id} could not be had: {exc}"
    return found


def _home(pool: str) -> str:
    """Where to replicate a pool's log from: its home node, else (a pool of another shape)
    its server's root, the best guess left."""
    parts = urlsplit(pool)
    return urls.home_of_pool(pool) or f"{parts.scheme}://{parts.netloc}"
