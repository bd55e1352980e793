"""Form tokens against cross-site request forgery, bound to what only this browser holds.

A token is an HMAC, under a key derived from the node's own Ed25519 key (so nothing more
is stored), of a *binding* and a *purpose*. The binding is a secret cookie value: the
session's when someone is signed in, a short-lived random one on the sign-in form. Another
site can make a browser send the cookie but cannot read it, so it cannot make the token.
The purpose keeps a token for one form from being replayed on another.
"""

import base64
import hashlib
import hmac

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ..node import NODE_NAME, Node

FIELD = "csrf"


def _key(node: Node) -> bytes:
    raw = node.keys.ed25519("node", NODE_NAME).private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"fedcommons web forms v1").derive(raw)


def token(node: Node, binding: str, purpose: str) -> str:
    """The token a form bound to ``binding`` carries for ``purpose``."""
    digest = hmac.new(_key(node), f"{purpose}\n{binding}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def genuine(node: Node, binding: str | None, sent: str | None, purpose: str) -> bool:
    """Whether ``sent`` is the token for ``binding`` and ``purpose`` (constant time)."""
    if not binding or not sent:
        return False
    return hmac.compare_digest(token(node, binding, purpose).encode(), sent.encode())
