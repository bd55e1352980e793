"""Shared fixtures: the published conformance vectors live beside the repo in ../shared;
fixed keys and a cheap password hash for every test (support_keys); the database every
new node uses, SQLite or PostgreSQL (`--backend`, support_db)."""

import os
from pathlib import Path

import pytest

import support_db

from fedcommons.keystore import KeyStore
from fedcommons.services.accounts import accounts
from support_git import build_history, require_history
from support_keys import CHEAP_PASSWORD_COST, FIXED_KEYS

# What production uses, read before any test replaces it.
PRODUCTION_KEY_GENERATOR = KeyStore.__dict__["generate_keys"]
PRODUCTION_PASSWORD_COST = accounts.COST

REPO = Path(__file__).resolve().parent.parent
VECTORS = REPO.parent / "shared" / "vectors"


@pytest.fixture(scope="session")
def vectors() -> Path:
    """Path of ../shared/vectors; tests that need it skip with the reason when it is absent."""
    if not VECTORS.is_dir():
        pytest.skip(f"conformance vectors not found at {VECTORS} (clone sits outside the workspace)")
    return VECTORS


def pytest_addoption(parser):
    parser.addoption(
        "--backend", choices=support_db.BACKENDS, default=os.environ.get("FEDCOMMONS_TEST_BACKEND", "sqlite"),
        help="The database every node a test makes keeps its data in (PostgreSQL: at "
             "$FEDCOMMONS_TEST_POSTGRESQL, else postgresql://127.0.0.1:5432/test).")


def pytest_configure(config):
    config.addinivalue_line("markers", "sqlite_only(reason): a test about SQLite alone (its file, its pragmas)")
    config.addinivalue_line("markers", "postgresql_only(reason): a test about PostgreSQL alone")


def pytest_collection_modifyitems(config, items):
    backend = config.getoption("--backend")
    other = {"sqlite": "postgresql_only", "postgresql": "sqlite_only"}[backend]
    for item in items:
        marker = item.get_closest_marker(other)
        if marker is not None:
            reason = marker.args[0] if marker.args else ""
            item.add_marker(pytest.mark.skip(reason=f"about {other.split('_')[0]} alone: {reason}"))


@pytest.fixture(scope="session", autouse=True)
def backend(request):
    """Every node a test makes keeps its data in this database ("sqlite" or "postgresql")."""
    name = request.config.getoption("--backend")
    if name == "sqlite":
        yield name
        return
    why_not = support_db.server_reachable()
    if why_not is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"--backend postgresql in CI, but {why_not}")
        pytest.skip(why_not)
    from fedcommons import home

    support_db.start()
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(home, "default_database", support_db.new_database)
            yield name
    finally:
        support_db.drop_all()


@pytest.fixture(scope="session", autouse=True)
def fixed_keys_and_cheap_passwords():
    """Installed for the whole run, module fixtures included; `production_keys` and
    `production_password_cost` take it back for the tests that hold what production does."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(KeyStore, "generate_keys", staticmethod(FIXED_KEYS))
        patch.setattr(accounts, "COST", CHEAP_PASSWORD_COST)
        yield FIXED_KEYS


@pytest.fixture
def production_keys(monkeypatch):
    """New actors get their keys as outside the tests."""
    monkeypatch.setattr(KeyStore, "generate_keys", PRODUCTION_KEY_GENERATOR)


@pytest.fixture
def production_password_cost(monkeypatch):
    """Passwords are hashed at the production cost, as outside the tests."""
    monkeypatch.setattr(accounts, "COST", PRODUCTION_PASSWORD_COST)


@pytest.fixture
def home(base_home, tmp_path):
    """A private copy, for one test, of the module's prepared node home (`base_home`)."""
    return support_db.copy_home(base_home, tmp_path / "home")


@pytest.fixture
def node(home):
    """The node in `home`, open for the test and closed after it."""
    from fedcommons.home import open_node

    node = open_node(home)
    yield node
    node.close()


@pytest.fixture
async def http():
    """A plain HTTP client for tests that talk to a served node (test_pages keeps a browser-like one)."""
    import aiohttp

    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def fake_peer():
    """A peer on 127.0.0.1 serving whatever documents a test puts in ``documents``, by path."""
    from aiohttp import web  # only the tests that serve a fake peer need aiohttp's server

    from support_nodes import serve_on_loopback

    documents: dict[str, dict] = {}

    async def serve(request):
        found = documents.get(request.path)
        if found is None:
            raise web.HTTPNotFound()
        return web.json_response(found, content_type="application/activity+json")

    app = web.Application()
    app.router.add_get("/{tail:.*}", serve)
    runner, port = await serve_on_loopback(app)
    yield f"http://127.0.0.1:{port}", documents
    await runner.cleanup()

@pytest.fixture(scope="session")
def history() -> list[dict]:
    """tqdm's recorded commits (../shared/fixtures/importers); skips when absent."""
    return require_history()


@pytest.fixture(scope="session")
def tqdm_repo(history, tmp_path_factory) -> Path:
    """tqdm's history rebuilt as a git work tree, once per test session (about 2 s)."""
    return build_history(tmp_path_factory.mktemp("git") / "tqdm", history)
