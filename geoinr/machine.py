"""What this machine can hold: outputs refused before they are computed where they would not fit in memory.

``regrid(1e-4)`` fitted its whole budget, then failed with ``MemoryError: 28.1 GiB``; an eager ``predict`` on a
billion points allocated 4.35 GiB and failed with numpy's bare message (two reviews). :func:`check_memory` says so
before the work starts, with what to do instead. Imports neither torch nor xarray.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

__all__ = ["MEMORY_SHARE", "check_memory", "memory_bytes", "peak_rss_mib"]

MEMORY_SHARE = 0.5  # an output (or an in-memory fit) may take at most this share of the memory this process may use
CGROUP_ROOT = Path("/sys/fs/cgroup")  # Linux control groups: a container's or a job's memory limit


def memory_bytes() -> int | None:
    """The memory this process may use, in bytes: the machine's physical memory, or a smaller limit of its
    Linux control group (a container's, a Kubernetes pod's, a batch job's); None where the OS says neither.

    Examples
    --------
    >>> m = memory_bytes()
    >>> m is None or m > 2**20
    True
    """
    try:
        physical = int(os.sysconf("SC_PHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, ValueError, OSError):  # Windows has no sysconf: psutil where installed (Jupyter's
        physical = _psutil_memory()  # ipykernel brings it), else None and the memory check is off
    limits = [limit for limit in (physical, _cgroup_limit()) if limit]
    return min(limits) if limits else None


def peak_rss_mib() -> float:
    """This process's peak resident memory in MiB (the benchmarks' and tests' measure); NaN where the OS gives none.

    ``ru_maxrss`` is in KiB on Linux and in bytes on macOS; Windows has no ``resource`` module.

    Examples
    --------
    >>> import math
    >>> m = peak_rss_mib()
    >>> math.isnan(m) or m > 1.0
    True
    """
    try:
        import resource
    except ImportError:
        return float("nan")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (2**20 if sys.platform == "darwin" else 1024.0)


def _psutil_memory() -> int | None:
    """The machine's physical memory from psutil, None without it."""
    try:
        import psutil
    except ImportError:
        return None
    try:
        return int(psutil.virtual_memory().total)
    except Exception:  # noqa: BLE001 (any failure of an optional probe: no answer)
        return None


def _cgroup_limit(root: Path | None = None) -> int | None:
    """The smallest memory limit of this process's control group and its parents, in bytes (cgroup v2's
    ``memory.max``, v1's ``memory.limit_in_bytes``); None where there is none, or no cgroup filesystem."""
    root = CGROUP_ROOT if root is None else root
    candidates = [root / "memory.max", root / "memory" / "memory.limit_in_bytes"]
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        lines = []
    for line in lines:  # "0::/user.slice/job.scope" (v2) or "4:memory:/docker/abc" (v1)
        _, controllers, path = line.split(":", 2)
        base = root if controllers == "" else root / "memory" if "memory" in controllers.split(",") else None
        if base is not None:
            here = base / path.lstrip("/")
            name = "memory.max" if controllers == "" else "memory.limit_in_bytes"
            while here != base and base in here.parents:
                candidates.append(here / name)
                here = here.parent
    limits = []
    for file in candidates:
        try:
            text = file.read_text().strip()
        except OSError:
            continue
        if text.isdigit() and int(text) < 2**60:  # "max" (v2) or a page-rounded 2**63 (v1): no limit
            limits.append(int(text))
    return min(limits) if limits else None


def check_memory(need: int, what: str, instead: str, made: str = "the output") -> None:
    """Raise MemoryError where ``need`` bytes are more than :data:`MEMORY_SHARE` of the machine's memory.

    Parameters
    ----------
    need : int
        Bytes the output would take.
    what : str
        What would be made (starts the message).
    instead : str
        What to do instead (ends it).
    made : str
        What takes the memory (``"the output"``, ``"the fit"``).

    Examples
    --------
    >>> check_memory(1024, "predict(...)", "nothing")  # a kilobyte fits anywhere
    >>> try:
    ...     check_memory(2**70, "predict(...)", "Predict lazily: chunks='auto'.")
    ... except MemoryError as err:
    ...     print(str(err).split(":")[0])
    predict(...)
    """
    memory = memory_bytes()
    if memory is not None and need > MEMORY_SHARE * memory:
        raise MemoryError(f"{what}: {made} would take {need / 2**30:,.1f} GiB, more than half the memory this "
                          f"process may use ({memory / 2**30:,.1f} GiB). {instead}")
