"""`fedcommons log ...`: read, checkpoint and verify the node's log."""

import json

import click

from ..errors import IntegrityError, NotFound
from ..fields import object_id, types
from ..node import NODE_NAME
from ..services.log.redaction import redact
from ..services.log.verify import verify_log
from ..services.replication import mirrors
from ..sig.note import verifier_key
from ..store import log as log_store
from ..store import mirrors as mirror_store
from . import main
from .common import FORMAT, echo_json, node_from, progressbar
from .mirrors import verify_mirror_command


@main.group()
def log() -> None:
    """The node's signed, append-only log."""


@log.command("show")
@click.option("--origin", help="List this node's mirror of another node's log instead (its origin or URL): "
                               "the entries a checkpoint signed by that log's pinned key covers.")
@click.option("--start", type=click.IntRange(min=0), default=0, show_default=True, help="First index.")
@click.option("--limit", type=click.IntRange(min=1), help="At most this many entries.")
@FORMAT
@click.pass_context
def log_show(ctx, origin: str | None, start: int, limit: int | None, fmt: str) -> None:
    """List log entries; with --format json, one JSON object per line."""
    node = node_from(ctx)
    stop = None if limit is None else start + limit
    if origin:
        return _show_mirror(node, origin, start, stop, fmt)
    for row in log_store.iter_entries(node.db, start, stop):
        activity = json.loads(row.body) if row.body is not None else None
        if fmt == "json":
            click.echo(json.dumps({
                "index": row.idx, "leaf_hash": row.leaf_hash.hex(), "activity": activity,
                "origin": row.origin, "verified_by": row.verified_by, "recorded_at": row.recorded_at,
            }, ensure_ascii=False))
        else:
            what = row.object_id or ""
            click.echo(f"{row.idx:>7}  {row.leaf_hash.hex()[:16]}  {row.type:<8} {row.actor}  {what}")


@log.command("redact")
@click.argument("index", type=click.IntRange(min=0))
@click.option("--reason", required=True, help="Why the bytes go (published in the notice; no personal data).")
@click.option("--as", "by", required=True,
              help="A steward of the pool the entry belongs to, or `node` for the node's admin.")
@FORMAT
@click.pass_context
def log_redact(ctx, index: int, reason: str, by: str, fmt: str) -> None:
    """Drop entry INDEX's bytes (personal data), keeping its leaf hash and its figures.

    Appends a signed redaction notice that tells every mirror to drop its copy too;
    proofs, checkpoints and standing stay as they were. Prints the notice's id.
    """
    notice = redact(node_from(ctx), index, reason=reason, by=by)
    if fmt == "json":
        echo_json({"index": index, "notice": notice["id"], "leaf_hash": notice["leafHash"]})
    else:
        click.echo(notice["id"])

def _show_mirror(node, origin: str, start: int, stop: int | None, fmt: str) -> None:
    """`log show --origin`: a mirror's verified entries, read as the origin's log holds them.

    A mirror keeps each entry's bytes and leaf hash, not where the origin got it from: the
    JSON lines name the log (`log`) instead of `origin`, `verified_by` and `recorded_at`."""
    row = mirrors.require(node, origin)
    for entry in mirror_store.iter_entries(node.db, row.origin, start, stop):
        activity = json.loads(entry.body) if entry.body is not None else None
        if fmt == "json":
            click.echo(json.dumps({"index": entry.idx, "leaf_hash": entry.leaf_hash.hex(), "activity": activity,
                                   "log": row.origin}, ensure_ascii=False))
            continue
        if isinstance(activity, dict):
            kind, actor, what = (types(activity) or ["Object"])[0], _actor(activity), object_id(activity) or ""
        else:
            kind, actor, what = "redacted", "", ""
        click.echo(f"{entry.idx:>7}  {entry.leaf_hash.hex()[:16]}  {kind:<8} {actor}  {what}")


def _actor(activity: dict) -> str:
    actor = activity.get("actor")
    if isinstance(actor, dict):
        actor = actor.get("id")
    return actor if isinstance(actor, str) else ""


@log.command("checkpoint")
@click.option("--verifier-key", "show_key", is_flag=True, help="Print the C2SP verifier key instead.")
@click.pass_context
def log_checkpoint(ctx, show_key: bool) -> None:
    """Print the current signed checkpoint (a C2SP signed note)."""
    node = node_from(ctx)
    if show_key:
        click.echo(verifier_key(node.config.origin, node.keys.ed25519("node", NODE_NAME).public_key()))
        return
    latest = log_store.latest_checkpoint(node.db)
    if latest is None:
        raise NotFound("the log has no checkpoint yet")
    click.echo(latest[2], nl=False)


@log.command("verify")
@click.option("--origin", help="Verify the stored mirror of another node's log instead (its origin or URL).")
@click.option("--workers", type=click.IntRange(min=0),
              help="Processes that check object proofs (default: one per core, up to 4, for large logs; 0: none).")
@FORMAT
@click.pass_context
def log_verify(ctx, origin: str | None, workers: int | None, fmt: str) -> None:
    """Recompute every leaf, node, root, proof and checkpoint signature.

    Exit 0 when all holds; exit 1 naming the first bad entry otherwise.
    """
    node = node_from(ctx)
    if origin:
        return verify_mirror_command(node, origin, fmt, workers)
    size = log_store.log_size(node.db)
    try:
        with progressbar(size, "verifying") as bar:
            report = verify_log(node, progress=bar.update, workers=workers)
    except IntegrityError as exc:
        if fmt == "json":
            echo_json({"ok": False, "error": str(exc)})
            raise SystemExit(1)
        raise
    if fmt == "json":
        echo_json({"ok": True, "entries": report.entries, "proofs": report.proofs,
                   "checkpoints": report.checkpoints, "merkle_nodes": report.nodes,
                   "redacted": report.redacted, "transport_only": report.transport_only,
                   "root": report.root.hex()})
        return
    click.echo(
        f"ok: {report.entries} entries, {report.proofs} object proofs, {report.nodes} Merkle nodes, "
        f"{report.checkpoints} checkpoints verified; root {report.root.hex()}"
    )
    if report.transport_only:
        click.echo(f"  {report.transport_only} remote entries carry no object proof we can check "
                   "(verified by HTTP signature on receipt)")
