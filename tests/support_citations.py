"""The real citation files of ../shared/fixtures/importers, for the citation source tests."""

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
IMPORTER_FIXTURES = REPO.parent / "shared" / "fixtures" / "importers"


def fixture_file(relative: str) -> Path:
    """A file of ../shared/fixtures/importers; the test skips, saying why, when it is absent."""
    path = IMPORTER_FIXTURES / relative
    if not path.is_file():
        pytest.skip(f"importer fixture not found at {path} (the clone sits outside the workspace)")
    return path
