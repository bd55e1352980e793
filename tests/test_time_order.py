"""Items spooled to disk in time order come back equal to what went in, in order."""

import random
from datetime import datetime, timedelta, timezone
from fractions import Fraction

from fedcommons.importers.items import MERGE, REVERTED, Item, Person, utc_text
from fedcommons.importers.time_order import TimeOrder


def item(number: int, when: datetime) -> Item:
    people = (Person(f"email:p{number % 7}@example.org", f"Person {number % 7}", share=Fraction(2, 3),
                     aka=("email:old@example.org",)),
              Person("mediawiki:w:ip:192.0.2.1", "an IP address", role="co-author", anonymous=True, bot=number % 2 == 0))
    return Item(key=f"k:{number}", time=when, summary=f"change {number} – ü", people=people,
                evidence=None if number % 3 else f"https://example.org/{number}",
                metrics={"bytes_added": number, "bytes_removed": 0} if number % 5 else {},
                flags=frozenset({MERGE, REVERTED}) if number % 4 == 0 else frozenset(),
                kind=None if number % 2 else "docs")


def test_spooled_items_come_back_equal_and_in_order():
    rng = random.Random(7)
    base = datetime(2024, 1, 1, tzinfo=timezone.utc)
    zones = [timezone.utc, timezone(timedelta(hours=2)), timezone(timedelta(hours=-5, minutes=-30))]
    entries = []
    for number in range(1000):
        when = (base + timedelta(seconds=rng.randrange(100_000), microseconds=rng.choice([0, 250_000])))
        entries.append(((when, number), item(number, when.astimezone(rng.choice(zones)))))
    with TimeOrder(chunk=64) as order:  # most of them spooled, in 15 files
        for order_key, value in entries:
            order.add(order_key, value)
        out = list(order.ordered())
    assert out == sorted(entries, key=lambda entry: entry[0])
    assert [value.time.utcoffset() for _, value in out] == [value.time.utcoffset() for _, value in
                                                             sorted(entries, key=lambda entry: entry[0])]


def test_utc_text_writes_times_as_strftime_does():
    rng = random.Random(3)
    for _ in range(2000):
        moment = datetime.fromtimestamp(rng.randrange(-2_000_000_000, 40_000_000_000), timezone.utc)
        moment = moment.replace(microsecond=rng.choice([0, 1, 999_999]))
        moment = moment.astimezone(timezone(timedelta(minutes=rng.randrange(-900, 900))))
        assert utc_text(moment) == moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
