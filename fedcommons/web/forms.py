"""Reading a posted form, and error pages for form posts. The fields themselves (each
showing its error beside it and keeping what was typed) are macros in templates/_macros.html.
"""

import functools

from aiohttp import web
from multidict import MultiDictProxy

from ..errors import BadInput, FedcommonsError
from .errors import error_page


async def read_form(request: web.Request) -> MultiDictProxy:
    """The posted form; BadInput when the body is not one (bytes that are not UTF-8, an
    unknown charset, a multipart body without its boundary), which aiohttp raises as
    ValueError or LookupError."""
    try:
        return await request.post()
    except (ValueError, LookupError) as exc:
        raise BadInput(f"the body is not a well-formed form: {exc}") from None


def browser_form(handler):
    """For handlers of forms posted by a browser: a refusal is a page, as it is for a GET,
    not the problem details an API client gets."""

    @functools.wraps(handler)
    async def run(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except FedcommonsError as exc:
            if exc.status >= 500:
                raise
            return error_page(request, exc.status, str(exc))

    return run
