"""Shared fixtures: the published conformance vectors live beside the repo in ../shared."""

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
VECTORS = REPO.parent / "shared" / "vectors"


@pytest.fixture(scope="session")
def vectors() -> Path:
    """Path of ../shared/vectors; tests that need it skip with the reason when it is absent."""
    if not VECTORS.is_dir():
        pytest.skip(f"conformance vectors not found at {VECTORS} (clone sits outside the workspace)")
    return VECTORS


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
