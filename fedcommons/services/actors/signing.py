"""Signing activities as a local actor (eddsa-jcs-2022, the actor's Ed25519 key), one at a
time or, for a long run, batch by batch in a worker process while this one writes."""

import logging
import os
import select
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, Iterable, TypeVar

from ...errors import FedcommonsError
from ...node import Node
from ...sig import ed25519
from ...sig.eddsa_jcs import proof_value, signing_input
from ...sig.multibase import multibase_decode
from ...sig.proof import attach_proof, create_proof_canonical, proof_input
from ...store.actors import ActorRow
from ..log.log_writer import Pending
from . import signing_worker

log = logging.getLogger("fedcommons.signing")

# A run starts a signing worker once it has signed this many activities itself: starting
# one costs about 0.1 s, about what signing a thousand does, so small runs (and tests)
# never start one. A test sets 0 to use a worker from the first batch.
WORKER_AFTER = 1000
# How long one exchange with the worker may take before it is given up on, in seconds: a
# batch of a thousand takes it about 0.05 s.
WORKER_TIMEOUT = 60.0
# Where this process's fedcommons package lives: the worker must run the same code.
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[3])
# The longest proofValue: "z" and 88 base58 digits for 64 bytes, and a separator.
_VALUE_MAX = 90
# Items a piece of a batch sent to the worker holds.
_PIECE = 64
# CPU seconds the signing workers that have ended used (for benchmarks: see worker_cpu).
_worker_cpu = [0.0]

Prepared = TypeVar("Prepared")
Item = TypeVar("Item")


def sign_as(node: Node, actor: ActorRow, activity: dict, *, plain: bool = False) -> Pending:
    """The activity with a Data Integrity proof by `actor`, dated at its `published` time,
    ready for the log (its canonical bytes come with it). `plain`: see create_proof_canonical."""
    key = node.keys.ed25519(actor.kind, actor.name)
    signed, body = create_proof_canonical(
        activity, key, actor.ed25519_key_id, created=activity["published"], plain=plain
    )
    return Pending(signed, body=body)


def pipelined(items: Iterable[Item], prepare: Callable[[Item], Prepared], write: Callable[[Prepared], None]) -> None:
    """``write(prepare(item))`` for each item in order, except that item k+1 is prepared
    before item k is written: a :class:`BatchSigner` signs the next batch meanwhile.
    ``prepare`` never returns None."""
    previous = None
    for item in items:
        current = prepare(item)
        if previous is not None:
            write(previous)
        previous = current
    if previous is not None:
        write(previous)


def worker_cpu() -> float:
    """CPU seconds used so far by this process's signing workers that have ended."""
    return _worker_cpu[0]


class WorkerFailed(FedcommonsError):
    """The signing worker exited, stalled or answered something other than proof values."""


