"""The node's front page: its pools and cooperatives, its log and who vouches for it, its peers.

A fork alarm comes first: if a peer's log was seen to fork, that is the one thing an
operator must not miss.
"""

from aiohttp import web

from ..keys import NODE
from ...node import Node
from ...store import actors as actor_store
from ...store import contributions as contribution_store
from ...store import coops as coop_store
from ...store import log as log_store
from ...store import mirrors as mirror_store
from ...store import witness as witness_store
from .. import html
from .common import respond


async def home(request: web.Request) -> web.Response:
    """GET /: everything this node hosts and how its log stands, at a glance."""
    node = request.app[NODE]
    parts = [f"<h1>{html.esc(node.config.host)}</h1>",
             "<p class=muted>A fedcommons node: common pools, the work put into them, and the "
             "cooperatives that pay for it, all in one public, signed log.</p>",
             _fork_alarm(node), _pools(node), _coops(node), _log(node), _peers(node)]
    return respond(request, node.config.host, "".join(parts))


async def node_actor(request: web.Request, row, doc: dict) -> web.Response:
    """GET /actor for a browser: the instance actor and the key that signs the log."""
    body = (f"<h1>{html.esc(doc.get('preferredUsername', ''))}</h1><p class=muted>instance actor</p>"
            "<dl class=facts>"
            f"<dt>Log origin</dt><dd><code>{html.esc(doc.get('logOrigin', ''))}</code></dd>"
            f"<dt>Verifier key</dt><dd><code>{html.esc(doc.get('logVerifierKey', ''))}</code></dd>"
            f"<dt>Checkpoint</dt><dd>{html.link(doc.get('logCheckpoint', '/log/checkpoint'))}</dd></dl>"
            f"<p>{html.link('/', 'Home')} · {html.link('/log', 'browse the log')} · "
            f"{html.link(row.id + '?format=json', 'JSON-LD')}</p>")
    return respond(request, "Instance actor", body)


def _fork_alarm(node: Node) -> str:
    forked = mirror_store.forked_origins(node.db)
    if not forked:
        return ""
    items = []
    for origin in forked:
        for fork in mirror_store.forks(node.db, origin) or [None]:
            when = f", detected {html.esc(fork.detected_at)} ({html.esc(fork.kind)})" if fork else ""
            items.append(f"<li><code>{html.esc(origin)}</code>{when}</li>")
    return ("<div class=alarm role=alert><h2>Fork alarm</h2>"
            "<p>These logs signed two checkpoints that cannot both be true. The evidence is kept, "
            "nothing more is trusted from them, and followers were told.</p>"
            f"<ul>{''.join(items)}</ul></div>")


def _pools(node: Node) -> str:
    pools = actor_store.local_actors(node.db, "pool")
    if not pools:
        return "<h2>Pools</h2><p class=muted>No pool yet: <code>fedcommons pool create SLUG ...</code></p>"
    rows = []
    for p in pools:
        settings = actor_store.pool(node.db, p.id)
        pending = contribution_store.count_of_pool(node.db, p.id, status="pending")
        rows.append(
            f"<tr><td>{html.link(p.id, p.display_name or p.name)}"
            + (f"<br><span class=muted>{html.esc(p.summary)}</span>" if p.summary else "")
            + f"</td><td class=num>{contribution_store.count_of_pool(node.db, p.id):,}</td>"
            f"<td class=num>{pending:,}</td>"
            f"<td class=opt>{html.esc(settings.license if settings and settings.license else '')}</td></tr>")
    return ("<h2>Pools</h2><div class=scroll><table class=pools><thead><tr><th>Pool</th>"
            "<th class=num>Contributions</th><th class=num>Pending</th><th class=opt>Licence</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table></div>")


def _coops(node: Node) -> str:
    coops = actor_store.local_actors(node.db, "cooperative")
    if not coops:
        return ""
    rows = "".join(
        f"<tr><td>{html.link(c.id, c.display_name or c.name)}</td>"
        f"<td class=num>{len(coop_store.sustains(node.db, c.id))}</td>"
        f"<td class=num>{coop_store.count_distributions(node.db, c.id):,}</td>"
        f"<td>{html.link(c.id + '/distributions', 'open books')}</td></tr>" for c in coops)
    return ("<h2>Cooperatives</h2><div class=scroll><table class=coops><thead><tr><th>Cooperative</th>"
            "<th class=num>Pools</th><th class=num>Distributions</th><th></th></tr></thead>"
            f"<tbody>{rows}</tbody></table></div>")


def _log(node: Node) -> str:
    latest = log_store.latest_checkpoint(node.db)
    if latest is None:
        return "<h2>Log</h2><p class=muted>The log is empty.</p>"
    size, _, note = latest
    cosigned = witness_store.latest_cosigned_size(node.db)
    lines = witness_store.cosignature_lines(node.db, size)
    if lines:
        witnessed = (f"<p>Cosigned by {len(lines)} witness{'es' if len(lines) != 1 else ''}:</p>"
                     f"<pre class=cosignatures>{html.esc(''.join(lines))}</pre>")
    elif cosigned:
        witnessed = (f"<p class=muted>Not cosigned yet; the latest cosigned checkpoint is at {cosigned:,} entries "
                     f"({len(witness_store.cosignature_lines(node.db, cosigned))} cosignatures).</p>")
    else:
        witnessed = "<p class=muted>No witness has cosigned a checkpoint of this log yet.</p>"
    return (f"<h2>Log</h2><p><strong class=log-size>{size:,}</strong> entries · "
            f"{html.link('/log', 'browse the entries')} · {html.link('/log/checkpoint', 'checkpoint')}</p>"
            f"<p>Latest checkpoint, signed by this node:</p><pre class=checkpoint>{html.esc(note)}</pre>{witnessed}")


def _peers(node: Node) -> str:
    mirrors = mirror_store.mirrors(node.db)
    witnesses = witness_store.witness_peers(node.db)
    if not mirrors and not witnesses:
        return ("<h2>Peers</h2><p class=muted>This node replicates no other log yet "
                "(<code>fedcommons sync PEER_URL</code>).</p>")
    parts = ["<h2>Peers</h2>"]
    if mirrors:
        rows = []
        for m in mirrors:
            if m.forked:
                state = "<strong class=error>forked</strong>"
            elif m.last_error:
                state = f"<span class=error>{html.esc(m.last_error)}</span>"
            elif m.size:
                waiting = m.staged_size - m.size
                state = f"{waiting:,} entries wait for a checkpoint" if waiting else "in sync"
            else:
                state = "not synced yet"
            rows.append(f"<tr><td>{html.link(m.url, m.origin)}</td><td class=num>{m.size:,}</td>"
                        f"<td class=opt>{html.esc(m.last_sync or 'never')}</td><td>{state}</td></tr>")
        parts.append("<div class=scroll><table class=peers><thead><tr><th>Replicated log</th>"
                     "<th class=num>Verified entries</th><th class=opt>Last sync</th><th>State</th></tr></thead>"
                     f"<tbody>{''.join(rows)}</tbody></table></div>")
    if witnesses:
        rows = "".join(
            f"<tr><td>{html.link(w.url, w.name)}</td><td class=num>{w.cosigned_size:,}</td>"
            f"<td>{html.esc(w.last_error) if w.last_error else 'ok'}</td></tr>" for w in witnesses)
        parts.append("<h3>Witnesses of this log</h3><div class=scroll><table class=witnesses><thead><tr>"
                     "<th>Witness</th><th class=num>Cosigned size</th><th>State</th></tr></thead>"
                     f"<tbody>{rows}</tbody></table></div>")
    return "".join(parts)
