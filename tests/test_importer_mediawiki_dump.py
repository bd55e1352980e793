"""MediaWiki dumps as a source: real de.wiktionary stub histories pinned, formats, bad dumps."""

import bz2
import gzip
import io
import tracemalloc
from datetime import datetime, timezone

import pytest

from fedcommons.importers.items import REVERT, REVERTED
from fedcommons.importers.mediawiki import REVERT_RADIUS, PageWindow, Revision, Valuation, person_of
from fedcommons.importers.mediawiki_dump import MalformedDump, MediaWikiDump
from support_mediawiki import ANONTALK, HALLO, fixture, full_from_stub, write_synthetic_stub


def census(reads):
    """What SOURCES.md counts, from a read's items."""
    items = [read.item for read in reads]
    people = [item.people[0] for item in items]
    return {
        "revisions": len(items),
        "registered": len({p.identity for p in people if not p.anonymous}),
        "ips": len({p.identity for p in people if p.anonymous}),
        "bot_accounts": len({p.identity for p in people if p.bot}),
        "bot_edits": sum(p.bot for p in people),
        "reverts": sum(REVERT in item.flags for item in items),
        "reverted": sum(REVERTED in item.flags for item in items),
        "added": sum(item.metrics["bytes_added"] for item in items),
        "removed": sum(item.metrics["bytes_removed"] for item in items),
    }


HALLO_COUNTS = {"revisions": 135, "registered": 48, "ips": 28, "bot_accounts": 11, "bot_edits": 33,
                "reverts": 15, "reverted": 20, "added": 9182, "removed": 7089}


def test_hallo_counts_as_sources_md_states_them():
    dump = MediaWikiDump(fixture(HALLO))
    reads = list(dump.read(None))
    assert census(reads) == HALLO_COUNTS
    assert sum(revision.minor for revision in dump.revisions()) == 70
    first = reads[0].item
    assert first.key == "mediawiki:dewiktionary:6997"
    assert first.evidence == "https://de.wiktionary.org/wiki/Special:Diff/6997"
    assert first.kind == "docs" and first.summary == "Hallo: Spielwiese verlinkt"
    assert first.people[0].identity == "mediawiki:dewiktionary:144135"
    times = [read.item.time for read in reads]
    assert times[0].isoformat() == "2004-04-16T10:03:25+00:00" and times[-1].year == 2023
    assert times == sorted(times) and reads[0].cursor == "2004-04-16T10:03:25Z/6997"
    # No IP address is a name an item shows.
    assert not any("192.0.2." in read.item.people[0].name for read in reads)


def test_anontalkpagetext_counts():
    reads = list(MediaWikiDump(fixture(ANONTALK)).read(None))
    counts = census(reads)
    assert (counts["revisions"], counts["registered"], counts["ips"]) == (18, 7, 0)
    assert {read.item.kind for read in reads} == {"maintenance"}  # the MediaWiki: namespace


def test_a_revert_flags_everything_since_the_oldest_equal_revision():
    reads = list(MediaWikiDump(fixture(HALLO)).read(None))
    by_key = {read.item.key: read.item for read in reads}
    order = [read.item.key for read in reads]
    dump = MediaWikiDump(HALLO)
    sha1 = {f"mediawiki:dewiktionary:{r.id}": r.sha1 for r in dump.revisions()}
    for index, key in enumerate(order):
        if REVERT in by_key[key].flags:
            earlier = [sha1[k] for k in order[max(0, index - REVERT_RADIUS):index]]
            assert sha1[key] in earlier
            start = max(0, index - REVERT_RADIUS) + earlier.index(sha1[key]) + 1
            assert all(REVERTED in by_key[k].flags for k in order[start:index])


@pytest.mark.parametrize("pack", [gzip.compress, bz2.compress])
def test_compressed_dumps_read_the_same(tmp_path, pack):
    packed = tmp_path / "dump.xml.packed"  # the content says what it is, not the name
    packed.write_bytes(pack(fixture(HALLO).read_bytes()))
    assert [r.item for r in MediaWikiDump(packed).read(None)] == [r.item for r in MediaWikiDump(HALLO).read(None)]


def test_schema_0_10_full_history_and_unknown_elements(tmp_path):
    stub = fixture(HALLO).read_text()
    old = full_from_stub(stub).replace("export-0.11", "export-0.10").replace('version="0.11"', 'version="0.10"')
    old = old.replace("<origin>", "<unknown><deeper>x</deeper></unknown><origin>")
    old = old.replace("<ns>0</ns>", "<ns>0</ns><futurething a='1'>y</futurething>")
    # Full history: sizes from the texts themselves when the bytes attribute is gone.
    old = old.replace(' bytes="', ' was="')
    path = tmp_path / "full-0.10.xml"
    path.write_text(old)
    assert census(MediaWikiDump(path).read(None)) == HALLO_COUNTS


def test_resume_from_a_cursor_gives_the_rest_unchanged():
    whole = list(MediaWikiDump(fixture(HALLO)).read(None))
    for cut in (1, 60, 134):
        rest = list(MediaWikiDump(HALLO).read(whole[cut - 1].cursor))
        assert [r.item for r in rest] == [r.item for r in whole[cut:]]
    assert list(MediaWikiDump(HALLO).read(whole[-1].cursor)) == []


