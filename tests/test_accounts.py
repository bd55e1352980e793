"""Passwords: scrypt with per-user salt and stored parameters, a known vector, a round trip,
tampering that must fail, and `fedcommons actor passwd`."""

import pytest

from fedcommons.errors import BadInput, Unauthorized
from fedcommons.home import open_node
from fedcommons.services.accounts import accounts, oauth
from fedcommons.store import accounts as account_store
from support_cli import run

URL = "http://127.0.0.1:8080"


@pytest.fixture
def home(tmp_path):
    home = tmp_path / "home"
    run(home, "init", "--url", URL)
    run(home, "actor", "add", "alice")
    run(home, "pool", "create", "garden", "--name", "Garden", "--steward", "alice")
    return home


def test_known_vector_rfc7914():
    # RFC 7914 §12: scrypt("password", "NaCl", N=1024, r=8, p=16); we keep the first 32 bytes.
    stored = "scrypt$ln=10,r=8,p=16$TmFDbA$/bq+HJ00cgB4VucZDQHp/nxq18vII3gw53N2Y0s3MWI"
    assert accounts.password_matches(stored, "password")
    assert not accounts.password_matches(stored, "Password")


def test_round_trip_salt_and_tampering(production_password_cost):
    first, second = accounts.hash_password("a long secret"), accounts.hash_password("a long secret")
    assert first != second  # a fresh salt each time
    assert first.startswith("scrypt$ln=15,r=8,p=1$")
    assert accounts.password_matches(first, "a long secret")
    assert not accounts.password_matches(first, "a long secreT")
    scheme, params, salt, key = first.split("$")
    flipped = key[:-2] + ("A" if key[-2] != "A" else "B") + key[-1]
    for tampered in (f"{scheme}${params}${salt}${flipped}", f"{scheme}$ln=14,r=8,p=1${salt}${key}",
                     f"bcrypt${params}${salt}${key}", "garbage", f"{scheme}$ln=40,r=8,p=1${salt}${key}"):
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
