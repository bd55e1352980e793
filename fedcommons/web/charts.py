"""Charts drawn on the server as inline SVG: no script, nothing loaded from another host.

The SVG scales to the width of the page (a phone's included) and takes its colours from
the page's CSS variables, so it follows the light and dark themes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from ..services.standing import percent
from .html import esc

# In user units; the SVG is drawn 320-416 px wide (a phone to max-width), so text at
# 13 units shows at about 14-17 px.
WIDTH = 320
ROW = 34
LABEL_SIZE = 13
BAR_HEIGHT = 11
VALUE_ROOM = 60  # right of the longest bar, for its percentage
MAX_LABEL = 40


@dataclass(frozen=True)
class Bar:
    """One bar: what it is, where it links (or None), and its share as a decimal string."""

    label: str
    share: str
    href: str | None = None
    title: str | None = None


def share_bars(bars: Sequence[Bar], *, limit: int = 12, title: str = "Shares") -> str:
    """Horizontal bars for shares, largest first as given; beyond ``limit``, one bar for the rest.

    Bar lengths are relative to the largest share; each bar is labelled with its percentage.
    Empty string when there is nothing to draw.
    """
    if not bars:
        return ""
    shown = list(bars[:limit])
    rest = bars[limit:]
    if rest:
        total = sum((Decimal(b.share) for b in rest), Decimal(0))
        shown.append(Bar(f"{len(rest)} others", str(total), title=f"{len(rest)} more contributors together"))
    largest = max(Decimal(b.share) for b in shown) or Decimal(1)
    span = WIDTH - VALUE_ROOM
    height = ROW * len(shown) + 4
    parts = [
        (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" role="img" '
         f'aria-labelledby="chart-title" style="width:100%;max-width:26rem;height:auto;display:block" '
         f'font-family="system-ui, sans-serif" font-size="{LABEL_SIZE}">'),
        f'<title id="chart-title">{esc(title)}</title>',
    ]
    for position, bar in enumerate(shown):
        top = position * ROW
        share = Decimal(bar.share)
        length = max(float(share / largest) * span, 1.0) if share > 0 else 0.0
        colour = "var(--muted)" if rest and position == len(shown) - 1 else "var(--accent)"
        label = bar.label if len(bar.label) <= MAX_LABEL else bar.label[:MAX_LABEL - 1] + "…"
        text = f'<text x="0" y="{top + LABEL_SIZE}" fill="currentColor">{esc(label)}</text>'
        if bar.href:
            text = f'<a href="{esc(bar.href)}">{text}</a>'
        parts.append(
            f"<g><title>{esc(bar.title or bar.label)}: {esc(percent(bar.share))}</title>{text}"
            f'<rect x="0" y="{top + LABEL_SIZE + 5}" width="{length:.1f}" height="{BAR_HEIGHT}" rx="2" '
            f'style="fill:{colour}"/>'
            f'<text x="{length + 6:.1f}" y="{top + LABEL_SIZE + 5 + BAR_HEIGHT - 1}" fill="currentColor" '
            f'font-size="{LABEL_SIZE - 1}">{esc(percent(bar.share))}</text></g>'
        )
    parts.append("</svg>")
    return "".join(parts)