class BatchSigner:
    """Signs a run's batches of activities, each batch by one local actor.

    The first :data:`WORKER_AFTER` signatures are made in this process; after that a
    worker process (:mod:`.signing_worker`) makes them, so that :meth:`submit` returns at
    once and the caller can append the batch before meanwhile (see :func:`pipelined`).

    If the worker fails (it exits, stalls past :data:`WORKER_TIMEOUT`, or answers
    something that is not the batch's proof values), the batch is signed here, and so is
    the rest of the run, with a warning. Falling back costs nothing but time: Ed25519
    signatures are deterministic and both ways build every byte with the same functions,
    so the log gets the same bytes; a run that raised instead would have to be resumed.
    Use it in a ``with`` block: leaving it ends the worker.
    """

    def __init__(self, node: Node):
        self.node = node
        self.signed = 0
        self.worker: _Worker | None = None
        self.failed = False
        self.outstanding: Signing | None = None

    def __enter__(self) -> "BatchSigner":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """End the worker. One with an answer nobody will read (the run broke off) is killed:
        it may be blocked writing that answer, and would not see its input end."""
        if self.worker is not None:
            self.worker.close(kill=self.outstanding is not None)
            self.worker = None
            self.outstanding = None

    def submit(self, actor: ActorRow, activities: list[dict], *, plain: bool = False) -> "Signing":
        """Start signing `activities` as `actor` (each dated at its `published` time); the
        returned batch's :meth:`Signing.result` gives them ready for the log, in order.
        Raises BadInput (nothing sent) as :func:`sign_as` would."""
        key = self.node.keys.ed25519(actor.kind, actor.name)
        inputs = _proof_inputs(actor, activities, plain)
        if self.outstanding is not None:
            # One batch at a time in the pipes: the worker blocks on writing a large answer
            # until it is read, and would not read the next batch meanwhile.
            self.outstanding.collect()
        signing = Signing(self, actor, key, activities, inputs, plain)
        if inputs and self._worker():
            try:
                self.worker.send(key.private_bytes_raw(), [(c, d) for _, c, d in inputs])
                self.outstanding = signing
            except WorkerFailed as error:
                self.give_up(error)
        if self.outstanding is not signing:
            signing.sign_here(inputs)
        self.signed += len(inputs)
        return signing

    def _worker(self) -> bool:
        """Whether a worker signs from now on (started here once the run is long enough)."""
        if self.worker is None and not self.failed and self.signed >= WORKER_AFTER:
            try:
                self.worker = _Worker()
            except OSError as error:
                self.give_up(WorkerFailed(f"cannot start a signing worker: {error}"))
        return self.worker is not None

    def give_up(self, error: WorkerFailed) -> None:
        """Sign in this process from now on."""
        log.warning("%s; signing in this process instead", error)
        self.failed = True
        self.outstanding = None
        if self.worker is not None:
            self.worker.close(kill=True)
            self.worker = None


def _proof_inputs(actor: ActorRow, activities: list[dict], plain: bool) -> list[tuple[dict, bytes, bytes]]:
    """(proof config, its JCS bytes, the activity's JCS bytes) for each activity."""
    return [proof_input(a, actor.ed25519_key_id, created=a["published"], plain=plain) for a in activities]


class Signing:
    """One batch being signed. It keeps the proof configs but not the JCS bytes the worker
    was sent (each activity carries the inline @context: megabytes a batch, which would
    otherwise be held while the batch before is written); they are made again if it fails."""

    def __init__(self, signer: BatchSigner, actor: ActorRow, key, activities: list[dict], inputs: list,
                 plain: bool):
        self.signer, self.actor, self.key, self.activities, self.plain = signer, actor, key, activities, plain
        self.configs = [config for config, _, _ in inputs]
        self.first = inputs[0][1:] if inputs else None  # to check the worker's first signature
        self.values: list[str] | None = None

    def sign_here(self, inputs: list | None = None) -> None:
        """Sign the batch in this process."""
        secret_key = ed25519.secret_key(self.key)
        inputs = _proof_inputs(self.actor, self.activities, self.plain) if inputs is None else inputs
        self.values = [proof_value(secret_key, c, d) for _, c, d in inputs]

    def collect(self) -> None:
        """Read the worker's answer, if it is signing this batch; a failure falls back."""
        signer = self.signer
        if signer.outstanding is not self:
            return
        signer.outstanding = None
        try:
            values = signer.worker.receive(len(self.configs))
            self._check_first(values[0])
        except WorkerFailed as error:
            signer.give_up(error)
            self.sign_here()
        else:
            self.values = values

    def _check_first(self, value: str) -> None:
        # One verification a batch (a thousandth of the work) catches a worker that signs
        # with another key or over other bytes.
        try:
            signature = multibase_decode(value)
        except FedcommonsError:
            signature = b""
        if not ed25519.verify(self.key.public_key(), signature, signing_input(*self.first)):
            raise WorkerFailed("the signing worker's signature does not verify")

    def result(self) -> list[Pending]:
        """The batch's activities with their proofs, ready for the log, in order."""
        self.collect()
        signed = [attach_proof(activity, config, value, plain=self.plain)
                  for activity, config, value in zip(self.activities, self.configs, self.values)]
        return [Pending(activity, body=body) for activity, body in signed]


