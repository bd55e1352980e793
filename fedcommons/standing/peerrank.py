"""``peer-rank/1``: validated effort mints standing, endorsements move it between peers.

A PageRank-style flow in the spirit of SourceCred's CredRank, on a graph of
contributors, contributions and endorsements:

- Each validated contribution in the period is a node that receives the random walk's
  restarts in proportion to the value it mints (exactly the ``effort/1`` term), and
  passes everything it receives to its provider.
- A contributor passes ``1 - endorsementShare`` of what they hold back to their own
  contributions and ``endorsementShare`` through their endorsements, split by endorsement
  weight, to the endorsed contributions (and so on to their providers). A contributor
  who endorses nothing keeps it all. Endorsing therefore gives away part of one's own
  standing: an endorsement is worth as much as its endorser holds.
- With probability ``alpha`` the walk follows an edge, otherwise it restarts.

Only validated contributions exist in the graph and only their providers hold
standing, so an account with no validated contribution holds nothing, passes nothing
and receives nothing: a ring of such accounts endorsing each other or anyone else
changes no score. Endorsements by an endorser outside the graph are dropped for that
reason; self-endorsements were already dropped by :mod:`fedcommons.standing.view`.

A contribution node has a single out-edge, to its provider, so the contributions of one
provider can be lumped into one node without changing any contributor's mass. The
chain then has two nodes per contributor, C (their contributions) and P (the person):

    C = (1 - alpha) * seed + alpha * T^T P        P = alpha * C

which gives the iteration ``P <- alpha (1 - alpha) seed + alpha² T^T P`` on a
contributor-by-contributor matrix (CSR; one column per endorser). It stops when the
largest change is at most ``tolerance`` times the largest entry, or after
``maxIterations``. Scores are ``P`` rescaled to the total minted value, so they are in
the same unit as ``effort/1`` and, with no endorsements, equal it.

Determinism: contributors are numbered in URL order, endorsement weights are summed as
integers (millionths), and the product ``T^T P`` is taken as an elementwise multiply
and a sequential sum (``numpy.bincount``) rather than ``csr @ P``, whose compiled loop
may or may not fuse multiply-adds depending on how scipy was built.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .effort import minted_values
from .numeric import exact_sum
from .parameters import Parameters
from .view import LedgerView

if TYPE_CHECKING:
    from scipy import sparse


def peer_rank_scores(view: LedgerView, params: Parameters) -> tuple[dict[str, float], int]:
    """``peer-rank/1`` score of every contributor with a counting contribution, and iterations."""
    minted = minted_values(view, params)
    if len(minted.rows) == 0:
        return {}, 0
    names = view.names
    interned = np.unique(view.provider[minted.rows])
    urls = [names[i] for i in interned.tolist()]
    canonical = sorted(range(len(urls)), key=urls.__getitem__)
    members = interned[canonical]
    n = len(members)
    position = np.full(len(names), -1, dtype=np.int64)
    position[members] = np.arange(n)

    seed = minted.per_provider[members]
    total = exact_sum(seed)
    if total <= 0:
        return {}, 0
    seed = seed / total

    flow = _flow_matrix(view, minted.rows, position, n, params.endorsement_share)
    mass, iterations = _iterate(flow, seed, params)
    scores = (mass / exact_sum(mass)) * total
    return {names[i]: float(s) for i, s in zip(members.tolist(), scores.tolist())}, iterations


def _flow_matrix(view: LedgerView, rows: np.ndarray, position: np.ndarray, n: int,
                 share: float) -> sparse.csr_array:
    """T^T: entry (v, u) is the fraction of contributor u's outflow that reaches v's work."""
    # scipy takes about 0.2 s to load: only computing a peer-rank standing needs it, not
    # every command that imports the standing methods.
    from scipy import sparse

    counting = np.zeros(len(view.provider), dtype=bool)
    counting[rows] = True
    keep = counting[view.endorsed] & (position[view.endorser] >= 0)
    endorser = position[view.endorser[keep]]
    endorsee = position[view.provider[view.endorsed[keep]]]
    weight = view.weight[keep]

    pair = endorser * n + endorsee
    if len(pair):
        order = np.argsort(pair, kind="stable")
        pair_sorted = pair[order]
        starts = np.flatnonzero(np.r_[True, pair_sorted[1:] != pair_sorted[:-1]])
        pairs = pair_sorted[starts]
        # Integer sums are exact whatever the order; weights are millionths.
        pair_weight = np.add.reduceat(weight[order], starts)
    else:
        pairs = pair_weight = np.zeros(0, dtype=np.int64)
    u, v = pairs // n, pairs % n
    out_weight = np.zeros(n, dtype=np.int64)
    np.add.at(out_weight, u, pair_weight)

    off_diagonal = share * (pair_weight.astype(np.float64) / out_weight[u].astype(np.float64))
    diagonal = np.where(out_weight > 0, 1.0 - share, 1.0)
    everyone = np.arange(n)
    matrix = sparse.csr_array(
        (np.r_[off_diagonal, diagonal], (np.r_[v, everyone], np.r_[u, everyone])), shape=(n, n)
    )
    matrix.sort_indices()
    return matrix


def _iterate(flow: sparse.csr_array, seed: np.ndarray, params: Parameters) -> tuple[np.ndarray, int]:
    """Power iteration to the stationary contributor masses."""
    alpha = params.alpha
    restart = alpha * (1.0 - alpha)
    follow = alpha * alpha
    n = len(seed)
    row_of_entry = np.repeat(np.arange(n), np.diff(flow.indptr))
    data, columns = flow.data, flow.indices
    # The fixed point when nobody endorses: a good start, often already the answer.
    mass = seed * (alpha / (1.0 + alpha))
    iterations = 0
    for iterations in range(1, params.max_iterations + 1):
        moved = np.bincount(row_of_entry, weights=data * mass[columns], minlength=n)
        new = restart * seed + follow * moved
        change = np.max(np.abs(new - mass))
        mass = new
        if change <= params.tolerance * np.max(new):
            break
    return mass, iterations
