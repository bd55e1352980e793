"""Asking another node to witness our log (c2sp.org/tlog-witness ``add-checkpoint``).

``GET {peer}/witness`` names the witness and its cosigner key (pinned on first use);
``POST {peer}/witness/add-checkpoint`` sends our latest checkpoint with a consistency
proof from the size the witness last cosigned. A ``409`` answer tells that size (the
first request of all uses 0), and the request is made once more from it. The
cosignature lines that come back are verified before they are kept.
"""

from __future__ import annotations

import asyncio

import aiohttp

from ..config import normalise_url
from ..errors import FetchError, VerificationError
from ..log.witness import SIZE_CONTENT_TYPE, format_add_checkpoint
from ..node import Node
from ..services.replication import witness as service
from ..store.writer import Threaded, Writer
from ..urls import same_origin
from . import netguard

TIMEOUT = 20.0
MAX_ANSWER = 64 * 1024


async def request_cosignature(node: Node, client, url: str, *, writer: Writer | None = None) -> int:
    """Have the node at ``url`` cosign our latest checkpoint; returns the size cosigned.
    In the server, ``writer`` stores the answer; without one, it is stored on ``node``."""
    url = normalise_url(url)
    writer = writer or Threaded(node)
    _, info = await client.fetch_json(f"{url}/witness", accept="application/json", signed=False)
    vkey, endpoint = info.get("verifierKey"), info.get("addCheckpoint") or f"{url}/witness/add-checkpoint"
    if not isinstance(vkey, str) or not isinstance(endpoint, str) or not same_origin(endpoint, url):
        raise FetchError(f"{url}/witness names no cosigner key and add-checkpoint URL of its own")
    await writer.run(service.pin_witness, url, vkey)
    for _ in range(2):  # the second try starts from the size a 409 told
        old, size, note, proof = await asyncio.to_thread(service.request_body, node, url)
        status, content_type, text = await post_text(node, endpoint, format_add_checkpoint(old, proof, note))
        if status == 200:
            await writer.run(service.store_cosignatures, url, size, note, text)
            return size
        if status == 409 and content_type == SIZE_CONTENT_TYPE:
            held = _parse_size(text, url)
            if held == old:
                raise VerificationError(
                    f"the witness at {url} refuses our checkpoint of size {size}: it holds another view of "
                    "our log (or has marked it forked)"
                )
            await writer.run(service.set_cosigned_size, url, held)
            continue
        raise FetchError(f"the witness at {url} answered {status}: {text.strip()[:300]}")
    raise FetchError(f"the witness at {url} kept answering 409")


def _parse_size(text: str, url: str) -> int:
    value = text.strip()
    if not value.isdigit():
        raise FetchError(f"the witness at {url} answered 409 without a tree size")
    return int(value)


async def post_text(node: Node, url: str, body: bytes) -> tuple[int, str, str]:
    """POST a text body under the node's address policy; (status, content type, text)."""
    allow = node.config.allow_private_addresses
    netguard.check_url(url, allow_private=allow)
    timeout = aiohttp.ClientTimeout(total=TIMEOUT)
    async with aiohttp.ClientSession(connector=netguard.guarded_connector(allow_private=allow),
                                     timeout=timeout, cookie_jar=aiohttp.DummyCookieJar()) as session:
        try:
            async with session.post(url, data=body, headers={"Content-Type": "text/plain; charset=utf-8"},
                                    allow_redirects=False) as response:
                raw = b""
                async for chunk in response.content.iter_chunked(MAX_ANSWER):
                    raw += chunk
                    if len(raw) > MAX_ANSWER:
                        raise FetchError(f"the answer from {url} is larger than {MAX_ANSWER} bytes")
                return response.status, response.content_type, raw.decode("utf-8", "replace")
        except TimeoutError:
            raise FetchError(f"POST {url} timed out after {TIMEOUT:g} s") from None
        except aiohttp.ClientError as exc:
            raise FetchError(f"POST {url} failed: {exc or type(exc).__name__}") from None

