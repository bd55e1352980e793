"""WebFinger (RFC 7033), NodeInfo 2.1 / 2.0 and host-meta."""

import json

from aiohttp import web

from .. import __version__
from .keys import NODE
from ..node import NODE_NAME
from ..store import actors as actor_store
from ..store import log as log_store
from ..store import mirrors as mirror_store

JRD = "application/jrd+json"


async def webfinger(request: web.Request) -> web.Response:
    """Resolve acct:name@host (or an actor URL) to the actor, for people, pools and cooperatives."""
    node = request.app[NODE]
    resource = request.query.get("resource", "").strip()
    if not resource:
        raise web.HTTPBadRequest(text="the resource parameter is required (acct:name@host)")
    row = None
    if resource.startswith("acct:") or ("@" in resource and "://" not in resource):
        name, _, host = resource.removeprefix("acct:").lstrip("@").partition("@")
        if host.lower() != node.config.host:
            raise web.HTTPNotFound(text=f"{resource} is not on this node")
        if name.lower() == node.config.host:
            row = actor_store.local_actor(node.db, NODE_NAME, "node")
        else:
            row = actor_store.local_actor(node.db, name.lower())
            if row is not None and row.kind == "node":
                row = None
    else:
        candidate = actor_store.actor(node.db, resource)
        row = candidate if candidate and candidate.local else None
    if row is None:
        raise web.HTTPNotFound(text=f"no actor {resource} on this node")
    username = row.name if row.kind != "node" else node.config.host
    body = {
        "subject": f"acct:{username}@{node.config.host}",
        "aliases": [row.id],
        "links": [
            {"rel": "self", "type": "application/activity+json", "href": row.id},
            {"rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": row.id},
        ],
    }
    return web.Response(body=json.dumps(body).encode(), content_type=JRD,
                        headers={"Access-Control-Allow-Origin": "*"})


async def nodeinfo_links(request: web.Request) -> web.Response:
    """/.well-known/nodeinfo: where the NodeInfo documents are."""
    base = request.app[NODE].url
    return web.json_response({"links": [
        {"rel": "http://nodeinfo.diaspora.software/ns/schema/2.1", "href": f"{base}/nodeinfo/2.1"},
        {"rel": "http://nodeinfo.diaspora.software/ns/schema/2.0", "href": f"{base}/nodeinfo/2.0"},
    ]})


async def nodeinfo(request: web.Request) -> web.Response:
    """NodeInfo 2.1 or 2.0 (the 2.0 link is what Mastodon reads)."""
    node = request.app[NODE]
    version = request.match_info["version"]
    if version not in ("2.0", "2.1"):
        raise web.HTTPNotFound(text="NodeInfo versions 2.0 and 2.1 are served")
    people = len(actor_store.local_actors(node.db, "person"))
    software = {"name": "fedcommons", "version": __version__}
    if version == "2.1":
        software["homepage"] = node.url
    body = {
        "version": version,
        "software": software,
        "protocols": ["activitypub"],
        "services": {"inbound": [], "outbound": []},
        "openRegistrations": False,
        "usage": {"users": {"total": people}, "localPosts": log_store.log_size(node.db)},
        "metadata": nodeinfo_metadata(node),
    }
    schema = f"http://nodeinfo.diaspora.software/ns/schema/{version}#"
    return web.Response(body=json.dumps(body).encode(),
                        content_type="application/json", headers={"Content-Profile": schema})


def nodeinfo_metadata(node) -> dict:
    """What fedcommons adds to NodeInfo: the log and what it knows of other logs."""
    latest = log_store.latest_checkpoint(node.db)
    return {
        "nodeName": node.config.host,
        "logOrigin": node.config.origin,
        "logSize": latest[0] if latest else 0,
        "pools": len(actor_store.local_actors(node.db, "pool")),
        "cooperatives": len(actor_store.local_actors(node.db, "cooperative")),
        "forkedOrigins": mirror_store.forked_origins(node.db),
    }


async def host_meta(request: web.Request) -> web.Response:
    """host-meta: the WebFinger template, for software that starts there."""
    base = request.app[NODE].url
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">\n'
        f'  <Link rel="lrdd" template="{base}/.well-known/webfinger?resource={{uri}}"/>\n'
        "</XRD>\n"
    )
    return web.Response(text=xml, content_type="application/xrd+xml")
