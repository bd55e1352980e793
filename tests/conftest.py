"""Shared fixtures: the published conformance vectors live beside the repo in ../shared;
fixed keys and a cheap password hash for every test (support_keys)."""

from pathlib import Path

import pytest

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
    import shutil

    target = tmp_path / "home"
    shutil.copytree(base_home, target)
    return target


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


@pytest.fixture(scope="session")
def history() -> list[dict]:
    """tqdm's recorded commits (../shared/fixtures/importers); skips when absent."""
    return require_history()


@pytest.fixture(scope="session")
def tqdm_repo(history, tmp_path_factory) -> Path:
    """tqdm's history rebuilt as a git work tree, once per test session (about 2 s)."""
    return build_history(tmp_path_factory.mktemp("git") / "tqdm", history)
