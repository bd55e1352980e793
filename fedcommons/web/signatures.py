"""Checking the HTTP signature on a request: parse against the configured URL, fetch the key
(once more if the cached one fails, which is how a rotated key is picked up), verify.

Once a key has been fetched, a refusal says only "the signature could not be verified":
whether the named address answered, and what, is for the node's log, not for whoever
named it (else the inbox would tell a stranger which internal addresses answer). What
parsing refuses (a missing header, a stale date) is said, as it is about the request alone.
"""

import logging

from aiohttp import web

from .keys import CLIENT, NODE
from ..errors import FedcommonsError, TryLater, VerificationError
from ..sig.httpsig import SignedRequest, parse_request
from ..sig.keys import PublicKey

log = logging.getLogger("fedcommons.signatures")

NOT_VERIFIED = "the signature could not be verified"


def refusal(kind: str, reason: str, *args) -> VerificationError:
    """A 401 with the generic detail; ``reason % args`` goes to the log, and `kind` (one of
    FAILURES) to the metrics."""
    log.info("signature refused: " + reason, *args)
    error = VerificationError(NOT_VERIFIED)
    error.signature_failure = kind
    return error


# Why a signature was refused, as the metrics count it.
FAILURES = ("malformed", "key-unavailable", "mismatch", "not-the-actor", "forwarded-proof")


async def unverified_key(request: web.Request, key_id: str, *, refresh: bool) -> tuple[PublicKey, str]:
    """The key a not yet verified request names, and its owner: fetched within the limits
    for such requests (TryLater, 503, when they are full), else a generic 401."""
    try:
        return await request.app[CLIENT].public_key(key_id, refresh=refresh, unverified=True)
    except TryLater:
        raise
    except FedcommonsError as exc:
        raise refusal("key-unavailable", "cannot fetch key %s: %s", key_id, exc) from None


async def verify_request(request: web.Request, body: bytes | None) -> tuple[SignedRequest, str]:
    """The parsed signature and the URL of the actor owning its key; VerificationError (401) otherwise."""
    node = request.app[NODE]
    try:
        signed = parse_request(request.method, request.path_qs, request.headers, body, base_url=node.url)
    except VerificationError as exc:
        exc.signature_failure = "malformed"  # said as it is: it is about the request alone
        raise
    result = None
    for refresh in (False, True):
        key, owner = await unverified_key(request, signed.key_id, refresh=refresh)
        result = signed.verify(key)
        if result.ok:
            return signed, owner
    raise refusal("mismatch", "the signature does not verify with %s: %s", signed.key_id, result.reason)
