"""The command line loads a command's own modules only: `fedcommons standing` starts in a
fraction of the time that loading every command (the web server, importers, exporters) takes."""

import importlib
import subprocess
import sys

import click
from support_cli import garden_home, run

from fedcommons.cli import COMMANDS, main

# Loaded by none of the commands below: the server, the HTTP client, the exporters, peer-rank's scipy.
HEAVY = ("aiohttp", "scipy", "jinja2", "fedcommons.app", "fedcommons.web", "fedcommons.cli.export",
         "fedcommons.cli.sources", "fedcommons.federation.client")

LOADED = """
import runpy, sys
sys.argv = ["fedcommons", *sys.argv[1:]]
try:
    runpy.run_module("fedcommons", run_name="__main__")
except SystemExit as exit:
    assert not exit.code, exit.code
print(" ".join(sorted(sys.modules)))
"""


def test_every_command_names_the_modules_that_define_it():
    for modules in COMMANDS.values():
        for module in modules:
            importlib.import_module(f"fedcommons.cli.{module}")
    assert sorted(main.commands) == sorted(COMMANDS)

    def defined_in(command: click.Command) -> set[str]:
        found = {command.callback.__module__.rsplit(".", 1)[1]} if command.callback else set()
        for sub in getattr(command, "commands", {}).values():
            found |= defined_in(sub)
        return found

    for name, command in main.commands.items():
        assert defined_in(command) <= set(COMMANDS[name]), name


def test_standing_loads_neither_the_server_nor_the_http_client(tmp_path):
    home = garden_home(tmp_path)
    run(home, "contribute", "--pool", "garden", "--as", "alice", "--effort", "1h", "--kind", "code",
        "--summary", "work")
    for args in (["standing", "garden", "--format", "csv"], ["actor", "show", "alice"]):
        out = subprocess.run([sys.executable, "-c", LOADED, "--home", str(home), *args], capture_output=True,
                             text=True, timeout=120, check=True).stdout
        modules = out.splitlines()[-1].split()
        assert [m for m in modules if m.startswith(HEAVY)] == [], args
    # Listing the commands loads them all, so --help stays complete.
    out = subprocess.run([sys.executable, "-c", LOADED, "--help"], capture_output=True, text=True, timeout=120,
                         check=True).stdout
    assert all(f"  {name} " in out for name in COMMANDS) and "fedcommons.cli.export" in out.split()
