"""Content negotiation: ActivityPub clients get JSON-LD, browsers get HTML, for one URL."""

import json

from aiohttp import web

AP_TYPES = ("application/activity+json", "application/ld+json")
ACTIVITY_JSON = "application/activity+json"
# Set on a request whose response was chosen by its Accept header.
NEGOTIATED = web.RequestKey("negotiated", bool)


def wants_activity_json(request: web.Request) -> bool:
    """True for `application/activity+json` or `application/ld+json` (any profile), or `application/json`
    without a stronger preference for HTML."""
    request[NEGOTIATED] = True
    if request.query.get("format") == "json":
        return True  # lets a person look at the JSON-LD from a browser
    accept = request.headers.get("Accept", "")
    if not accept:
        return True  # curl and most scripts: data, not a page
    ranked = []
    for part in accept.split(","):
        media, _, params = part.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        ranked.append((media.strip().lower(), q))
    best_json = max((q for m, q in ranked if m in AP_TYPES or m == "application/json"), default=0.0)
    best_html = max((q for m, q in ranked if m in ("text/html", "application/xhtml+xml")), default=0.0)
    return best_json > 0 and best_json >= best_html


def activity_response(document: dict, *, status: int = 200) -> web.Response:
    """A JSON-LD document as `application/activity+json`."""
    return web.Response(
        status=status,
        body=json.dumps(document, ensure_ascii=False).encode(),
        content_type=ACTIVITY_JSON,
        headers={"Vary": "Accept"},
    )


async def vary_on_accept(request: web.Request, response: web.StreamResponse) -> None:
    """A response chosen by the Accept header says so (``Vary: Accept``), whatever its
    status, so that a shared cache never hands a page to an ActivityPub client or JSON to a
    browser. Registered on the application's ``on_response_prepare``."""
    if request.get(NEGOTIATED):
        add_vary(response, "Accept")


def add_vary(response: web.StreamResponse, name: str) -> None:
    """Add `name` to the response's ``Vary`` header unless it is there already."""
    present = [part.strip() for part in response.headers.get("Vary", "").split(",") if part.strip()]
    if name.lower() not in (part.lower() for part in present):
        response.headers["Vary"] = ", ".join([*present, name])
