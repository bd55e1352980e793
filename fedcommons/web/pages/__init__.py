"""The pages people look at, one module per resource, served at the same URLs as the
ActivityPub documents when the client asks for HTML.

Where a URL also serves a document (an actor, a standing, a cooperative's books), its
handler stays beside the other documents (`web.actors`, `web.standing`,
`web.coops`), picks by the Accept header, and calls a page here. The forms that act
(sign in, consent, log work, review) post back to the same pages; sessions and CSRF are in
:mod:`fedcommons.web.session`.
"""

from aiohttp import web

from ...store.actors import ActorRow
from . import coop, home, person, pool


async def actor_page(request: web.Request, row: ActorRow, doc: dict) -> web.Response:
    """The page for a local actor of any kind."""
    show = {"pool": pool.page, "person": person.page, "cooperative": coop.page, "node": home.node_actor}[row.kind]
    return await show(request, row, doc)
