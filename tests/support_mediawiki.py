"""MediaWiki dumps for tests and benches: the real fixtures, synthetic stubs, texts for stubs."""

import hashlib
import re
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT.parent / "shared" / "fixtures" / "importers" / "mediawiki"
HALLO = FIXTURES / "dewiktionary-Hallo.stub.xml"
ANONTALK = FIXTURES / "dewiktionary-Anontalkpagetext.stub.xml"

_HEAD = """<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.11/" version="0.11" xml:lang="en">
  <siteinfo>
    <sitename>Synthetic</sitename>
    <dbname>synthwiki</dbname>
    <base>https://synth.example/wiki/Main_Page</base>
  </siteinfo>
"""


def fixture(path: Path) -> Path:
    """A fixture file, or a skip saying why (CI requires the folder: see .ci/run)."""
    if not path.exists():
        pytest.skip(f"{path} is absent: the importer fixtures live in ../shared/fixtures/importers")
    return path


def write_synthetic_stub(out, revisions: int, per_page: int = 100) -> None:
    """A stub-history dump of ``revisions`` revisions, ``per_page`` to a page, to a binary file.

    Every tenth revision restores the content of the one two before it (an identity
    revert); every seventh is by an IP address, every thirteenth by a bot.
    """
    out.write(_HEAD.encode())
    rev = 0
    page = 0
    while rev < revisions:
        page += 1
        out.write(f"  <page>\n    <title>Page {page}</title>\n    <ns>0</ns>\n    <id>{page}</id>\n".encode())
        hashes: list[str] = []
        for n in range(min(per_page, revisions - rev)):
            rev += 1
            sha1 = hashes[-2] if n % 10 == 9 else f"{rev:031x}"
            hashes.append(sha1)
            if rev % 7 == 0:
                who = f"<ip>192.0.2.{rev % 250}</ip>"
            elif rev % 13 == 0:
                who = f"<username>Helper{rev % 5}Bot</username><id>{900000 + rev % 5}</id>"
            else:
                who = f"<username>User {rev % 997}</username><id>{rev % 997 + 1}</id>"
            parent = f"<parentid>{rev - 1}</parentid>" if n else ""
            out.write((
                f"    <revision><id>{rev}</id>{parent}<timestamp>2020-01-01T00:00:00Z</timestamp>"
                f"<contributor>{who}</contributor><comment>edit {rev}</comment><model>wikitext</model>"
                f"<format>text/x-wiki</format><text bytes=\"{100 + rev % 50}\" sha1=\"{sha1}\" />"
                f"<sha1>{sha1}</sha1></revision>\n").encode())
        out.write(b"  </page>\n")
    out.write(b"</mediawiki>\n")


def text_for(sha1: str, size: int) -> str:
    """An ASCII text of ``size`` bytes that depends only on the hash: equal hashes, equal texts."""
    if not size:
        return ""
    seed = hashlib.sha256(sha1.encode()).hexdigest()
    text = (seed * (size // len(seed) + 1))[:size]
    return text


_STUB_TEXT = re.compile(r'<text bytes="(\d+)" sha1="([0-9a-z]*)"([^>]*)/>')


def full_from_stub(stub: str) -> str:
    """A full-history dump from a stub: each revision gets a text of its size, one per hash."""
    def text(match):
        size, sha1, rest = int(match.group(1)), match.group(2), match.group(3)
        return f'<text bytes="{size}" sha1="{sha1}"{rest}>{escape(text_for(sha1, size))}</text>'
    return _STUB_TEXT.sub(text, stub)
