"""Passwords: Argon2id with per-user salt and stored parameters, known vectors (and the scrypt
hashes of earlier versions), a round trip, tampering that must fail, the upgrade of old hashes,
and `fedcommons actor passwd`."""

import base64
import hashlib

import pytest

from fedcommons.errors import BadInput, Unauthorized
from fedcommons.home import open_node
from fedcommons.services.accounts import accounts, oauth, sessions
from fedcommons.services.actors.actors import create_actor
from fedcommons.store import accounts as account_store
from fedcommons.store import actors as actor_store
from fedcommons.store.db import transaction
from support_cli import garden_home, run
from support_nodes import served_node
from support_oauth import browser
from support_web import csrf_of

URL = "http://127.0.0.1:8080"


@pytest.fixture
def home(tmp_path):
    return garden_home(tmp_path, URL)


def test_known_vector_argon2id():
    # phc-winner-argon2's test.c: Argon2id v=0x13, t=2, m=2**16 KiB, p=1, "password", "somesalt".
    stored = "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc"
    assert accounts.password_matches(stored, "password")
    assert not accounts.password_matches(stored, "Password")
    assert accounts.needs_upgrade(stored)  # 2 passes over 64 MiB is not today's cost


def test_known_vector_rfc7914_from_earlier_versions():
    # RFC 7914 §12: scrypt("password", "NaCl", N=1024, r=8, p=16); we keep the first 32 bytes.
    stored = "scrypt$ln=10,r=8,p=16$TmFDbA$/bq+HJ00cgB4VucZDQHp/nxq18vII3gw53N2Y0s3MWI"
    assert accounts.password_matches(stored, "password")
    assert not accounts.password_matches(stored, "Password")
    assert accounts.needs_upgrade(stored)
    scheme, params, salt, key = stored.split("$")
    for tampered in (f"{scheme}$ln=11,r=8,p=16${salt}${key}", f"{scheme}$ln=40,r=8,p=1${salt}${key}",
                     f"bcrypt${params}${salt}${key}", f"{scheme}${params}${salt}${key[:-2]}AA"):
        assert not accounts.password_matches(tampered, "password")


def test_round_trip_salt_and_tampering(production_password_cost):
    first, second = accounts.hash_password("a long secret"), accounts.hash_password("a long secret")
    assert first != second  # a fresh salt each time
    assert first.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert not accounts.needs_upgrade(first)
    assert accounts.password_matches(first, "a long secret")
    assert not accounts.password_matches(first, "a long secreT")
    _, scheme, version, params, salt, key = first.split("$")
    flipped = key[:-2] + ("A" if key[-2] != "A" else "B") + key[-1]
    for tampered in (f"${scheme}${version}${params}${salt}${flipped}",
                     f"${scheme}${version}$m=65536,t=2,p=4${salt}${key}",
                     f"$argon2i${version}${params}${salt}${key}", "garbage", "$argon2id$v=19$m=1,t=1,p=1$$"):
        assert not accounts.password_matches(tampered, "a long secret")
    assert not accounts.password_matches(None, "a long secret")  # no password set: never matches
    with pytest.raises(BadInput):
        accounts.hash_password("short")
    assert not accounts.password_matches(first, "x" * (accounts.MAX_LENGTH + 1))


def signs_in(node, login: str, password: str) -> bool:
    person, stored = accounts.account(node, login)
    return person is not None and accounts.password_matches(stored, password)


def test_login_names_are_spelled_as_the_node_spells_them(node):
    for typed in ("alice", " @Alice", "ALICE@127.0.0.1:8080", "@alice@127.0.0.1:8080 "):
        assert accounts.login_name(node, typed) == "alice"
    assert accounts.login_name(node, "@Alice@Elsewhere.example") == "alice@elsewhere.example"
    assert accounts.account(node, "alice@elsewhere.example") == (None, None)
    assert accounts.account(node, "garden") == (None, None)  # a pool, not a person


def test_passwd_from_stdin_and_prompt(home):
    run(home, "actor", "passwd", "alice", "--password-stdin", input="first password\n")
    node = open_node(home)
    try:
        assert signs_in(node, "alice", "first password")
        assert signs_in(node, "@alice@127.0.0.1:8080", "first password")
        assert not signs_in(node, "alice", "second password")
        assert not signs_in(node, "alice@elsewhere.example", "first password")
        stored = account_store.password_hash(node.db, f"{URL}/users/alice")
        assert "first password" not in stored

        # A client authorized before the change is signed out by it.
        code = oauth.issue_code(node, client_id="fc-x", actor=f"{URL}/users/alice", redirect_uri="http://127.0.0.1/cb",
                                scopes=("read",), code_challenge="E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
        access = oauth.exchange_code(node, code=code, client_id="fc-x", redirect_uri=None,
                                     code_verifier="dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")["access_token"]
    finally:
        node.close()

    result = run(home, "actor", "passwd", "alice", input="second password\nsecond password\n")
    assert "1 authorized client(s) signed out" in result.stdout
    node = open_node(home)
    try:
        assert signs_in(node, "alice", "second password")
        with pytest.raises(Unauthorized):
            oauth.bearer(node, f"Bearer {access}")
    finally:
        node.close()

    result = run(home, "actor", "passwd", "alice", input="one password\nanother one\n", code=1)
    assert "do not match" in result.output
    run(home, "actor", "passwd", "nobody", "--password-stdin", input="whatever pass\n", code=2)
    run(home, "actor", "passwd", "garden", "--password-stdin", input="whatever pass\n", code=2)
    result = run(home, "actor", "passwd", "alice", "--password-stdin", input="short\n", code=2)
    assert "at least 8" in result.stderr


def _scrypt_hash(password: str) -> str:
    """A hash as versions before Argon2id stored them."""
    salt = b"sixteen byte slt"
    key = hashlib.scrypt(password.encode(), salt=salt, n=16, r=8, p=1, dklen=32)
    b64 = lambda data: base64.b64encode(data).decode().rstrip("=")  # noqa: E731
    return f"scrypt$ln=4,r=8,p=1${b64(salt)}${b64(key)}"


async def test_an_old_hash_is_upgraded_at_sign_in_and_sessions_stay(tmp_path):
    async with served_node(tmp_path) as running:
        node = running.node
        alice = create_actor(node, "person", "alice")
        with transaction(node.db):
            account_store.set_password_hash(node.db, alice.id, _scrypt_hash("an old secret"), "2020-01-01T00:00:00Z")
        earlier = sessions.start(node, actor_store.actor(node.db, alice.id))  # another browser, signed in before

        async with browser() as session:
            async with session.get(running.url + "/login") as r:
                token = csrf_of(await r.text(), "/login")
            async with session.post(running.url + "/login", allow_redirects=False,
                                    data={"csrf": token, "account": "alice", "password": "an old secret"}) as r:
                assert r.status == 303

        stored = account_store.password_hash(node.db, alice.id)
        assert stored.startswith("$argon2id$v=19$m=8,t=1,p=1$")  # today's (test) cost
        assert accounts.password_matches(stored, "an old secret")
        assert not accounts.password_matches(stored, "an old secreT")
        assert sessions.resume(node, earlier.token) is not None  # still signed in elsewhere
        # A current hash is left as it is at the next sign-in.
        assert not accounts.needs_upgrade(stored)
