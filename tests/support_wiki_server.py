"""A real MediaWiki on 127.0.0.1 holding the de.wiktionary fixtures, built once per session.

Debian's ``mediawiki`` package, installed on SQLite in a temporary directory, served by
PHP's built-in server. The fixtures are stub histories (no text), so each revision is given
a text of its recorded size, one text per recorded hash (``support_mediawiki.full_from_stub``):
the wiki then computes the same sizes and the same equalities, so reverts survive. Accounts
are made before the import (``importDump.php`` only attributes revisions to accounts that
exist); the bot group holds the accounts named as bots except "Instance of Bot", plus
"RobotGMwikt", so a test can tell the bot group from the name patterns.

Without the package these tests skip, saying why, except in CI (CI=true), where that is a
failure: ``.ci/run`` installs it.
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from fedcommons.importers.mediawiki_dump import MediaWikiDump

from support_mediawiki import ANONTALK, HALLO, fixture, full_from_stub

MEDIAWIKI = Path("/usr/share/mediawiki")
MAKE_USERS = Path(__file__).resolve().parent / "mediawiki" / "make_users.php"
WAIT_S = 20  # every wait here is bounded by this
NOT_IN_BOT_GROUP = {"Instance of Bot"}
ALSO_IN_BOT_GROUP = {"RobotGMwikt"}
BOT_NAME = re.compile(r"(?i)bot\b")
FAST_SQLITE = """
$wgDBservers = [ [ 'host' => '', 'dbname' => $wgDBname, 'user' => '', 'password' => '', 'type' => 'sqlite',
    'flags' => DBO_DEFAULT, 'load' => 1, 'dbDirectory' => $wgSQLiteDataDir,
    'variables' => [ 'synchronous' => 'OFF' ] ] ];
"""


def unavailable(reason: str) -> None:
    """Skip, or fail in CI, where the wiki must be tested."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; CI must run the wiki tests (.ci/run installs mediawiki)", pytrace=False)
    pytest.skip(reason)


def _php(*args: str, cwd: Path = MEDIAWIKI, stdin: str | None = None, env: dict | None = None) -> None:
    done = subprocess.run(["php", *args], cwd=cwd, input=stdin, capture_output=True, text=True,
                          timeout=120, env={**os.environ, **(env or {})})
    if done.returncode != 0:
        raise RuntimeError(f"php {args[0]} failed: {done.stdout[-2000:]} {done.stderr[-2000:]}")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _accounts(dumps: list[Path]) -> str:
    names = sorted({revision.user_name for dump in dumps for revision in MediaWikiDump(dump).revisions()
                    if revision.user_name and not revision.anonymous_ip})
    lines = []
    for name in names:
        bot = (BOT_NAME.search(name) and name not in NOT_IN_BOT_GROUP) or name in ALSO_IN_BOT_GROUP
        lines.append(f"{'bot' if bot else 'user'}\t{name}")
    return "\n".join(lines) + "\n"


def _one_dump(stubs: list[str]) -> str:
    """Both stubs' pages in one full-history export (one importDump.php run)."""
    first, *others = [full_from_stub(stub) for stub in stubs]
    pages = "".join(other[other.index("<page>"):other.rindex("</mediawiki>")] for other in others)
    return first[:first.rindex("</mediawiki>")] + pages + "</mediawiki>\n"


def build_wiki(directory: Path):
    """Install, fill and serve the wiki; returns (api URL, server process)."""
    if shutil.which("php") is None or not (MEDIAWIKI / "maintenance" / "install.php").exists():
        unavailable(f"the wiki tests need Debian's mediawiki package in {MEDIAWIKI} with php-cli "
                    "and php-sqlite3 (apt-get install mediawiki php-sqlite3)")
    dumps = [fixture(HALLO), fixture(ANONTALK)]
    stubs = [dump.read_text() for dump in dumps]
    port = _free_port()
    server = f"http://127.0.0.1:{port}"
    config = directory / "LocalSettings.php"
    _php("maintenance/install.php", "--dbtype", "sqlite", "--dbpath", str(directory / "db"), "--dbname", "wiki",
         "--confpath", str(directory), "--server", server, "--scriptpath", "", "--lang", "en",
         "--pass", "a-test-wiki-password-9", "--quiet", "Test wiki", "Admin")
    with open(config, "a") as settings:
        # A throwaway wiki: SQLite need not wait for the disk at each write (halves the import).
        settings.write(FAST_SQLITE)
    _php(str(MAKE_USERS), "--conf", str(config), stdin=_accounts(dumps), env={"MW_INSTALL_PATH": str(MEDIAWIKI)})
    dump = directory / "fixtures.xml"
    dump.write_text(_one_dump(stubs))
    _php("maintenance/importDump.php", "--no-updates", "--conf", str(config), str(dump))
    return api_of(server, config, port)


def edit(directory: Path, title: str, text: str, user: str) -> None:
    """A new revision of a page, made now by an existing account."""
    _php("maintenance/edit.php", "--conf", str(directory / "LocalSettings.php"), "--user", user,
         "--summary", "test edit", "--no-rc", title, stdin=text)


def api_of(server: str, config: Path, port: int):
    """Serve the wiki with PHP's built-in server; returns (api URL, process) once it answers."""
    # A process group of its own: PHP's server forks workers, which stop() ends with it.
    process = subprocess.Popen(["php", "-S", f"127.0.0.1:{port}", "-t", str(MEDIAWIKI)],
                               cwd=MEDIAWIKI, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True,
                               env={**os.environ, "MW_CONFIG_FILE": str(config), "PHP_CLI_SERVER_WORKERS": "2"})
    api = f"{server}/api.php"
    deadline = time.monotonic() + WAIT_S
    while True:
        try:
            with urllib.request.urlopen(f"{api}?action=query&meta=siteinfo&format=json", timeout=5) as answer:
                if answer.status == 200:
                    return api, process
        except OSError:
            pass
        if time.monotonic() > deadline or process.poll() is not None:
            stop(process)
            raise RuntimeError(f"the wiki did not answer at {api} within {WAIT_S} s")
        time.sleep(0.1)


def stop(process: subprocess.Popen) -> None:
    """End the wiki's server and its workers (its process group), and wait for it."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