@pytest.mark.parametrize("fraction", [0.3, 0.75, 0.999])
def test_a_truncated_dump_yields_what_is_final_then_says_where(tmp_path, fraction):
    data = fixture(HALLO).read_bytes()
    path = tmp_path / "cut.xml"
    path.write_bytes(data[:int(len(data) * fraction)])
    whole = list(MediaWikiDump(HALLO).read(None))
    got = []
    with pytest.raises(MalformedDump, match=r"cut.xml: breaks at line \d+, column \d+ .*after \d+ revisions"):
        for read in MediaWikiDump(path).read(None):
            got.append(read)
    # What came is what a whole read gives (same flags: nothing came before it was final),
    # in the same order, and no cursor: the part after the break may hold older revisions.
    whole_items = {r.item.key: r.item for r in whole}
    assert [r.item for r in got] == [whole_items[r.item.key] for r in got]
    assert [r.item.time for r in got] == sorted(r.item.time for r in got)
    assert all(r.cursor is None for r in got)
    # One page: all its complete revisions but the last REVERT_RADIUS, which a lost one could flag.
    complete = data[:int(len(data) * fraction)].count(b"</revision>")
    assert len(got) == max(0, complete - REVERT_RADIUS) and len(got) > 0


def test_a_truncated_compressed_dump(tmp_path):
    data = gzip.compress(fixture(HALLO).read_bytes())
    path = tmp_path / "cut.xml.gz"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(MalformedDump, match="compressed stream breaks off"):
        list(MediaWikiDump(path).read(None))


@pytest.mark.parametrize("content, message", [
    (b"this is not XML at all", "breaks at line 1, column 0"),
    (b"", "breaks at line 1, column 0"),
    (b"<html><body>hello</body></html>", "not a MediaWiki export"),
    (b"<mediawiki><page><title>x</title><ns>0</ns><id>1</id><revision><id>nope</id></revision></page></mediawiki>",
     "no <siteinfo>|cannot be read"),
])
def test_what_is_not_a_dump(tmp_path, content, message):
    path = tmp_path / "bad.xml"
    path.write_bytes(content)
    with pytest.raises(MalformedDump, match=message):
        list(MediaWikiDump(path).read(None))


def test_a_missing_file_is_bad_input(tmp_path):
    with pytest.raises(Exception, match="cannot read the dump"):
        list(MediaWikiDump(tmp_path / "absent.xml").read(None))


def test_configured_kinds_and_bots(tmp_path):
    valuation = Valuation(wiki="dewiktionary", article_url="https://de.wiktionary.org/wiki/$1",
                          kinds={0: "translation"}, bot_patterns=(r"^Melancholie",))
    reads = list(MediaWikiDump(fixture(HALLO), valuation).read(None))
    assert {r.item.kind for r in reads} == {"translation"}
    assert {r.item.people[0].name for r in reads if r.item.people[0].bot} == {"Melancholie", "MelancholieBot"}


def test_memory_does_not_grow_with_the_dump(tmp_path):
    def peak(revisions):
        buffer = io.BytesIO()
        write_synthetic_stub(buffer, revisions, per_page=revisions // 2)
        path = tmp_path / f"synthetic-{revisions}.xml"
        path.write_bytes(buffer.getvalue())
        del buffer
        tracemalloc.start()
        count = sum(1 for _ in MediaWikiDump(path, spool_chunk=200).read(None))
        top = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert count == revisions
        return top
    small, large = peak(600), peak(4_000)
    assert large < small * 1.5 + 200_000, (small, large)


def revision(number, sha1, **fields):
    values = dict(wiki="w", page_id=1, title="P", namespace=0, id=number, parent_id=number - 1 or None,
                  time=datetime(2024, 1, 1, tzinfo=timezone.utc), user_id=7, user_name="Ann", size=10 * number,
                  sha1=sha1)
    values.update(fields)
    return Revision(**values)


def test_temporary_accounts_and_ips_are_anonymous_and_keep_no_name():
    valuation = Valuation(wiki="w", article_url="https://w.example/wiki/$1")
    temporary = person_of(revision(1, "a", user_name="~2024-12345"), valuation)
    flagged = person_of(revision(1, "a", user_name="Someone", temporary=True), valuation)
    ip = person_of(revision(1, "a", user_id=None, user_name="192.0.2.9", anonymous_ip=True), valuation)
    assert temporary.anonymous and flagged.anonymous and ip.anonymous
    assert "192.0.2.9" not in ip.name and not ip.bot
    registered = person_of(revision(1, "a"), valuation)
    assert not registered.anonymous and registered.identity == "mediawiki:w:7"
    # The API's bot group, when known, decides; the name patterns only when it is not.
    assert person_of(revision(1, "a", user_name="HelperBot", bot=False), valuation).bot is False
    assert person_of(revision(1, "a", user_name="HelperBot"), valuation).bot is True


def test_a_null_edit_is_no_revert_and_the_window_yields_in_order():
    window = PageWindow()
    out = [window.add(revision(n, sha1)) for n, sha1 in enumerate("abbcdb", start=1)]
    rest = window.drain()
    flags = {p.revision.id: p.flags for p in rest}
    assert out == [None] * 6  # all still open: fewer than REVERT_RADIUS later revisions
    # 3 repeats 2 (a null edit: no revert); 6 restores 2, undoing everything since it.
    assert flags == {1: set(), 2: set(), 3: {REVERTED}, 4: {REVERTED}, 5: {REVERTED}, 6: {REVERT}}
    assert [p.revision.id for p in rest] == [1, 2, 3, 4, 5, 6] and all(p.final for p in rest)
