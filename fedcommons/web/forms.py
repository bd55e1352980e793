"""Pieces of HTML forms: fields that show their error beside them and keep what was typed,
the CSRF input, reading a posted form, and error pages for form posts.

Every value is escaped here, so a page builds a form from plain strings.
"""

import functools

from aiohttp import web
from multidict import MultiDictProxy

from ..errors import BadInput, FedcommonsError
from . import csrf, html
from .errors import TITLES


def csrf_input(token: str) -> str:
    """The hidden input carrying a form's CSRF token."""
    return f'<input type=hidden name={csrf.FIELD} value="{html.esc(token)}">'


def hidden(name: str, value: str) -> str:
    """A hidden input."""
    return f'<input type=hidden name="{html.esc(name)}" value="{html.esc(value)}">'


def _described(field_id: str, error: str | None, hint: str | None) -> tuple[str, str]:
    """(attributes tying the input to its message, the message HTML)."""
    if error:
        return (f' aria-invalid=true aria-describedby="{html.esc(field_id)}-error"',
                f'<p class=field-error id="{html.esc(field_id)}-error" role=alert>{html.esc(error)}</p>')
    if hint:
        return (f' aria-describedby="{html.esc(field_id)}-hint"',
                f'<p class="muted field-hint" id="{html.esc(field_id)}-hint">{html.esc(hint)}</p>')
    return "", ""


def _opening(name: str, label: str, field_id: str | None) -> tuple[str, str]:
    """(the id of the input, the field's wrapper and label)."""
    field_id = field_id or name
    return field_id, (f'<div class=field id="field-{html.esc(field_id)}">'
                      f'<label for="{html.esc(field_id)}">{html.esc(label)}</label>')


def text_field(name: str, label: str, value: str = "", error: str | None = None, *, kind: str = "text",
               hint: str | None = None, attrs: str = "", field_id: str | None = None) -> str:
    """A labelled input; its error (or hint) right below it. ``field_id`` when a page has
    several forms with the same field."""
    field_id, opening = _opening(name, label, field_id)
    described, message = _described(field_id, error, hint)
    return (f'{opening}<input id="{html.esc(field_id)}" name="{html.esc(name)}" type={kind} '
            f'value="{html.esc(value)}"{described} {attrs}>{message}</div>')


def textarea_field(name: str, label: str, value: str = "", error: str | None = None, *,
                   hint: str | None = None, rows: int = 3, attrs: str = "", field_id: str | None = None) -> str:
    """A labelled text area; its error (or hint) right below it."""
    field_id, opening = _opening(name, label, field_id)
    described, message = _described(field_id, error, hint)
    return (f'{opening}<textarea id="{html.esc(field_id)}" name="{html.esc(name)}" rows={rows}{described} '
            f"{attrs}>{html.esc(value)}</textarea>{message}</div>")


def select_field(name: str, label: str, options: list[tuple[str, str]], selected: str = "",
                 error: str | None = None, *, hint: str | None = None, field_id: str | None = None) -> str:
    """A labelled select of (value, text) options; its error (or hint) right below it."""
    field_id, opening = _opening(name, label, field_id)
    described, message = _described(field_id, error, hint)
    items = "".join(
        f'<option value="{html.esc(value)}"{" selected" if value == selected else ""}>{html.esc(text)}</option>'
        for value, text in options)
    return (f'{opening}<select id="{html.esc(field_id)}" name="{html.esc(name)}"{described}>{items}</select>'
            f"{message}</div>")


async def read_form(request: web.Request) -> MultiDictProxy:
    """The posted form; BadInput when the body is not one (bytes that are not UTF-8, an
    unknown charset, a multipart body without its boundary), which aiohttp raises as
    ValueError or LookupError."""
    try:
        return await request.post()
    except (ValueError, LookupError) as exc:
        raise BadInput(f"the body is not a well-formed form: {exc}") from None


def error_page(request: web.Request, status: int, detail: str, *, title: str | None = None) -> web.Response:
    """A page saying why a form post was refused."""
    title = title or TITLES.get(status, "Error")
    body = f"<h1>{status} {html.esc(title)}</h1><p>{html.esc(detail)}</p>"
    return web.Response(status=status, text=html.page(title, body, request.app), content_type="text/html")


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
