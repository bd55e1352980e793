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
