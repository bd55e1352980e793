"""Python's cyclic garbage collector, held back during a long import.

A run makes its items, activities and entries batch after batch, and a batch lives until
the batch after it is written (see ``actors.signing.pipelined``): so the objects it makes
survive the young collections and pile up in the oldest generation, which then collects
often, and a collection of the oldest generation walks every object of the process. On
100,000 git commits that came to about 70 full collections and a sixth of the run's time.

:func:`fewer_collections` holds, for the length of a run, the objects that were there
before it out of every collection (``gc.freeze``: they are nearly all modules, the node and
its caches, none of them the run's garbage) and collects the youngest generation every
50,000 allocations instead of 700. Garbage left in reference cycles then waits long for a
full collection: while pool ledgers referred to themselves (they no longer do), a
1,000,000-revision wiki import grew from 181 to 241 MB. So a run also collects fully every
:data:`FULL_EVERY` batches itself, which bounds what any cycle can hold to that many
batches. Both settings are restored when the last run of the process ends, even by an error.
"""

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

# Allocations between collections of the youngest generation during a run (Python's: 700).
# On 100,000 git commits: 9,600 collections and 3.9 s with Python's settings, 110 and
# 0.6 s with this and the freeze.
YOUNG_THRESHOLD = 50_000
# Batches between the full collections a run makes itself (of 5,000 items: 50,000 items).
FULL_EVERY = 10

_lock = threading.Lock()
_runs = [0]
_saved: list[tuple[int, int, int]] = []


class Batches:
    """Counts a run's batches, and collects fully every :data:`FULL_EVERY`."""

    def __init__(self):
        self.written = 0

    def done(self) -> None:
        """A batch was written."""
        self.written += 1
        if self.written % FULL_EVERY == 0:
            gc.collect()


@contextmanager
def fewer_collections() -> Iterator[Batches]:
    """Collect less often inside the block (see the module), which calls ``done()`` on what
    it is given after each batch. Runs in several threads at once share the setting, which
    the last one to end restores."""
    with _lock:
        if _runs[0] == 0:
            _saved[:] = [gc.get_threshold()]
            gc.freeze()
            young, *older = _saved[0]
            gc.set_threshold(max(young, YOUNG_THRESHOLD), *older)
        _runs[0] += 1
    try:
        yield Batches()
    finally:
        with _lock:
            _runs[0] -= 1
            if _runs[0] == 0:
                gc.set_threshold(*_saved[0])
                gc.unfreeze()
