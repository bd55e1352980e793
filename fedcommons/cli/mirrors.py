"""`fedcommons sync`, `peers`, `fork show` and `witness ...`: other nodes' logs."""

import os

import click

from ..errors import IntegrityError
from ..federation.witnessing import request_cosignature
from ..log.fork import verify_evidence
from ..services.replication.mirror_verify import verify_mirror
from ..services.replication.mirrors import require
from ..services.replication.sync import MAX_PAGE_BYTES, PAGE_SIZE, TIMEOUT, SyncResult, sync_peer
from ..services.replication.witness import cosigner
from ..store import mirrors as mirror_store
from ..store import witness as witness_store
from . import main
from .common import FORMAT, LazyProgress, echo_json, node_from, progressbar
from .network import with_client


def default_workers() -> int:
    """One page-checking process per core, up to 4; none on a single core."""
    cores = os.cpu_count() or 1
    return 0 if cores < 2 else min(cores, 4)


@main.command()
@click.argument("peer_url")
@click.option("--page-size", type=click.IntRange(1, 1000), default=PAGE_SIZE, show_default=True,
              help="Entries asked for per request.")
@click.option("--workers", type=click.IntRange(0, 64), default=None,
              help="Processes that check pages in parallel on a long sync (default: one per core, "
                   "up to 4; 0 checks them in this process).")
@FORMAT
@click.pass_context
def sync(ctx, peer_url: str, page_size: int, workers: int | None, fmt: str) -> None:
    """Replicate the log of the node at PEER_URL and verify every entry.

    The first sync pins the peer's checkpoint key. Each run resumes where the last one
    stopped, checks the new checkpoint against every one seen before, and compares the
    checkpoints the peer holds of other logs with ours. A fork is recorded with its
    evidence (see `fedcommons fork show`) and exits with status 1.
    """
    node = node_from(ctx)
    progress = LazyProgress("syncing")
    try:
        result = with_client(node, lambda client: sync_peer(
            node, client, peer_url, page_size=page_size, progress=progress,
            workers=default_workers() if workers is None else workers),
            timeout=TIMEOUT, max_bytes=MAX_PAGE_BYTES)
    finally:
        progress.close()
    if fmt == "json":
        echo_json(_result_json(result))
        return
    click.echo(f"{result.origin}: {result.fetched} new entries verified "
               f"({result.proofs} object proofs, {result.unchecked} from other servers unchecked, "
               f"{result.redacted} redacted); mirror at size {result.size} of {result.checkpoint_size} "
               f"in {result.seconds:.2f} s")
    if result.forks:
        click.echo(f"fork evidence recorded ({len(result.forks)}); see `fedcommons fork show ORIGIN`", err=True)
        raise SystemExit(1)


def _result_json(result: SyncResult) -> dict:
    return {"origin": result.origin, "url": result.url, "before": result.before, "size": result.size,
            "checkpoint_size": result.checkpoint_size, "fetched": result.fetched, "proofs": result.proofs,
            "unchecked": result.unchecked, "redacted": result.redacted, "forks": result.forks,
            "complete": result.complete, "seconds": round(result.seconds, 3)}


@main.command()
@FORMAT
@click.pass_context
def peers(ctx, fmt: str) -> None:
    """Logs of other nodes this node mirrors, with their sync state."""
    node = node_from(ctx)
    rows = mirror_store.mirrors(node.db)
    items = [{"origin": r.origin, "url": r.url, "size": r.size, "staged": r.staged_size - r.size,
              "root": r.root.hex(), "last_sync": r.last_sync, "forked": r.forked, "last_error": r.last_error,
              "verifier_key": r.verifier_key} for r in rows]
    if fmt == "json":
        echo_json(items)
        return
    if not items:
        click.echo("no mirrored logs yet: `fedcommons sync URL` starts one")
    for item in items:
        state = "FORKED" if item["forked"] else "ok"
        click.echo(f"{item['origin']:<32} {state:<7} size {item['size']:>8}  last sync {item['last_sync'] or 'never'}")
        if item["staged"]:
            click.echo(f"    {item['staged']} entries staged, waiting for a checkpoint")
        if item["last_error"]:
            click.echo(f"    last error: {item['last_error']}")


@main.group()
def fork() -> None:
    """Evidence that a mirrored log forked."""


