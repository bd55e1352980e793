"""Entry bodies at rest: zstd compression with a dictionary trained on the node's own entries.

Entries of one node repeat themselves: the same inline JSON-LD context (twice in a signed
contribution, once in the document and once in its proof), the same URLs, the same keys.
A general-purpose compressor sees one entry at a time and cannot learn that; a dictionary
trained on a sample of the log can, and brings a 3.1 KB contribution to about 0.2 KB.

Only the stored form changes: the bytes that are served, hashed and verified are the
decompressed ones, identical to what was signed. A dictionary is known by a key derived
from its contents, so a cached (de)compressor can never be paired with another dictionary.
"""

import hashlib
import threading
from typing import Callable, Sequence

import zstandard

DICTIONARY_SIZE = 16 * 1024  # larger dictionaries measured no smaller on real logs
LEVEL = 3  # level 9 saves 3 % more for five times the time; appends pay the time
# zstd's trainer searches segment sizes (k) and lengths (d) when given none: four times
# the time of one fixed pair, and on these logs no smaller than k=4096, d=8.
TRAINING = {"k": 4096, "d": 8}
SAMPLES = 1000  # the newest entries a dictionary is trained on (2,000 took twice as long, no smaller)
FIRST_TRAINING = 1000  # a log trains its first dictionary when it reaches this size...
GROWTH = 10  # ...and a fresh one each time it grows tenfold, as its entries change


class Damaged(Exception):
    """Stored bytes that do not decompress: the database was damaged or edited."""


class TrainingFailed(Exception):
    """zstd could not make a dictionary of these samples (too few or too alike)."""


def train(samples: Sequence[bytes]) -> bytes:
    """A dictionary trained on `samples` (entry bodies)."""
    try:
        return zstandard.train_dictionary(DICTIONARY_SIZE, list(samples), **TRAINING).as_bytes()
    except zstandard.ZstdError as e:
        raise TrainingFailed(str(e)) from e


def dictionary_key(dictionary: bytes) -> int:
    """The key a dictionary is stored and cited under: 63 bits of its SHA-256."""
    return int.from_bytes(hashlib.sha256(dictionary).digest()[:8], "big") >> 1


def due_for_training(size_before: int, size_after: int) -> bool:
    """Whether appending moves the log past a size at which a dictionary is trained."""
    threshold = FIRST_TRAINING
    while threshold <= size_after:
        if size_before < threshold:
            return True
        threshold *= GROWTH
    return False


# zstd (de)compressor objects must not be shared between threads (the server reads from
# several), so each thread keeps its own, per dictionary key.
_local = threading.local()


def _cache() -> dict:
    cache = getattr(_local, "cache", None)
    if cache is None:
        cache = _local.cache = {}
    return cache


def compress(key: int, load: Callable[[int], bytes], body: bytes) -> bytes:
    """`body` compressed with the dictionary stored under `key`; `load(key)` gives the
    dictionary when it is not cached."""
    return _compressor(key, load).compress(body)


def compress_all(key: int, load: Callable[[int], bytes], bodies: Sequence[bytes]) -> list[bytes]:
    """Each of `bodies` compressed as `compress` does, with one compressor lookup for all."""
    compress_one = _compressor(key, load).compress
    return [compress_one(body) for body in bodies]


def _compressor(key: int, load: Callable[[int], bytes]) -> zstandard.ZstdCompressor:
    cache = _cache()
    compressor = cache.get(("c", key))
    if compressor is None:
        compressor = cache[("c", key)] = zstandard.ZstdCompressor(
            level=LEVEL, dict_data=zstandard.ZstdCompressionDict(load(key)),
            write_checksum=False, write_dict_id=False,  # the row cites the dictionary
        )
    return compressor


def decompressor(key: int, load: Callable[[int], bytes]) -> Callable[[bytes], bytes]:
    """This thread's decompressing function for the dictionary stored under `key` (one
    zstd decompressor per dictionary, kept and reused); it raises ``zstandard.ZstdError``
    on damaged bytes (see :func:`decompress` for the checked form)."""
    cache = _cache()
    found = cache.get(("d", key))
    if found is None:
        found = cache[("d", key)] = zstandard.ZstdDecompressor(
            dict_data=zstandard.ZstdCompressionDict(load(key))
        )
    return found.decompress


def decompress(key: int, load: Callable[[int], bytes], stored: bytes) -> bytes:
    """The body `stored` holds; `load(key)` gives the dictionary when it is not cached."""
    try:
        return decompressor(key, load)(stored)
    except zstandard.ZstdError as e:
        raise Damaged(str(e)) from e


def decompress_many(key: int, load: Callable[[int], bytes], stored: Sequence[bytes]) -> list[bytes]:
    """The bodies a batch of stored bytes (all of dictionary `key`) holds, in order: one
    lookup of the decompressor for the batch, the cheap way to read a large log; Damaged
    when any of them does not decompress."""
    unpack = decompressor(key, load)
    out = []
    append = out.append
    try:
        for item in stored:
            append(unpack(item))
    except zstandard.ZstdError as e:
        raise Damaged(str(e)) from e
    return out
