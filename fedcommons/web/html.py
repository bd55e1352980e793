"""Server-rendered HTML: one layout, inline CSS, no script, nothing loaded from another host."""

from contextvars import ContextVar
from html import escape

from .keys import NODE

STYLE = """
:root { color-scheme: light dark; --fg: #1b1b1b; --bg: #fdfdfb; --muted: #666; --line: #ddd; --accent: #2f6f3e; }
@media (prefers-color-scheme: dark) { :root { --fg: #eee; --bg: #161616; --muted: #aaa; --line: #333; --accent: #7cc48d; } }
body { font: 16px/1.5 system-ui, sans-serif; color: var(--fg); background: var(--bg); margin: 0; }
header, main, footer { max-width: 58rem; margin: 0 auto; padding: 0.75rem 1rem; }
header { border-bottom: 1px solid var(--line); display: flex; gap: 1rem; flex-wrap: wrap; align-items: baseline; }
header a.brand { font-weight: 700; color: var(--accent); text-decoration: none; }
a { color: var(--accent); }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 0.35rem 0.5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
code, .hash { font-family: ui-monospace, monospace; font-size: 0.9em; word-break: break-all; }
.muted { color: var(--muted); }
.status-pending { color: #b8860b; } .status-validated { color: var(--accent); } .status-rejected { color: #b22; }
form.inline { display: inline; }
label { display: block; margin-top: 0.5rem; }
input, select, textarea { font: inherit; padding: 0.3rem; max-width: 100%; }
.error { color: #b22; }
footer { color: var(--muted); font-size: 0.85em; border-top: 1px solid var(--line); }
@media (max-width: 40rem) { th.opt, td.opt { display: none; } }
header nav { margin-left: auto; display: flex; gap: 0.75rem; align-items: baseline; flex-wrap: wrap; }
button { font: inherit; padding: 0.3rem 0.8rem; cursor: pointer; }
button.link { background: none; border: none; padding: 0; color: var(--accent); text-decoration: underline; }
form.stacked input:not([type=hidden]), form.stacked select, form.stacked textarea {
  display: block; width: 100%; box-sizing: border-box; }
[aria-invalid=true] { border: 2px solid #b22; }
.field-error { color: #b22; font-size: 0.9em; margin: 0.15rem 0 0; }
.notice { border-left: 4px solid var(--accent); padding: 0.4rem 0.75rem;
  background: color-mix(in srgb, var(--accent) 8%, transparent); }
.alarm { border-left: 4px solid #b22; padding: 0.4rem 0.75rem;
  background: color-mix(in srgb, #b22 10%, transparent); }
.scroll { overflow-x: auto; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; }
figure.chart { margin: 1rem 0; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.2rem 1rem; }
dl.facts dt { color: var(--muted); } dl.facts dd { margin: 0; }
tr.highlight td { background: color-mix(in srgb, var(--accent) 12%, transparent); }
"""

# The signed-in part of the header (who, and a sign-out button), or a sign-in link. Set
# for each request by web.session's middleware, so every page shows it.
header_nav: ContextVar[str] = ContextVar("header_nav", default="")


def esc(value) -> str:
    """Escape any value for HTML text or attributes."""
    return escape("" if value is None else str(value), quote=True)


def page(title: str, body: str, app=None, *, head: str = "") -> str:
    """A whole page around `body` (already-escaped HTML)."""
    node_name = ""
    if app is not None:
        node = app.get(NODE)
        node_name = esc(node.config.host) if node else ""
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        '<meta name=viewport content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)} · fedcommons</title><style>{STYLE}</style>{head}</head><body>"
        f'<header><a class=brand href="/">fedcommons</a><span class=muted>{node_name}</span>'
        f'<a href="/log">log</a>{header_nav.get()}</header>'
        f"<main>{body}</main>"
        "<footer>A fedcommons node: every figure here can be recomputed from the public, signed log.</footer>"
        "</body></html>"
    )


def link(url: str, text: str | None = None) -> str:
    """An anchor to `url`."""
    return f'<a href="{esc(url)}">{esc(text if text is not None else url)}</a>'
