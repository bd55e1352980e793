"""Every URL a node answers, in one place."""

from aiohttp import web

from ..services.accounts import oauth_clients
from . import actors, c2s, coops, inbox, oauth, objects, site, standing, wellknown
from . import logapi, session, sign_in, templating, witness
from .authfetch import authorized_fetch_middleware
from .errors import error_middleware
from .pages import consent, contribute, home, identities, log as log_pages, login, review
from .wake import wake_middleware

ACTOR = r"/{kind:users|pools|coops}/{name:[a-z0-9_.-]+}"


def setup(app: web.Application) -> None:
    """Register routes and middleware on the node's application."""
    app[sign_in.LIMITS] = sign_in.SignInLimits()
    templating.setup(app)
    app.middlewares.append(error_middleware)
    app.middlewares.append(wake_middleware)
    app.middlewares.append(authorized_fetch_middleware)
    app.middlewares.append(session.session_middleware)
    app[oauth.REGISTRATIONS] = oauth_clients.registration_limits()  # counted per process
    r = app.router
    r.add_get("/.well-known/webfinger", wellknown.webfinger)
    r.add_get("/.well-known/nodeinfo", wellknown.nodeinfo_links)
    r.add_get("/.well-known/host-meta", wellknown.host_meta)
    r.add_get("/nodeinfo/{version}", wellknown.nodeinfo)
    r.add_get("/.well-known/oauth-authorization-server", oauth.metadata)
    r.add_get(oauth.AUTHORIZE, consent.authorize_page)
    r.add_post(oauth.AUTHORIZE, consent.authorize_answer)
    r.add_post(oauth.TOKEN, oauth.token)
    r.add_post(oauth.REGISTER, oauth.register)
    r.add_post(oauth.REVOKE, oauth.revoke)
    r.add_get("/health", site.health)
    r.add_get("/ns/v1", site.context)
    r.add_get("/", home.home)
    r.add_get("/login", login.login_page)
    r.add_post("/login", login.login)
    r.add_post("/logout", login.logout)
    r.add_get("/contribute", contribute.form_page)
    r.add_post("/contribute", contribute.submit)

    r.add_get("/actor", actors.actor)
    r.add_get("/actor/outbox", actors.outbox)
    r.add_get("/actor/followers", actors.followers)
    r.add_get("/actor/following", actors.following)
    r.add_post("/actor/inbox", inbox.receive)
    r.add_post("/inbox", inbox.receive)

    r.add_get(ACTOR, actors.actor)
    r.add_get(ACTOR + "/outbox", c2s.outbox)  # the public view, or everything sent with a token
    r.add_post(ACTOR + "/outbox", c2s.post_outbox)
    r.add_get(ACTOR + "/inbox", c2s.inbox)
    r.add_get(ACTOR + "/followers", actors.followers)
    r.add_get(ACTOR + "/following", actors.following)
    r.add_post(ACTOR + "/inbox", inbox.receive)
    r.add_get(r"/{kind:pools}/{name:[a-z0-9_.-]+}/contributions", actors.pool_contributions)
    r.add_get(r"/{kind:pools}/{name:[a-z0-9_.-]+}/standing", standing.standing)
    r.add_get(r"/pools/{name:[a-z0-9_.-]+}/pending", review.queue)
    r.add_post(r"/pools/{name:[a-z0-9_.-]+}/pending", review.decide)
    r.add_get(r"/pools/{name:[a-z0-9_.-]+}/identities", identities.identities)
    r.add_post(r"/pools/{name:[a-z0-9_.-]+}/identities", identities.bind)
    r.add_get(r"/coops/{name:[a-z0-9_.-]+}/distributions", coops.distributions)
    r.add_get(r"/coops/{name:[a-z0-9_.-]+}/distributions/{id:[0-9a-f]{32}}.csv", coops.distribution_csv)
    r.add_get(r"/coops/{name:[a-z0-9_.-]+}/distributions/{id:[0-9a-f]{32}}", coops.distribution)
    r.add_get(r"/coops/{name:[a-z0-9_.-]+}/standings/{id:[0-9a-f]{32}}", coops.standing)

    r.add_get("/activities/{id}", objects.activity)
    r.add_get("/contributions/{id}", objects.contribution)

    r.add_get("/log", log_pages.log_page)  # for people; the rest of /log/ is data
    r.add_get("/log/checkpoint", logapi.checkpoint)
    r.add_get("/log/entries", logapi.entries)
    r.add_get("/log/proof/inclusion", logapi.inclusion)
    r.add_get("/log/proof/consistency", logapi.consistency)
    r.add_get("/log/mirrors", logapi.mirrors)
    r.add_get("/witness", witness.info)
    r.add_post("/witness/add-checkpoint", witness.add_checkpoint)
