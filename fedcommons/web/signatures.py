"""Checking the HTTP signature on a request: parse against the configured URL, fetch the key
(once more if the cached one fails, which is how a rotated key is picked up), verify."""

from aiohttp import web

from ..app import CLIENT, NODE
from ..errors import FedcommonsError, VerificationError
from ..sig.httpsig import SignedRequest, parse_request


async def verify_request(request: web.Request, body: bytes | None) -> tuple[SignedRequest, str]:
    """The parsed signature and the URL of the actor owning its key; VerificationError (401) otherwise."""
    node = request.app[NODE]
    signed = parse_request(request.method, request.path_qs, request.headers, body, base_url=node.url)
    client = request.app[CLIENT]
    result = None
    for refresh in (False, True):
        try:
            key, owner = await client.public_key(signed.key_id, refresh=refresh)
        except FedcommonsError as exc:
            raise VerificationError(f"cannot fetch key {signed.key_id}: {exc}") from None
        result = signed.verify(key)
        if result.ok:
            return signed, owner
    raise VerificationError(f"signature does not verify with {signed.key_id}: {result.reason}")
