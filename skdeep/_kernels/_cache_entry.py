"""One cache entry on disk: a file whose bytes are verified before they are used.

An entry is one file: ``MAGIC`` (8 bytes), a blake2b digest (32 bytes) of the
rest, and three pickles: the entry's stamp (a tuple of strings: Numba's and
llvmlite's versions and the digests of the sources it was compiled from), its key
(the signature, the target CPU, digests of the function's bytecode and closure)
and the payload (Numba's reduced ``CompileResult``: machine code and the
description needed to call it).

Bytes that do not match their digest (a truncated file, a flipped bit, a file of
another format) raise :class:`DamagedEntry` before anything is unpickled, so
neither pickle, nor LLVM, nor the object-code loader ever see them (a flipped bit
in machine code crashed the process). An entry whose stamp or key differ from
the ones asked for is stale (other sources, another Numba or llvmlite, or another
signature that shares its file name) and reads as missing. A file is written
under a temporary name and renamed over the old one, so a reader sees either
file whole.
"""

import hashlib
import io
import os
import pickle
import uuid

from numba.core.serialize import dumps

#: The first bytes of an entry file (the last one numbers the format).
MAGIC = b"SKDEEPK\x01"
_DIGEST_SIZE = 32


class DamagedEntry(Exception):
    """The bytes of a cache entry are not the bytes that were written."""


def read_entry(path: str, stamp: tuple, key: tuple):
    """The payload of the entry at ``path``, or None if it is missing or stale.

    Raises
    ------
    DamagedEntry
        If the file's bytes do not match their digest.
    """
    try:
        with open(path, "rb") as file:
            data = file.read()
    except FileNotFoundError:
        return None
    start = len(MAGIC) + _DIGEST_SIZE
    body = memoryview(data)[start:]
    if data[: len(MAGIC)] != MAGIC or _digest(body) != data[len(MAGIC) : start]:
        raise DamagedEntry(f"{len(data)} bytes that do not match their checksum")
    stream = io.BytesIO(body)
    if pickle.load(stream) != stamp or pickle.load(stream) != key:
        return None
    return pickle.load(stream)


def write_entry(path: str, stamp: tuple, key: tuple, payload) -> None:
    """Write (or replace) the entry at ``path`` in one rename."""
    body = dumps(stamp) + dumps(key) + dumps(payload)
    temporary = f"{path}.tmp.{uuid.uuid4().hex[:16]}"
    try:
        with open(temporary, "wb") as file:
            file.write(MAGIC + _digest(body) + body)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def _digest(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=_DIGEST_SIZE).digest()
