"""A remote server on loopback whose people the node under test can fetch, and who sign
what they send: an HTTP signature (RSA, as Mastodon sends) and, when asked, a Data
Integrity proof with their Ed25519 key."""

import json
import time
from contextlib import asynccontextmanager

from aiohttp import web

from fedcommons.sig.httpsig import sign_request
from fedcommons.sig.keys import ed25519_public_multibase, public_pem
from fedcommons.sig.proof import create_proof
from support_keys import FIXED_KEYS
from support_nodes import serve_on_loopback

AP = "application/activity+json"


class Person:
    def __init__(self, base: str, name: str):
        self.id = f"{base}/users/{name}"
        self.name = name
        self.ed25519, self.rsa = FIXED_KEYS()
        self.rsa_key_id, self.ed25519_key_id = f"{self.id}#main-key", f"{self.id}#ed25519-key"

    def document(self) -> dict:
        return {
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1",
                         "https://w3id.org/security/multikey/v1"],
            "id": self.id, "type": "Person", "preferredUsername": self.name, "inbox": f"{self.id}/inbox",
            "publicKey": {"id": self.rsa_key_id, "owner": self.id, "publicKeyPem": public_pem(self.rsa)},
            "assertionMethod": [{"id": self.ed25519_key_id, "type": "Multikey", "controller": self.id,
                                 "publicKeyMultibase": ed25519_public_multibase(self.ed25519.public_key())}],
        }

    def prove(self, document: dict) -> dict:
        """The document with a Data Integrity proof by this person."""
        return create_proof(document, self.ed25519, self.ed25519_key_id, created="2026-01-01T00:00:00Z")

    async def post(self, http, inbox: str, activity: dict) -> tuple[int, str]:
        """POST the activity to an inbox, signed by this person; (status, body)."""
        body = json.dumps(activity).encode()
        headers = {"Content-Type": AP}
        headers.update(sign_request("POST", inbox, headers, body, key_id=self.rsa_key_id,
                                    private_key=self.rsa, scheme="cavage", now=time.time()))
        async with http.post(inbox, data=body, headers=headers) as r:
            return r.status, await r.text()


class Peer:
    """One remote server (its own port, so its own origin) and its people; what is POSTed to
    their inboxes is kept in `received` as (person's name, headers, parsed body)."""

    def __init__(self, url: str):
        self.url = url
        self.people: dict[str, Person] = {}
        self.received: list[tuple[str, dict, dict]] = []

    def person(self, name: str) -> Person:
        if name not in self.people:
            self.people[name] = Person(self.url, name)
        return self.people[name]


@asynccontextmanager
async def serve_peer():
    """A Peer served on 127.0.0.1 until the block ends."""
    from support_nodes import free_port

    peer = Peer(f"http://127.0.0.1:{free_port()}")

    async def actor(request):
        person = peer.people.get(request.match_info["name"])
        if person is None:
            raise web.HTTPNotFound()
        return web.json_response(person.document(), content_type=AP)

    async def inbox(request):
        name = request.match_info["name"]
        if name not in peer.people:
            raise web.HTTPNotFound()
        peer.received.append((name, dict(request.headers), json.loads(await request.read())))
        return web.Response(status=202)

    app = web.Application()
    app.router.add_get("/users/{name}", actor)
    app.router.add_post("/users/{name}/inbox", inbox)
    runner, _ = await serve_on_loopback(app, int(peer.url.rsplit(":", 1)[1]))
    try:
        yield peer
    finally:
        await runner.cleanup()
