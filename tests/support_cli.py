"""Running the command line against a node home, as a person would."""

import json
import signal
import subprocess
import time

from click.testing import CliRunner

from fedcommons.cli import main


def invoke(home, *args, input=None):
    """`fedcommons --home HOME ARGS...`, whatever its exit status: the result."""
    return CliRunner().invoke(main, ["--home", str(home), *args], input=input, catch_exceptions=False)


def run(home, *args, code=0, input=None):
    """`fedcommons --home HOME ARGS...`; asserts the exit status and returns the result."""
    result = invoke(home, *args, input=input)
    assert result.exit_code == code, (args, result.output, result.stderr)
    return result


def entries(home) -> list[dict]:
    """The node's log as `log show --format json` prints it, one dict per entry."""
    return [json.loads(line) for line in run(home, "log", "show", "--format", "json").stdout.splitlines()]


def kill_when(command: list[str], ready, *, env: dict, timeout: float = 120) -> tuple[bool, str]:
    """Start `command`, wait (bounded by `timeout`) until `ready()` is true or the process
    ends, then SIGKILL it. Returns whether it was still running when killed, and its stderr."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    try:
        deadline = time.monotonic() + timeout
        while not ready() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.002)
        still_running = process.poll() is None
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)
    return still_running, process.stderr.read().decode()
