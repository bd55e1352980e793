"""One exception tree for the whole node.

Every error says what was wrong and, where it can, what to do. Errors that cross the
HTTP boundary carry a status; the CLI maps ``exit_code`` to its exit status
(2 for input the user can fix, 1 for a failed check or an internal problem).
"""


class FedcommonsError(Exception):
    """Root of every error fedcommons raises on purpose."""

    status = 500
    exit_code = 1


class BadInput(FedcommonsError):
    """The caller gave something malformed or not allowed; nothing was written."""

    status = 400
    exit_code = 2


class NotFound(FedcommonsError):
    """A named actor, pool, contribution or entry does not exist."""

    status = 404
    exit_code = 2


class Conflict(FedcommonsError):
    """The request contradicts what is already recorded (a second validation, a taken name)."""

    status = 409
    exit_code = 2


class Forbidden(FedcommonsError):
    """The actor is authenticated but not allowed to do this."""

    status = 403
    exit_code = 2


class VerificationError(FedcommonsError):
    """A signature, proof or hash did not verify."""

    status = 401
    exit_code = 1


class ProofError(VerificationError):
    """A Merkle inclusion or consistency proof did not verify."""


class UnknownContext(FedcommonsError):
    """A JSON-LD context URL that is not pinned in vocab/; the loader never fetches."""

    status = 400
    exit_code = 2


class IntegrityError(FedcommonsError):
    """The stored log does not match its own hashes, proofs or checkpoints."""

    exit_code = 1


class HomeError(FedcommonsError):
    """The node home is missing, incomplete or already initialised."""

    exit_code = 2


class FetchError(FedcommonsError):
    """A request to another server failed: refused address, timeout, bad status or document.

    ``upstream_status`` is the other server's HTTP status when it answered with an error
    (410 for a deleted actor, say), else None.
    """

    status = 502
    exit_code = 1

    def __init__(self, message: str, *, upstream_status: int | None = None):
        super().__init__(message)
        self.upstream_status = upstream_status


class TryLater(FedcommonsError):
    """Not now: the caller asked too often (429) or the node is saving its capacity for
    others (503). ``retry_after`` is how many seconds to wait, sent as ``Retry-After``."""

    status = 503
    exit_code = 1

    def __init__(self, message: str, *, retry_after: int, status: int = 503):
        super().__init__(message)
        self.retry_after = max(1, int(retry_after))
        self.status = status


class Busy(TryLater):
    """The database stayed locked by another writer (a CLI import, say) for too long.
    Nothing was written; the same request can be made again a few seconds later."""

    def __init__(self, message: str, *, retry_after: int = 5):
        super().__init__(message, retry_after=retry_after)


class Unauthorized(FedcommonsError):
    """No valid credentials: a missing, wrong, expired or revoked token or password."""

    status = 401
    exit_code = 2


class OAuthError(FedcommonsError):
    """An OAuth 2.0 protocol error: `error` is the code a client acts on (RFC 6749 §4.1.2.1
    and §5.2, RFC 7591 §3.2.2), the message is the human-readable description."""

    exit_code = 2

    def __init__(self, error: str, description: str, status: int = 400):
        super().__init__(description)
        self.error = error
        self.status = status
