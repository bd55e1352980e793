"""Paged OrderedCollections: the collection points at its first page; pages embed their items."""

from typing import Callable

from aiohttp import web

from ..ld.context import AS
from ..untrusted import whole_number

PAGE_SIZE = 20


def paged(request: web.Request, url: str, total: int,
          items: Callable[[int, int], list], page_size: int = PAGE_SIZE) -> dict:
    """The collection at `url`, or the page `?page=N` of it. `items(limit, offset)` gives one page."""
    raw = request.query.get("page")
    if raw is None:
        doc = {"@context": AS, "id": url, "type": "OrderedCollection", "totalItems": total}
        if total:
            doc["first"] = f"{url}?page=1"
            doc["last"] = f"{url}?page={max(1, -(-total // page_size))}"
        else:
            doc["orderedItems"] = []
        return doc
    number = whole_number("page", raw, minimum=1, kind="a page number")
    offset = (number - 1) * page_size
    page = {
        "@context": AS,
        "id": f"{url}?page={number}",
        "type": "OrderedCollectionPage",
        "partOf": url,
        "totalItems": total,
        "orderedItems": items(page_size, offset) if offset < total else [],
    }
    if offset + page_size < total:
        page["next"] = f"{url}?page={number + 1}"
    if number > 1:
        page["prev"] = f"{url}?page={number - 1}"
    return page
