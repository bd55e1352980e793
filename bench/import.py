"""Commits of a git repository imported, signed and validated end to end, per second.

    PYTHONPATH=. python bench/import.py [--commits 100000] [--increment 10000] [--fill 1000000]

1. Builds a synthetic repository with `git fast-import` (--commits commits by 100 authors,
   one file changed each), maps every author to a person ahead of the import, and times
   `import run --validate` through its own code path: git log, the pipeline (aliases,
   sessions/1, the pool's Create{Contribution} signed per commit, batches with the cursor)
   and the steward's bulk validation (one signed Accept per commit). Target: 5,000
   commits/s or more, peak RSS under 300 MB.
   Signing is split between two processes: this one builds each proof config and
   document, their JCS bytes and, given its proof value, the signed entry's bytes; once a
   run has signed a thousand entries (here: from its second batch, in the import and in the
   validation alike) a signing worker process hashes, signs and encodes the proof values
   of batch k while this one appends batch k-1. The CPU figure counts the worker's time
   (printed apart) as well as git's: "per CPU second" is over all three.
2. Times an increment of --increment commits into an empty pool, and into a pool whose
   log already holds --fill entries (filled cheaply: contributions of the form and size an
   import writes, with a proof value that is not a signature, appended in large batches
   through the ordinary append path, with their projections, index rows and Merkle nodes),
   and prints the ratio. Target: no more on the full pool than on the empty one.
"""

import argparse
import hashlib
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import host_speed_us, machine, peak_rss_mb  # noqa: E402

from fedcommons.home import init_node  # noqa: E402
from fedcommons.services.actors.actors import create_actor  # noqa: E402
from fedcommons.services.actors.pools import create_pool  # noqa: E402
from fedcommons.services.actors import signing  # noqa: E402
from fedcommons.services.importing import aliases, sources  # noqa: E402
from fedcommons.services.importing import pipeline  # noqa: E402
from fedcommons.services.log import log_writer  # noqa: E402
from fedcommons.effort_rules import rule as effort_rule  # noqa: E402
from fedcommons.importers.items import utc_text  # noqa: E402
from fedcommons.sig.multibase import multibase_encode  # noqa: E402
from fedcommons.sig.proof import attach_proof, build_proof_config  # noqa: E402
from fedcommons.store import actors as actor_store  # noqa: E402

AUTHORS = 100
FILL_START = datetime(2010, 1, 1, tzinfo=timezone.utc)  # the filled pool's history, before any increment
GIT_ENV = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": "/nonexistent", "GIT_CONFIG_NOSYSTEM": "1",
           "GIT_CONFIG_GLOBAL": "/dev/null", "LC_ALL": "C"}


def synthetic_repo(path: Path, commits: int, start: int = 0) -> Path:
    """A linear history of `commits` commits by AUTHORS authors, a few minutes apart."""
    subprocess.run(["git", "init", "--quiet", "--bare", "-b", "main", str(path)], env=GIT_ENV, check=True)
    process = subprocess.Popen(["git", "-C", str(path), "fast-import", "--quiet"], stdin=subprocess.PIPE, env=GIT_ENV)
    when = 1_600_000_000 + start * 300
    chunks = []
    for n in range(start, start + commits):
        author = n % AUTHORS
        ident = f"Author {author} <author{author}@private.example> {when + (n - start) * 300} +0000"
        message = f"change {n}".encode()
        content = f"line {n}\n".encode()
        chunks.append(b"commit refs/heads/main\nauthor %s\ncommitter %s\ndata %d\n%s\n" % (
            ident.encode(), ident.encode(), len(message), message))
        chunks.append(b"M 100644 inline f%d.txt\ndata %d\n%s\n" % (n % 50, len(content), content))
        if len(chunks) > 3000:
            process.stdin.write(b"".join(chunks))
            chunks = []
    process.stdin.write(b"".join(chunks))
    process.stdin.close()
    if process.wait(timeout=3600):
        raise SystemExit("git fast-import failed")
    return path


def fresh_node(root: Path):
    """A node with a steward, AUTHORS people and the pool 'garden'."""
    node = init_node(root / "home", "http://127.0.0.1:8080", allow_private_addresses=True)
    create_actor(node, "person", "steward")
    for i in range(AUTHORS):
        create_actor(node, "person", f"p{i}")
    create_pool(node, "garden", name="Garden", stewards=["steward"], license="MIT")
    for i in range(AUTHORS):
        aliases.confirm(node, "garden", f"email:author{i}@private.example", f"p{i}", "steward")
    return node


