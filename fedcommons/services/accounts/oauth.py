"""The OAuth 2.0 authorization server: codes with PKCE, access and refresh tokens, revocation.

Only public clients and the authorization code grant with PKCE S256 (RFC 7636) are
offered, as OAuth 2.1 and RFC 8252 advise for native and browser clients. Codes last a
minute and work once; a second use revokes what the first produced (RFC 6749 §4.1.2).
Access tokens last eight hours, so a command-line client that never refreshes gets
through a working day; refresh tokens are rotated on every use, and a rotated one coming
back means it leaked, so its whole grant is revoked (OAuth 2.0 Security BCP §4.14).

Codes and tokens are 32 random bytes; only their SHA-256 is stored.
"""

import base64
import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass

from ...errors import OAuthError, Unauthorized
from ...node import Node, now
from ...store import actors as actor_store
from ...store import oauth as oauth_store
from ...store.db import transaction

# Where the endpoints are under a node's base URL (served by web.oauth and web.consent).
AUTHORIZE_PATH = "/oauth/authorize"
TOKEN_PATH = "/oauth/token"
REGISTER_PATH = "/oauth/register"
REVOKE_PATH = "/oauth/revoke"

SCOPES = ("read", "write")
SCOPE_TEXT = {
    "read": "read your inbox, outbox and who you follow",
    "write": "act as you: log contributions, endorse, validate, follow and post",
}
DEFAULT_SCOPE = ("read",)

CODE_SECONDS = 60
ACCESS_SECONDS = 8 * 3600
REFRESH_SECONDS = 30 * 24 * 3600

_CHALLENGE = re.compile(r"^[A-Za-z0-9_-]{43}$")  # base64url of a SHA-256 digest, unpadded
_VERIFIER = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")  # RFC 7636 §4.1


@dataclass(frozen=True)
class Grant:
    """What a valid access token lets its bearer do."""

    actor: str
    scopes: tuple[str, ...]
    client_id: str


def _hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def _new_secret(prefix: str) -> str:
    # The prefix lets secret scanners and people tell a fedcommons token from other strings.
    return prefix + secrets.token_urlsafe(32)


def parse_scope(text: str | None, *, error: str = "invalid_scope") -> tuple[str, ...]:
    """The scopes a space-separated `scope` names, in canonical order; `read` when empty."""
    names = (text or "").split()
    if not names:
        return DEFAULT_SCOPE
    unknown = sorted(set(names) - set(SCOPES))
    if unknown:
        raise OAuthError(error, f"unknown scope {' '.join(unknown)!r}: this node offers {' '.join(SCOPES)}")
    return tuple(s for s in SCOPES if s in names)


def check_authorization_request(params) -> tuple[tuple[str, ...], str]:
    """(scopes, code challenge) of an authorization request whose client and redirect URI
    are known good; OAuthError errors here go back to the client's redirect URI."""
    if params.get("response_type") != "code":
        raise OAuthError("unsupported_response_type", "only response_type=code is supported")
    challenge = params.get("code_challenge")
    method = params.get("code_challenge_method")
    if not challenge:
        raise OAuthError("invalid_request", "PKCE is required: send code_challenge with code_challenge_method=S256")
    if method != "S256":
        raise OAuthError("invalid_request", "only code_challenge_method=S256 is accepted (plain is not)")
    if not _CHALLENGE.match(challenge):
        raise OAuthError("invalid_request", "code_challenge must be the base64url SHA-256 of the code verifier")
    return parse_scope(params.get("scope")), challenge


def issue_code(node: Node, *, client_id: str, actor: str, redirect_uri: str, scopes: tuple[str, ...],
               code_challenge: str) -> str:
    """A fresh single-use authorization code for a person's approval."""
    code = _new_secret("fcc_")
    row = oauth_store.CodeRow(
        grant_id=secrets.token_hex(16), client_id=client_id, actor=actor, redirect_uri=redirect_uri,
        scope=" ".join(scopes), code_challenge=code_challenge, expires_at=time.time() + CODE_SECONDS,
        used=False,
    )
    with transaction(node.db):
        oauth_store.purge_expired(node.db, time.time())
        oauth_store.insert_code(node.db, _hash(code), row)
    return code


def exchange_code(node: Node, *, code: str | None, client_id: str | None, redirect_uri: str | None,
                  code_verifier: str | None) -> dict:
    """The token response for an authorization code (grant_type=authorization_code)."""
    if not code or not client_id or not code_verifier:
        raise OAuthError("invalid_request", "send code, client_id and code_verifier")
    if not _VERIFIER.match(code_verifier):
        raise OAuthError("invalid_request", "code_verifier must be 43-128 characters of A-Z a-z 0-9 - . _ ~")
    # Failures after the code is found are returned, not raised, so that marking the code
    # used (and revoking on a replay) is committed rather than rolled back.
    with transaction(node.db):
        outcome = _exchange(node, _hash(code), client_id, redirect_uri, code_verifier)
    if isinstance(outcome, OAuthError):
        raise outcome
    return outcome


