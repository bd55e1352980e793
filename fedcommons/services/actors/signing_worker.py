"""A child process that signs batches of activities, so that a long import signs one batch
while its own process appends the one before (the machine has more than one core).

    python -m fedcommons.services.actors.signing_worker

Its parent (:class:`~fedcommons.services.actors.signing.BatchSigner`) starts it with pipes
on stdin and stdout. Each message is a frame: a 4-byte big-endian length, then the body.

- ``K`` + a 32-byte Ed25519 seed: sign what follows with this key (our own child, over an
  anonymous pipe: the key goes nowhere else);
- ``B`` + items, each the JCS bytes of a proof config and of a document, every one
  preceded by its 4-byte length: answered with one frame, the items' ``proofValue``\\ s in
  order, separated by spaces (base58 has none).

End of input ends it: the parent closed the pipe, or died. It imports only what signing
needs (see :mod:`fedcommons.sig.eddsa_jcs`), so it starts in about a tenth of a second.
"""

import signal
import struct
import sys
from typing import BinaryIO, Iterator

from nacl.bindings import crypto_sign_seed_keypair

from fedcommons.sig.eddsa_jcs import proof_value

KEY, BATCH = b"K", b"B"
_LENGTH = struct.Struct(">I")


def frame(body: bytes) -> bytes:
    """``body`` with its length in front."""
    return _LENGTH.pack(len(body)) + body


def frame_length(header: bytes) -> int:
    """The body length a 4-byte frame header announces."""
    return _LENGTH.unpack(header)[0]


def batch_body(items: list[tuple[bytes, bytes]]) -> bytes:
    """The body of a ``B`` frame for (proof config bytes, document bytes) pairs."""
    return BATCH + encoded_items(items)


def batch_header(items: list[tuple[bytes, bytes]]) -> bytes:
    """What comes before the items in a ``B`` frame (its length and tag): a large batch can
    then be sent piece by piece (see encoded_items) rather than copied whole."""
    return _LENGTH.pack(len(BATCH) + sum(8 + len(c) + len(d) for c, d in items)) + BATCH


def encoded_items(items: list[tuple[bytes, bytes]]) -> bytes:
    """(proof config bytes, document bytes) pairs, each preceded by its length."""
    parts = []
    for config_bytes, document_bytes in items:
        parts += (_LENGTH.pack(len(config_bytes)), config_bytes, _LENGTH.pack(len(document_bytes)), document_bytes)
    return b"".join(parts)


def batch_items(body: bytes) -> Iterator[tuple[bytes, bytes]]:
    """The pairs of a ``B`` frame's body (after its tag)."""
    at, end = 0, len(body)
    while at < end:
        pair = []
        for _ in range(2):
            length = _LENGTH.unpack_from(body, at)[0]
            at += 4
            pair.append(body[at:at + length])
            at += length
        yield pair[0], pair[1]


def _read_frame(stream: BinaryIO) -> bytes | None:
    """The next frame's body, or None at the end of input."""
    header = stream.read(4)
    if len(header) < 4:
        return None
    body = stream.read(frame_length(header))
    return body if len(body) == frame_length(header) else None


def main() -> int:
    # A ^C reaches the whole process group: the parent decides, and closes our input.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    secret_key = None
    while (body := _read_frame(stdin)) is not None:
        tag, rest = body[:1], body[1:]
        if tag == KEY and len(rest) == 32:
            secret_key = crypto_sign_seed_keypair(rest)[1]
        elif tag == BATCH and secret_key is not None:
            values = [proof_value(secret_key, c, d) for c, d in batch_items(rest)]
            stdout.write(frame(" ".join(values).encode("ascii")))
            stdout.flush()
        else:
            print(f"signing worker: unexpected message {tag!r}", file=sys.stderr)
            return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
