"""Every URL a node answers, in one place."""

from aiohttp import web

from . import actors, inbox, objects, site, wellknown
from .errors import error_middleware
from .wake import wake_middleware

ACTOR = r"/{kind:users|pools|coops}/{name:[a-z0-9_.-]+}"


def setup(app: web.Application) -> None:
    """Register routes and middleware on the node's application."""
    app.middlewares.append(error_middleware)
    app.middlewares.append(wake_middleware)
    r = app.router
    r.add_get("/.well-known/webfinger", wellknown.webfinger)
    r.add_get("/.well-known/nodeinfo", wellknown.nodeinfo_links)
    r.add_get("/.well-known/host-meta", wellknown.host_meta)
    r.add_get("/nodeinfo/{version}", wellknown.nodeinfo)
    r.add_get("/health", site.health)
    r.add_get("/ns/v1", site.context)
    r.add_get("/", site.home)

    r.add_get("/actor", actors.actor)
    r.add_get("/actor/outbox", actors.outbox)
    r.add_get("/actor/followers", actors.followers)
    r.add_get("/actor/following", actors.following)
    r.add_post("/actor/inbox", inbox.receive)
    r.add_post("/inbox", inbox.receive)

    r.add_get(ACTOR, actors.actor)
    r.add_get(ACTOR + "/outbox", actors.outbox)
    r.add_get(ACTOR + "/followers", actors.followers)
    r.add_get(ACTOR + "/following", actors.following)
    r.add_post(ACTOR + "/inbox", inbox.receive)
    r.add_get(r"/{kind:pools}/{name:[a-z0-9_.-]+}/contributions", actors.pool_contributions)

    r.add_get("/activities/{id}", objects.activity)
    r.add_get("/contributions/{id}", objects.contribution)
