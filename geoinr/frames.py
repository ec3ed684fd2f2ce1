"""Where a warning points: the user's line, not geoinr's own.

A warning raised deep in a fit (a coordinate read, a time budget, a calibration) reaches the
user through several of geoinr's frames; a fixed ``stacklevel`` points at one of them as soon as a
call moves. :func:`user_stacklevel` counts the frames instead. This module imports neither torch
nor xarray, so every layer may use it.
"""
from __future__ import annotations

import os
import sys

__all__ = ["user_stacklevel"]

_PACKAGE = os.path.dirname(os.path.abspath(__file__))


def user_stacklevel() -> int:
    """``stacklevel`` for a warning raised by the caller: the first frame outside the geoinr package.

    Examples
    --------
    >>> import warnings
    >>> from geoinr.frames import user_stacklevel
    >>> def inside():  # a function of the user's own (this file is outside geoinr)
    ...     return user_stacklevel()
    >>> inside()
    1
    """
    frame, level = sys._getframe(1), 1
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(_PACKAGE + os.sep):
        frame, level = frame.f_back, level + 1
    return level
