"""What import tests share: a node with a garden, a source over a list of items, and
signing workers forced on."""

from support_cli import run

from fedcommons.importers.items import Read
from fedcommons.services.actors import signing


def garden_home(tmp_path_factory, url: str):
    """A home at `url` with alice, bob and dan, and the pool garden that bob stewards."""
    home = tmp_path_factory.mktemp("node") / "home"
    run(home, "init", "--url", url)
    for name in ("alice", "bob", "dan"):
        run(home, "actor", "add", name)
    run(home, "pool", "create", "garden", "--name", "Garden", "--steward", "bob")
    return home


class ListSource:
    """A source over a list of items; its cursor is how many were read. ``times_fixed``:
    whether the items' times are fixed by their keys, as a commit's are (see Source)."""

    def __init__(self, items, times_fixed: bool = False):
        self.items, self.times_fixed = items, times_fixed

    def read(self, cursor):
        for number, item in enumerate(self.items[int(cursor or 0):], start=int(cursor or 0) + 1):
            yield Read(item, str(number))


def force_signing_workers(monkeypatch) -> list:
    """Make every batch signed by a worker process (not only those of long runs); returns
    the list to which each worker's process is added as it starts."""
    started = []

    class Recorded(signing._Worker):
        def __init__(self):
            super().__init__()
            started.append(self.process)

    monkeypatch.setattr(signing, "WORKER_AFTER", 0)
    monkeypatch.setattr(signing, "_Worker", Recorded)
    return started