class _Worker:
    """The signing worker process and its pipes; every wait on it is bounded."""

    def __init__(self):
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [_PACKAGE_ROOT, os.environ.get("PYTHONPATH")]))}
        self.process = subprocess.Popen([sys.executable, "-m", signing_worker.__name__], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, env=env)
        self.seed: bytes | None = None
        self.to, self.back = self.process.stdin.fileno(), self.process.stdout.fileno()
        os.set_blocking(self.to, False)
        os.set_blocking(self.back, False)

    def send(self, seed: bytes, items: list[tuple[bytes, bytes]]) -> None:
        """Send a batch (and the key, when it is not the one the worker has)."""
        key = b"" if seed == self.seed else signing_worker.frame(signing_worker.KEY + seed)
        self.seed = seed
        deadline = time.monotonic() + WORKER_TIMEOUT
        self._write(key + signing_worker.batch_header(items), deadline)
        # In pieces: a whole batch is megabytes (each activity carries the inline @context).
        for start in range(0, len(items), _PIECE):
            self._write(signing_worker.encoded_items(items[start:start + _PIECE]), deadline)

    def _write(self, data: bytes, deadline: float) -> None:
        view = memoryview(data)
        while view:
            self._wait(self.to, select.POLLOUT, deadline)
            try:
                view = view[os.write(self.to, view):]
            except BlockingIOError:
                continue
            except OSError as error:  # a broken pipe: it exited
                raise self._gone() from error

    def receive(self, count: int) -> list[str]:
        """The proof values of the batch sent last, in order."""
        deadline = time.monotonic() + WORKER_TIMEOUT
        length = signing_worker.frame_length(self._read(4, deadline))
        if length > _VALUE_MAX * count:
            raise WorkerFailed(f"the signing worker announced {length} bytes for {count} proof values")
        values = self._read(length, deadline).split(b" ")
        if len(values) != count or not all(v.startswith(b"z") for v in values):
            raise WorkerFailed(f"the signing worker answered {len(values)} values, not {count} proof values")
        return [v.decode("ascii") for v in values]

    def _read(self, size: int, deadline: float) -> bytes:
        data = bytearray()
        while len(data) < size:
            self._wait(self.back, select.POLLIN, deadline)
            try:
                chunk = os.read(self.back, size - len(data))
            except BlockingIOError:
                continue
            if not chunk:
                raise self._gone()
            data += chunk
        return bytes(data)

    def _wait(self, fd: int, event: int, deadline: float) -> None:
        poll = select.poll()
        poll.register(fd, event)
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not poll.poll(remaining * 1000):
            raise WorkerFailed(f"the signing worker did not answer within {WORKER_TIMEOUT:g} s")

    def _gone(self) -> WorkerFailed:
        status = self.process.returncode if self._reap(1) else "still running"
        return WorkerFailed(f"the signing worker exited unexpectedly (status {status})")

    def _reap(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds for the worker to end; whether it has. Its CPU time
        is added to worker_cpu (hence wait4, not Popen.wait)."""
        process = self.process
        deadline = time.monotonic() + timeout
        while process.returncode is None:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                process.returncode = os.waitstatus_to_exitcode(status)
                _worker_cpu[0] += usage.ru_utime + usage.ru_stime
            elif time.monotonic() > deadline:
                return False
            else:
                time.sleep(0.005)
        return True

    def close(self, *, kill: bool = False) -> None:
        """End the worker (closing its input ends it) and reap it; `kill` when it failed."""
        process = self.process
        try:
            if kill:
                process.kill()
            try:
                process.stdin.close()
            except OSError:
                pass  # it exited with its input unread
            if not self._reap(5):
                process.kill()
                self._reap(5)
        finally:
            process.stdout.close()