def fill(node, entries: int, batch: int = 20_000) -> None:
    """`entries` contributions to the pool, appended in large batches through the ordinary
    append path. Each is what an import writes, byte for byte in form and size (the pool's
    Create{Contribution}, its id after the work's time, a proof), except that its proof value
    is not a signature: what a pool holds matters here (its indexes, the dictionary its
    bodies are compressed with), not its signatures, and signing a million would take long."""
    pool = actor_store.actor(node.db, f"{node.url}/pools/garden")
    rule = effort_rule("sessions/1", {}).describe()
    for start in range(0, entries, batch):
        pending = []
        for n in range(start, min(entries, start + batch)):
            actor = f"{node.url}/users/p{n % AUTHORS}"
            data = {"key": f"git:{n:040x}", "published": utc_text(FILL_START + timedelta(minutes=5 * n)),
                    "summary": f"filler {n}", "evidence": [], "minutes": 30, "kind": "code", "rule": rule}
            activity = pipeline.contribution_activity(node, pool, actor, f"p{n % AUTHORS}", data)
            config = build_proof_config(activity, pool.ed25519_key_id, created=activity["published"])
            value = multibase_encode(hashlib.sha512(data["key"].encode()).digest())
            signed, body = attach_proof(activity, config, value, plain=True)
            pending.append(log_writer.Pending(signed, body=body))
        log_writer.append(node, pending)


def timed_import(node, repo: Path, name: str) -> dict:
    """Add `repo` as a source, run it and validate the run; times and counts."""
    row = sources.add_source(node, name, pool="garden", type_="git", location=str(repo))
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    worker = signing.worker_cpu()
    wall, cpu = time.perf_counter(), time.process_time()
    summary = sources.import_source(node, row, sources.open_source(row))
    imported = time.perf_counter() - wall
    summary.validated = sources.validate_run(node, summary.run, "steward")
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    # Both git and the signing workers are children: the workers count their own.
    worker = signing.worker_cpu() - worker
    git_cpu = (after.ru_utime + after.ru_stime) - (children.ru_utime + children.ru_stime) - worker
    return {"wall": wall, "cpu": cpu, "git_cpu": git_cpu, "worker_cpu": worker, "imported": imported,
            "summary": summary}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commits", type=int, default=100_000)
    parser.add_argument("--increment", type=int, default=10_000)
    parser.add_argument("--fill", type=int, default=1_000_000)
    parser.add_argument("--skip-full", action="store_true", help="only the increment comparison")
    parser.add_argument("--skip-increment", action="store_true", help="only the full import")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="fedcommons-bench-import-"))
    print(machine())

    if not args.skip_full:
        started = time.perf_counter()
        repo = synthetic_repo(root / "big.git", args.commits)
        print(f"built a {args.commits}-commit repository in {time.perf_counter() - started:.1f} s")
        node = fresh_node(root / "full")
        result = timed_import(node, repo, "big")
        s = result["summary"]
        assert s.items == s.recorded == s.validated == args.commits, s
        print(f"import: {args.commits} commits read, recorded and validated ({s.recorded + s.validated} signed "
              f"entries) in {result['wall']:.2f} s wall ({result['imported']:.2f} s to record), "
              f"{result['cpu']:.2f} s CPU + {result['git_cpu']:.2f} s in git + {result['worker_cpu']:.2f} s in "
              f"the signing worker = {args.commits / result['wall']:,.0f} commits/s wall, "
              f"{args.commits / (result['cpu'] + result['git_cpu'] + result['worker_cpu']):,.0f} per CPU second "
              f"(target >= 5,000); "
              f"peak RSS {peak_rss_mb():.0f} MB, git {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024:.0f} MB; "
              f"host speed {host_speed_us():.1f} us")
        node.close()

    if args.skip_increment:
        return
    increments = [synthetic_repo(root / f"increment{i}.git", args.increment, start=10_000_000 * (i + 1))
                  for i in range(2)]
    empty = fresh_node(root / "empty")
    filled = fresh_node(root / "filled")
    started = time.perf_counter()
    fill(filled, args.fill)
    print(f"filled a pool with {args.fill:,} entries in {time.perf_counter() - started:.1f} s")
    times: dict[str, list[dict]] = {"empty": [], "filled": []}
    # Alternating, so that the host's drift touches both alike.
    for i, repo in enumerate(increments):
        for label, node in (("empty", empty), ("filled", filled)):
            result = timed_import(node, repo, f"inc{i}")
            times[label].append(result)
            print(f"increment of {args.increment} commits into the {label} pool: {result['wall']:.2f} s wall, "
                  f"{result['cpu']:.2f} s CPU (recorded {result['summary'].recorded}, "
                  f"validated {result['summary'].validated}); host speed {host_speed_us():.1f} us")
    wall = sum(r["wall"] for r in times["filled"]) / sum(r["wall"] for r in times["empty"])
    cpu = sum(r["cpu"] for r in times["filled"]) / sum(r["cpu"] for r in times["empty"])
    print(f"increment ratio filled/empty over {len(increments)} alternating runs: {wall:.2f} wall, {cpu:.2f} CPU "
          f"(target <= 1, within noise)")


if __name__ == "__main__":
    main()