def _exchange(node: Node, code_hash: bytes, client_id: str, redirect_uri: str | None,
              code_verifier: str) -> dict | OAuthError:
    row = oauth_store.code(node.db, code_hash)
    if row is None or row.expires_at < time.time():
        return OAuthError("invalid_grant", "the code is unknown or expired; authorize again")
    if not oauth_store.use_code(node.db, code_hash):
        oauth_store.revoke_grant(node.db, row.grant_id)
        return OAuthError("invalid_grant", "the code was already used; the tokens it gave are revoked")
    if row.client_id != client_id:
        return OAuthError("invalid_grant", "the code was issued to another client")
    if redirect_uri is not None and redirect_uri != row.redirect_uri:
        return OAuthError("invalid_grant", "redirect_uri differs from the one in the authorization request")
    expected = base64.urlsafe_b64encode(hashlib.sha256(code_verifier.encode()).digest()).rstrip(b"=")
    if not hmac.compare_digest(expected, row.code_challenge.encode()):
        return OAuthError("invalid_grant", "the code_verifier does not match the code_challenge")
    return _issue_tokens(node, row.grant_id, row.client_id, row.actor, row.scope, row.scope)


def refresh(node: Node, *, refresh_token: str | None, client_id: str | None, scope: str | None) -> dict:
    """New tokens for a refresh token, which is used up (grant_type=refresh_token)."""
    if not refresh_token or not client_id:
        raise OAuthError("invalid_request", "send refresh_token and client_id")
    with transaction(node.db):
        outcome = _refresh(node, _hash(refresh_token), client_id, scope)
    if isinstance(outcome, OAuthError):
        raise outcome
    return outcome


def _refresh(node: Node, token_hash: bytes, client_id: str, scope: str | None) -> dict | OAuthError:
    row = oauth_store.token(node.db, token_hash)
    if row is None or row.kind != "refresh" or row.expires_at < time.time() or row.state == "revoked":
        return OAuthError("invalid_grant", "the refresh token is unknown, expired or revoked; authorize again")
    if row.client_id != client_id:
        return OAuthError("invalid_grant", "the refresh token was issued to another client")
    try:
        asked = parse_scope(scope) if scope else tuple(row.scope.split())
    except OAuthError as exc:
        return exc
    if not set(asked) <= set(row.scope.split()):
        return OAuthError("invalid_scope", f"a refresh may narrow the scope, not widen it beyond {row.scope!r}")
    if not oauth_store.rotate_token(node.db, token_hash):
        oauth_store.revoke_grant(node.db, row.grant_id)
        return OAuthError("invalid_grant", "the refresh token was already used, so it may have leaked: "
                          "every token of this authorization is revoked; authorize again")
    return _issue_tokens(node, row.grant_id, row.client_id, row.actor, " ".join(asked), row.scope)


def _issue_tokens(node: Node, grant_id: str, client_id: str, actor: str, scope: str,
                  refresh_scope: str) -> dict:
    """Access and refresh tokens for a grant (the caller holds the transaction)."""
    access, refresh_token = _new_secret("fca_"), _new_secret("fcr_")
    at = time.time()
    oauth_store.insert_token(node.db, _hash(access), oauth_store.TokenRow(
        "access", grant_id, client_id, actor, scope, at + ACCESS_SECONDS, "active"), now())
    oauth_store.insert_token(node.db, _hash(refresh_token), oauth_store.TokenRow(
        "refresh", grant_id, client_id, actor, refresh_scope, at + REFRESH_SECONDS, "active"), now())
    return {
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": ACCESS_SECONDS,
        "refresh_token": refresh_token,
        "scope": scope,
        # Which actor the token acts as: ActivityPub clients need its outbox, and
        # IndieAuth-style clients read `me`.
        "actor": actor,
        "me": actor,
    }


def revoke(node: Node, token: str | None, client_id: str | None = None) -> None:
    """Revoke an access or refresh token (RFC 7009). Unknown tokens are not an error, and a
    token issued to another client is left alone. A refresh token takes its grant with it."""
    if not token:
        raise OAuthError("invalid_request", "send the token to revoke")
    token_hash = _hash(token)
    with transaction(node.db):
        row = oauth_store.token(node.db, token_hash)
        if row is None or (client_id and row.client_id != client_id):
            return
        if row.kind == "refresh":
            oauth_store.revoke_grant(node.db, row.grant_id)
        else:
            oauth_store.revoke_token(node.db, token_hash)


def bearer(node: Node, authorization: str | None) -> Grant:
    """The grant behind an ``Authorization: Bearer`` header, or Unauthorized."""
    scheme, _, token = (authorization or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("this needs an access token: send Authorization: Bearer TOKEN")
    row = oauth_store.token(node.db, _hash(token.strip()))
    if row is None or row.kind != "access" or row.state != "active" or row.expires_at < time.time():
        raise Unauthorized("the access token is unknown, expired or revoked")
    person = actor_store.actor(node.db, row.actor)
    if person is None or not person.local:
        raise Unauthorized("the token's actor no longer exists on this node")
    return Grant(row.actor, tuple(row.scope.split()), row.client_id)
