"""Charts drawn on the server as inline SVG (templates/chart.svg): no script, nothing loaded
from another host.

The SVG scales to the width of the page (a phone's included) and takes its colours from
the stylesheet, so it follows the light and dark themes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from markupsafe import Markup

from .templating import render_fragment

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


def share_bars(bars: Sequence[Bar], *, limit: int = 12, title: str = "Shares") -> Markup:
    """Horizontal bars for shares, largest first as given; beyond ``limit``, one bar for the rest.

    Bar lengths are relative to the largest share; each bar is labelled with its percentage.
    Empty when there is nothing to draw.
    """
    if not bars:
        return Markup("")
    shown = list(bars[:limit])
    rest = bars[limit:]
    if rest:
        total = sum((Decimal(b.share) for b in rest), Decimal(0))
        shown.append(Bar(f"{len(rest)} others", str(total), title=f"{len(rest)} more contributors together"))
    largest = max(Decimal(b.share) for b in shown) or Decimal(1)
    span = WIDTH - VALUE_ROOM
    drawn = []
    for position, bar in enumerate(shown):
        share = Decimal(bar.share)
        drawn.append({
            "top": position * ROW,
            "length": max(float(share / largest) * span, 1.0) if share > 0 else 0.0,
            "rest": bool(rest) and position == len(shown) - 1,
            "label": bar.label if len(bar.label) <= MAX_LABEL else bar.label[:MAX_LABEL - 1] + "…",
            "href": bar.href, "title": bar.title or bar.label, "share": bar.share,
        })
    return Markup(render_fragment("chart.svg", {
        "bars": drawn, "title": title, "width": WIDTH, "height": ROW * len(shown) + 4,
        "label_size": LABEL_SIZE, "bar_height": BAR_HEIGHT}))