@fork.command("show")
@click.argument("origin")
@FORMAT
@click.pass_context
def fork_show(ctx, origin: str, fmt: str) -> None:
    """Print the evidence held against ORIGIN (a log origin or its node's URL).

    The checkpoint notes are printed verbatim with the verifier key and the proof
    hashes, so anyone can check them with the published algorithms (C2SP signed notes
    and checkpoints, RFC 9162 consistency proofs); each piece is also checked here.
    """
    node = node_from(ctx)
    row = require(node, origin)
    found = mirror_store.forks(node.db, row.origin)
    items = []
    for item in found:
        verdict = verify_evidence(item.evidence)
        items.append({"id": item.id, "kind": item.kind, "detected_at": item.detected_at, "flag": item.flag,
                      "verified": verdict.proven, "conclusive": verdict.conclusive, "verdict": verdict.reason,
                      "evidence": item.evidence})
    if fmt == "json":
        echo_json({"origin": row.origin, "forked": row.forked, "forks": items})
        return
    if not items:
        click.echo(f"no fork evidence held against {row.origin}")
        return
    for item in items:
        evidence = item["evidence"]
        click.echo(f"fork {item['id']} of {row.origin} ({item['kind']}), detected {item['detected_at']}")
        click.echo(f"  {evidence['explanation']}")
        click.echo(f"  verifier key: {evidence['verifierKey']}")
        for number, note in enumerate(evidence["notes"], start=1):
            click.echo(f"  checkpoint note {number}:")
            for line in note.splitlines():
                click.echo(f"    {line}")
        if "impliedRoot" in evidence:
            click.echo(f"  implied root at size {evidence['sizes'][0]}: {evidence['impliedRoot']}")
        if evidence.get("proof"):
            click.echo(f"  consistency proof {evidence['sizes'][0]} -> {evidence['sizes'][1]} (base64):")
            for value in evidence["proof"]:
                click.echo(f"    {value}")
        strength = "conclusive" if item["conclusive"] else "not conclusive"
        click.echo(f"  checked here: {'holds' if item['verified'] else 'DOES NOT HOLD'} ({strength}): {item['verdict']}")


@main.group()
def witness() -> None:
    """Witnessing: cosigning other logs' checkpoints, and asking others to cosign ours."""


@witness.command("key")
@click.pass_context
def witness_key(ctx) -> None:
    """Print this node's witness cosigner key (a C2SP vkey of type 0x04)."""
    click.echo(cosigner(node_from(ctx)).verifier_key())


@witness.command("request")
@click.argument("peer_url")
@FORMAT
@click.pass_context
def witness_request(ctx, peer_url: str, fmt: str) -> None:
    """Ask the node at PEER_URL to cosign our latest checkpoint, and keep its cosignature.

    The peer must mirror this node's log (it witnesses only logs it follows). The
    cosignature is verified with the peer's witness key, pinned on first use, and then
    served with our checkpoint at /log/checkpoint.
    """
    node = node_from(ctx)
    size = with_client(node, lambda client: request_cosignature(node, client, peer_url),
                       timeout=TIMEOUT, max_bytes=1024 * 1024)
    lines = witness_store.cosignature_lines(node.db, size)
    if fmt == "json":
        echo_json({"size": size, "cosignatures": lines})
        return
    click.echo(f"checkpoint of size {size} cosigned; it now carries {len(lines)} cosignature(s)")



def verify_mirror_command(node, origin: str, fmt: str, workers: int | None = None) -> None:
    """`fedcommons log verify --origin ORIGIN`: re-verify a stored mirror offline."""
    row = require(node, origin)
    try:
        with progressbar(row.staged_size, "verifying") as bar:
            report = verify_mirror(node, row.origin, progress=bar.update, workers=workers)
    except IntegrityError as exc:
        if fmt == "json":
            echo_json({"ok": False, "origin": row.origin, "error": str(exc)})
            raise SystemExit(1)
        raise
    if fmt == "json":
        echo_json({"ok": True, "origin": report.origin, "entries": report.entries, "size": row.size,
                   "staged": report.staged, "proofs": report.proofs, "unchecked": report.unchecked,
                   "redacted": report.redacted, "merkle_nodes": report.nodes,
                   "checkpoints": report.checkpoints, "root": report.root.hex(), "forks": report.forks})
        return
    click.echo(f"ok: mirror of {report.origin}: {report.entries} entries, {report.proofs} object proofs, "
               f"{report.nodes} Merkle nodes, {report.checkpoints} seen checkpoints verified; "
               f"size {row.size}, root {report.root.hex()}")
    if report.unchecked:
        click.echo(f"  {report.unchecked} entries are signed by other servers' keys, which this log does not publish")
    for note in report.notes:
        click.echo(f"  {note}")
    if report.forks:
        click.echo(f"  {report.forks} piece(s) of fork evidence held: `fedcommons fork show {report.origin}`")
