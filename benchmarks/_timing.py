"""Timing helpers shared by the MLP and compile benchmarks.

The rules they implement: pin one thread for comparisons, time A against B
alternately in one process, and quote medians and ratios. Also a machine
description for the results files, and the peak memory of a snippet run in a child
process.
"""

import os
import platform
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from importlib import metadata
from typing import NamedTuple

import numpy as np

#: The repository root, so child processes import this checkout's skdeep.
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

_limiter = None  # keeps threadpoolctl's limit alive for the whole process


def pin_threads(n: int = 1) -> int:
    """Limit BLAS (numpy's and scipy's OpenBLAS) and Numba to ``n`` threads.

    skdeep pins BLAS to one thread inside ``fit`` itself; scikit-learn does not, so
    without this the comparison would be 1 thread against 2. Returns the number of
    Numba threads now in force.
    """
    global _limiter
    import numba
    import scipy.linalg  # noqa: F401  (load scipy's BLAS so it is limited too)
    from threadpoolctl import threadpool_limits

    _limiter = threadpool_limits(limits=n, user_api="blas")
    numba.set_num_threads(min(n, numba.config.NUMBA_NUM_THREADS))
    return numba.get_num_threads()


def blas_threads() -> list:
    """``(library, num_threads)`` of every loaded BLAS, to print next to results."""
    from threadpoolctl import threadpool_info

    return [
        (info["internal_api"], info["num_threads"])
        for info in threadpool_info()
        if info["user_api"] == "blas"
    ]


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def cpu_model() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        model = re.search(r"^Model name:\s*(.+)$", out, re.M)
        if model:
            family = re.search(r"^CPU family:\s*(\S+)", out, re.M)
            number = re.search(r"^Model:\s*(\S+)", out, re.M)
            name = model.group(1).strip()
            if family and number:
                name += f" (family {family.group(1)}, model {number.group(1)})"
            if re.search(r"\bavx512f\b", out):
                name += ", AVX-512"
            return name
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> dict:
    """CPU, core count and the versions that matter to the numbers."""
    info = {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
    }
    for dist in ("numpy", "scipy", "numba", "scikit-learn", "torch"):
        version = _version(dist)
        if version is not None:
            info[dist] = version
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    if load is not None:
        info["load average (1 min) at start"] = f"{load[0]:.2f}"
    return info


def machine_markdown(info: dict | None = None) -> str:
    info = machine() if info is None else info
    return "\n".join(f"- {key}: {value}" for key, value in info.items())


def alternate(
    runs: dict[str, Callable[[], object]], repeats: int = 5, warmup: int = 1
) -> dict[str, list[float]]:
    """Time each callable of ``runs`` ``repeats`` times, alternating A, B, A, B...

    ``warmup`` untimed rounds run first (compile, caches, page faults). The order
    within a round flips every round so neither side always runs first. Returns the
    wall-clock seconds of every timed run, per name.
    """
    names = list(runs)
    for _ in range(warmup):
        for name in names:
            runs[name]()
    times = {name: [] for name in names}
    for i in range(repeats):
        for name in names if i % 2 == 0 else reversed(names):
            start = time.perf_counter()
            runs[name]()
            times[name].append(time.perf_counter() - start)
    return times


def median(values) -> float:
    return statistics.median(values)


def spread(values) -> str:
    """``median (min-max)`` of seconds, for a table cell."""
    low, high = fmt_seconds(min(values)), fmt_seconds(max(values))
    return f"{fmt_seconds(median(values))} ({low}-{high})"


def fmt_seconds(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds * 1e6:.0f} µs"


def ratio(times: dict[str, list[float]], slow: str, fast: str) -> float:
    """``median(slow) / median(fast)``: above 1 means ``fast`` is faster."""
    return median(times[slow]) / median(times[fast])


def child_env(**extra: str) -> dict:
    """Environment of a child process that imports this checkout's skdeep."""
    env = {**os.environ, **extra}
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    # An installed package's bytecode is compiled (pip does it at install); a
    # shell that forbids writing it would charge every child with compiling
    # skdeep's sources again, which no user pays.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


_FOOTER = """
import resource as _r, sys as _s
_u = _r.getrusage(_r.RUSAGE_SELF)
_s.stdout.write("\\n__CHILD__ %d %r\\n" % (_u.ru_maxrss, _u.ru_utime + _u.ru_stime))
"""


class ChildRun(NamedTuple):
    wall: float  # seconds, interpreter start to exit
    cpu: float  # user + system seconds of the child (robust to a busy machine)
    peak_rss: int  # bytes: the child's own ru_maxrss
    stdout: str


def run_child(
    code: str, env: dict | None = None, python: str = sys.executable
) -> ChildRun:
    """Run ``python -c code`` in a fresh process (of interpreter ``python``) and
    measure it.

    The peak memory and CPU time are the child's own ``getrusage`` figures, so they
    cover the interpreter, its imports and whatever ``code`` allocated.
    """
    start = time.perf_counter()
    proc = subprocess.run(
        [python, "-c", code + _FOOTER],
        env=child_env() if env is None else env,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"child failed ({proc.returncode}):\n{proc.stderr}")
    lines = proc.stdout.splitlines()
    marker = [line for line in lines if line.startswith("__CHILD__")][-1].split()
    rest = "\n".join(line for line in lines if not line.startswith("__CHILD__"))
    return ChildRun(wall, float(marker[2]), int(marker[1]) * 1024, rest.strip())


def peak_memory(code: str, env: dict | None = None) -> int:
    """Peak resident memory in bytes of ``python -c code`` in a child process."""
    return run_child(code, env).peak_rss


def fmt_bytes(n: int) -> str:
    return f"{n / 2**20:.0f} MiB"


def matmul_gflops(shapes, dtype, seconds: float = 0.5) -> float:
    """numpy's matrix-multiply speed, in GFLOP/s, over a list of ``(m, k, n)``
    products done in turn (the mix of shapes an epoch does), for about ``seconds``.

    Operands are preallocated and outputs written in place, so this is the speed of
    the BLAS calls alone: the ceiling a training loop made of the same products can
    reach.
    """
    rng = np.random.default_rng(0)
    ops = [
        (
            rng.standard_normal((m, k)).astype(dtype),
            rng.standard_normal((k, n)).astype(dtype),
            np.empty((m, n), dtype=dtype),
        )
        for m, k, n in shapes
    ]
    flops = sum(2.0 * m * k * n for m, k, n in shapes)
    rounds = []
    deadline = time.perf_counter() + seconds
    while not rounds or time.perf_counter() < deadline:
        start = time.perf_counter()
        for a, b, out in ops:
            np.matmul(a, b, out=out)
        rounds.append(time.perf_counter() - start)
    return flops / median(rounds) / 1e9


def write_results(path: str, title: str, command: str, info: dict, body: str) -> None:
    """Write a results file: title, exact command, machine, then ``body``."""
    text = (
        f"# {title}\n\n"
        f"Command: `{command}`\n\n"
        f"Run on {time.strftime('%Y-%m-%d %H:%M %Z')}:\n\n"
        f"{machine_markdown(info)}\n\n"
        f"{body.rstrip()}\n"
    )
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
