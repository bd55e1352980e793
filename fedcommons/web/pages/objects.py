"""The pages of objects in the log: an activity shown as its JSON, a contribution with its
status and evidence. Served by :mod:`fedcommons.web.objects` when a browser asks."""

import json

from aiohttp import web

from ...store.contributions import ContributionRow
from ...store.log import EntryRow
from ..templating import render


def activity_page(request: web.Request, doc: dict, entry: EntryRow | None = None) -> web.Response:
    """An activity, logged (with its entry) or only sent."""
    context = {"title": entry.type if entry else str(doc.get("type")),
               "json": json.dumps(doc, indent=2, ensure_ascii=False)}
    if entry is None:
        context["heading"] = doc.get("type")
    else:
        context["entry"] = entry
    return render(request, "activity.html", context)


def contribution_page(request: web.Request, row: ContributionRow, entry: EntryRow, obj: dict) -> web.Response:
    """A contribution with its current status and evidence."""
    return render(request, "contribution.html", {"title": row.summary, "row": row, "entry": entry,
                                                 "evidence": obj.get("evidence", [])})
