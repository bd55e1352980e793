"""The real citation files of ../shared/fixtures/importers, for the citation source tests."""

from pathlib import Path

import pytest

from fedcommons.errors import BadInput

REPO = Path(__file__).resolve().parent.parent
IMPORTER_FIXTURES = REPO.parent / "shared" / "fixtures" / "importers"


def fixture_file(relative: str) -> Path:
    """A file of ../shared/fixtures/importers; the test skips, saying why, when it is absent."""
    path = IMPORTER_FIXTURES / relative
    if not path.is_file():
        pytest.skip(f"importer fixture not found at {path} (the clone sits outside the workspace)")
    return path


def written(tmp_path: Path, name: str, content: str | bytes) -> Path:
    """A file of ``content`` (text is written as UTF-8) in the test's folder."""
    path = tmp_path / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def refused(source_class, path: Path) -> str:
    """The one-line message a bad file is refused with, naming the file; nothing is
    yielded before it."""
    reads = source_class(path).read(None)
    with pytest.raises(BadInput) as caught:
        next(reads)
    message = str(caught.value)
    assert message.startswith(f"{path}: ") and "\n" not in message, message
    return message
