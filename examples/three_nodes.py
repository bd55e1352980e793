"""Three fedcommons nodes on this machine, walking the whole federation flow.

    python examples/three_nodes.py

Starts nodes A, B and C on 127.0.0.1 (each `fedcommons serve` in its own process, each
with its own home in a temporary directory), then, with the same commands a person
would type:

1. Bob stewards the pool "garden" on A; Alice lives on B; Carol on C follows the pool.
2. Alice contributes three hours of code to garden@A from her node B.
3. C goes down. Bob validates Alice's contribution on A.
4. The validation reaches B at once; C gets it when it is back.
5. C's mirror of A's log has followed the pool: `log show --origin`, `pool show`.
6. Every node's log, and C's mirror, verifies.

Everything stays on loopback; every wait is bounded.
"""

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FEDCOMMONS = [sys.executable, "-m", "fedcommons"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Node:
    def __init__(self, root: Path, name: str):
        self.name, self.port = name, free_port()
        self.home = root / name
        self.url = f"http://127.0.0.1:{self.port}"
        self.handle_host = f"127.0.0.1:{self.port}"
        self.server: subprocess.Popen | None = None

    def run(self, *args: str, quiet: bool = False) -> str:
        result = subprocess.run([*FEDCOMMONS, "--home", str(self.home), *args],
                                capture_output=True, text=True)
        if result.returncode != 0:
            raise SystemExit(f"[{self.name}] fedcommons {' '.join(args)} failed:\n{result.stderr}")
        if not quiet:
            print(f"  [{self.name}] $ fedcommons {' '.join(args)}")
            for line in result.stdout.strip().splitlines()[:6]:
                print(f"  [{self.name}]   {line}")
        return result.stdout

    def start(self) -> None:
        log = open(self.home.parent / f"{self.name}.log", "a")
        self.server = subprocess.Popen([*FEDCOMMONS, "--home", str(self.home), "serve", "--port", str(self.port)],
                                       stdout=log, stderr=log)
        wait_for(lambda: _up(self.url), f"{self.name} to start")
        print(f"  [{self.name}] serving {self.url}")

    def stop(self) -> None:
        if self.server:
            self.server.terminate()
            self.server.wait(timeout=10)
            self.server = None
            print(f"  [{self.name}] stopped")

    def entries(self, *origin: str) -> list[dict]:
        """The node's log entries, or (given `--origin`, URL) those of its mirror of another log."""
        return [json.loads(line) for line in self.run("log", "show", *origin, "--format", "json",
                                                      quiet=True).splitlines()]

    def mirrors(self, url: str) -> bool:
        """Whether this node holds a mirror of the log of the node at `url`."""
        return any(p["url"] == url for p in json.loads(self.run("peers", "--format", "json", quiet=True)))


def _up(url: str) -> bool:
    import urllib.request

    try:
        return urllib.request.urlopen(f"{url}/health", timeout=1).status == 200
    except OSError:
        return False


def wait_for(check, what: str, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise SystemExit(f"gave up waiting for {what} after {timeout:.0f} s")


def main() -> None:
    root = Path(tempfile.mkdtemp(prefix="fedcommons-example-"))
    a, b, c = Node(root, "A"), Node(root, "B"), Node(root, "C")
    print(f"Homes in {root}\n\n1. Three nodes, a pool and three people")
    try:
        for node in (a, b, c):
            node.run("init", "--url", node.url, "--allow-private-addresses")
            node.start()
        a.run("actor", "add", "bob", "--display-name", "Bob")
        a.run("pool", "create", "garden", "--name", "Community Garden", "--steward", "bob", "--license", "CC-BY-SA-4.0")
        b.run("actor", "add", "alice", "--display-name", "Alice")
        c.run("actor", "add", "carol", "--display-name", "Carol")
        garden = f"@garden@{a.handle_host}"
        c.run("lookup", garden)
        c.run("follow", garden, "--as", "carol")

        print("\n2. Alice, on B, contributes to the pool on A")
        cid = b.run("contribute", "--pool", garden, "--as", "alice", "--effort", "3h", "--kind", "code",
                    "--summary", "wrote the irrigation scheduler").strip()
        wait_for(lambda: any(e["activity"].get("object", {}).get("id") == cid
                             for e in a.entries() if isinstance(e["activity"].get("object"), dict)),
                 "A to receive the contribution")
        print(f"  A received {cid} (pending a steward)")

        print("\n3. C goes down; Bob validates on A")
        c.stop()
        a.run("validate", cid, "--as", "bob")

        print("\n4. The validation reaches B now, and C once it is back")
        wait_for(lambda: any(e["activity"]["type"] == "Accept" and e["activity"].get("object") == cid
                             for e in b.entries()), "B to receive the validation")
        print("  B logged the validation of Alice's contribution")
        c.start()
        c.run("lookup", garden)  # C's first signed request tells A it is back
        wait_for(lambda: all(d["state"] == "delivered" for d in json.loads(a.run("deliveries", "--format", "json",
                 "--state", "all", quiet=True)) if c.handle_host in d["inbox"]), "A to deliver to C")
        print("  A delivered everything to C")
        a.run("deliveries", "--state", "all")

        print("\n5. C's mirror of A's log holds the pool's work")
        wait_for(lambda: c.mirrors(a.url) and any(
            e["activity"]["type"] == "Accept" and e["activity"].get("object") == cid
            for e in c.entries("--origin", a.url)), "C's mirror to hold the validation")
        c.run("log", "show", "--origin", a.url, "--start", "0", "--limit", "5")
        c.run("pool", "show", garden)

        print("\n6. Every log, and C's mirror, verifies")
        for node in (a, b, c):
            node.run("log", "verify")
        c.run("log", "verify", "--origin", a.url)
    finally:
        for node in (a, b, c):
            node.stop()
    print(f"\nDone. Server logs are in {root}.")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
