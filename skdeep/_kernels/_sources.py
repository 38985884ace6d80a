"""What a compiled kernel is keyed on besides its own code: the kernel sources.

Numba keys a cached function on its own source file only, so a kernel kept its
machine code when a constant in another module (``codes.py``) or a kernel it calls
changed, and after an upgrade installed other sources. skdeep keys every cache
entry on :func:`sources_key` too: a digest of skdeep's version and of every
``*.py`` file under ``skdeep/_kernels/`` (subpackages included), each with its
path relative to that directory. Decorator options (``fastmath``, ``parallel``)
are written in that text, so they are covered as well; so is ``_jit.py``, whose
``kernel`` sets the options most kernels share.

Both functions read files once per process, on the first cache lookup of a kernel
(never at import), and remember the result: a process keeps the key of the
sources it imported.
"""

import functools
import hashlib
import os

from skdeep._version import __version__

#: The directory whose Python files every kernel is keyed on.
KERNELS_DIR = os.path.dirname(os.path.abspath(__file__))


@functools.cache
def file_digest(path: str) -> str:
    """Digest of the bytes of the file at ``path``."""
    with open(path, "rb") as file:
        return hashlib.blake2b(file.read(), digest_size=16).hexdigest()


@functools.cache
def sources_key() -> str:
    """Digest of skdeep's version and of every ``*.py`` under ``KERNELS_DIR``."""
    relatives = []
    for directory, subdirs, names in os.walk(KERNELS_DIR):
        subdirs[:] = [name for name in subdirs if name != "__pycache__"]
        relatives.extend(
            os.path.relpath(os.path.join(directory, name), KERNELS_DIR)
            for name in names
            if name.endswith(".py")
        )
    digest = hashlib.blake2b(__version__.encode(), digest_size=16)
    for relative in sorted(relatives):
        path = os.path.join(KERNELS_DIR, relative)
        digest.update(f"\0{relative}\0{file_digest(path)}".encode())
    return digest.hexdigest()
