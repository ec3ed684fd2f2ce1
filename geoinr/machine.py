"""What this machine can hold: outputs refused before they are computed where they would not fit in memory.

``regrid(1e-4)`` fitted its whole budget, then failed with ``MemoryError: 28.1 GiB``; an eager ``predict`` on a
billion points allocated 4.35 GiB and failed with numpy's bare message (two reviews). :func:`check_memory` says so
before the work starts, with what to do instead. Imports neither torch nor xarray.
"""
from __future__ import annotations

import os

__all__ = ["MEMORY_SHARE", "check_memory", "memory_bytes"]

MEMORY_SHARE = 0.5  # an output may take at most this share of the machine's physical memory


def memory_bytes() -> int | None:
    """The machine's physical memory in bytes, where the OS says (None elsewhere).

    Examples
    --------
    >>> m = memory_bytes()
    >>> m is None or m > 2**20
    True
    """
    try:
        return int(os.sysconf("SC_PHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, ValueError, OSError):
        return None


def check_memory(need: int, what: str, instead: str) -> None:
    """Raise MemoryError where ``need`` bytes are more than :data:`MEMORY_SHARE` of the machine's memory.

    Parameters
    ----------
    need : int
        Bytes the output would take.
    what : str
        What would be made (starts the message).
    instead : str
        What to do instead (ends it).

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
        raise MemoryError(f"{what}: the output would take {need / 2**30:,.1f} GiB, more than half this machine's memory "
                          f"({memory / 2**30:,.1f} GiB). {instead}")
