"""How much of this process's CPUs other processes took while a network trained (a fit starved by a busy machine).

A fit on a time budget is only as good as the steps it makes. Two torch processes on the same
cores (a second notebook, a benchmark) slow each other far more than twice (their thread pools
wait on each other): a 30 s fit made 82 steps instead of 1,774 and its map fell from mu 0.870 to
0.693, with nothing to say why. The kernel's CPU counters (``/proc/stat``, Linux) tell it: the busy
time of the CPUs this process may run on, less this process's own, is what the others took.
:func:`start` reads them before a training run and :func:`stop` adds the run to a tally;
:func:`share` is what the others took, as a share of the CPUs' time. On a system without
``/proc/stat`` nothing is measured.
"""
from __future__ import annotations

import os
import time

__all__ = ["BUSY_SHARE", "MIN_SECONDS", "busy_note", "share", "start", "stop"]

BUSY_SHARE = 0.25  # others took this share of the CPUs' time or more: the fit says the machine was busy
MIN_SECONDS = 5.0  # training shorter than this (wall-clock, all runs) is not judged
_BUSY_FIELDS = (0, 1, 2, 5, 6, 7)  # user, nice, system, irq, softirq, steal (steal: taken by the hypervisor)


def _cpus() -> set:
    try:
        return set(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        return set(range(os.cpu_count() or 1))


def _busy_seconds(cpus: set) -> float | None:
    """Busy seconds since boot of ``cpus`` (all processes), from ``/proc/stat``; None where it cannot be read."""
    try:
        with open("/proc/stat") as f:
            lines = [line.split() for line in f if line.startswith("cpu") and line[3:4].isdigit()]
        ticks = sum(sum(int(parts[1 + i]) for i in _BUSY_FIELDS if 1 + i < len(parts))
                    for parts in lines if int(parts[0][3:]) in cpus)
        return ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, AttributeError):
        return None


def start(threads: int | None = None):
    """A reading of the clocks before a training run that uses ``threads`` of the CPUs (all when None): (CPUs,
    threads, their busy seconds, this process's CPU seconds, wall seconds), or None where ``/proc/stat`` cannot be
    read.

    Examples
    --------
    >>> reading = start(threads=1)
    >>> reading is None or (reading[1] == 1 and reading[2] >= 0.0)
    True
    """
    cpus = _cpus()
    busy, own, wall = _read(cpus)
    threads = len(cpus) if threads is None else max(1, min(int(threads), len(cpus)))
    return None if busy is None else (cpus, threads, busy, own, wall)


def _read(cpus: set) -> tuple:
    """(the CPUs' busy seconds, this process's CPU seconds, wall seconds) at one moment: the process and wall clocks
    read on both sides of ``/proc/stat`` and averaged, so that a pause between the reads (a busy machine's
    scheduler) does not count as other processes' time (a 7 ms test fit read 3 % contention on a quiet machine)."""
    own, wall = time.process_time(), time.perf_counter()
    busy = _busy_seconds(cpus)
    return busy, 0.5 * (own + time.process_time()), 0.5 * (wall + time.perf_counter())


def stop(reading, tally: list | None) -> list | None:
    """Add the run since ``reading`` (:func:`start`) to ``tally`` ``[others' CPU seconds on this process's threads'
    share of the CPUs, CPU seconds of that share, wall seconds]``; returns it (None when either is None).

    Examples
    --------
    >>> tally = stop(start(), [0.0, 0.0, 0.0])
    >>> tally is None or (len(tally) == 3 and tally[1] >= 0.0)
    True
    """
    if reading is None or tally is None:
        return None
    cpus, threads, busy0, own0, wall0 = reading
    busy1, own1, wall1 = _read(cpus)
    if busy1 is None:
        return None
    wall = wall1 - wall0
    # what the others took beyond the CPUs this process leaves free (one torch thread on two cores: one is theirs)
    others = (busy1 - busy0) - (own1 - own0) - (len(cpus) - threads) * wall
    return [tally[0] + max(others, 0.0), tally[1] + threads * wall, tally[2] + wall]


def share(tally: list | None) -> float | None:
    """The share of the CPUs' time that other processes took during the runs of ``tally``; None when they were
    shorter than :data:`MIN_SECONDS` or nothing was measured.

    Examples
    --------
    >>> share([3.0, 20.0, 10.0]), share([3.0, 2.0, 1.0]), share(None)
    (0.15, None, None)
    """
    if not tally or tally[2] < MIN_SECONDS or not tally[1] > 0:
        return None
    return min(1.0, tally[0] / tally[1])


def timed_budget(max_time, epochs, stop_reason) -> bool:
    """Whether a fit's budget was of time: ``max_time`` without ``epochs``, or a clock that ended an epochs budget
    (``stop_reason`` "max_time"); a fit of a number of epochs made them all, only later on a busy machine.

    Examples
    --------
    >>> timed_budget(60.0, None, "budget"), timed_budget(60.0, 100, "budget"), timed_budget(60.0, 100, "max_time")
    (True, False, True)
    """
    return max_time is not None and (epochs is None or stop_reason == "max_time")


def busy_note(busy: float | None, timed: bool = True) -> str | None:
    """What a fit whose training others took ``busy`` of the CPUs' time from should say; None below
    :data:`BUSY_SHARE`. ``timed``: the fit had a time budget (``max_time``); one of a number of epochs made them all,
    only later (it was told to fit again "with a longer max_time": a review).

    Examples
    --------
    >>> busy_note(0.1) is None, busy_note(0.5)[:40]
    (True, "other processes took 50 % of the CPUs' t")
    """
    if busy is None or busy < BUSY_SHARE:
        return None
    if not timed:
        return f"other processes took {100 * busy:.0f} % of the CPUs' time while it trained: it took longer than alone"
    return (f"other processes took {100 * busy:.0f} % of the CPUs' time while it trained, so a timed fit made fewer "
            f"steps than alone (two torch processes slow each other far more than twice): fit again on a quiet "
            f"machine, or with a longer max_time")
