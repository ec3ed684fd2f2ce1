"""What a user sees of geoinr's messages: where a warning points (the user's line, not geoinr's own), what a message
suggests (a close name), and which progress bar shows.

A warning raised deep in a fit (a coordinate read, a time budget, a calibration) reaches the
user through several of geoinr's frames; a fixed ``stacklevel`` points at one of them as soon as a
call moves. :func:`user_stacklevel` counts the frames instead. This module imports neither torch
nor xarray, so every layer may use it.
"""
from __future__ import annotations

import difflib
import functools
import inspect
import os
import sys

__all__ = ["GeoinrRuntimeWarning", "GeoinrWarning", "did_you_mean", "progress_bar", "refuse_unknown_keywords",
           "user_stacklevel"]

_PACKAGE = os.path.dirname(os.path.abspath(__file__))


class GeoinrWarning(UserWarning):
    """The category of every warning geoinr gives (a subclass of ``UserWarning``), for filters of geoinr's own.

    Warnings point at the user's line (:func:`user_stacklevel`), so ``module="geoinr"`` filters miss them: filter
    by this category instead.

    Examples
    --------
    >>> import warnings, geoinr
    >>> with warnings.catch_warnings():
    ...     warnings.filterwarnings("ignore", category=geoinr.GeoinrWarning)  # geoinr's, not other packages'
    ...     warnings.warn("a note from geoinr", geoinr.GeoinrWarning)
    """


class GeoinrRuntimeWarning(GeoinrWarning, RuntimeWarning):
    """geoinr's warnings of numerical trouble in training (a non-finite loss rolled back): a :class:`GeoinrWarning`
    and a ``RuntimeWarning``."""


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


def did_you_mean(word: str, choices) -> str:
    """`` Did you mean 'x'?`` for the closest of ``choices``, or an empty string.

    Letter case does not count against a choice (``Lx`` finds ``lx``).

    Examples
    --------
    >>> did_you_mean("max_tim", ["max_time", "epochs"])
    " Did you mean 'max_time'?"
    >>> did_you_mean("Lx", ["lx", "ly", "lt"])
    " Did you mean 'lx'?"
    """
    choices = [str(c) for c in choices]
    by_case = {c.lower(): c for c in reversed(choices)}  # the first choice of each lower-cased spelling
    close = difflib.get_close_matches(str(word).lower(), list(by_case), n=1, cutoff=0.7)  # (0.6 offered precision for region=)
    return f" Did you mean {by_case[close[0]]!r}?" if close else ""


def refuse_unknown_keywords(func, kwargs, owner: str | None = None) -> None:
    """Python's ``TypeError`` for a keyword ``func`` does not take, with a "Did you mean" (``variable=`` where it
    takes ``variables=``: Python's own message named none). Call it first in a wrapper of ``func``.

    Examples
    --------
    >>> def fit(data, variables=None): ...
    >>> refuse_unknown_keywords(fit, {"variable": "sla"})
    Traceback (most recent call last):
    ...
    TypeError: fit() got an unexpected keyword argument 'variable'. Did you mean 'variables'?

    ``owner``: the class name, as Python's own message gives it (``INRModel.predict()``).
    """
    params = _keyword_names(func)
    if params is None:
        return
    for key in kwargs:
        if key not in params:
            named = [p for p in params if p != "self"]
            where = f"{owner}.{func.__name__}" if owner else func.__name__
            raise TypeError(f"{where}() got an unexpected keyword argument {key!r}.{did_you_mean(key, named)}")


@functools.lru_cache(maxsize=None)
def _keyword_names(func) -> tuple | None:
    """The names ``func`` takes (None where it takes any keyword): read once, not at every call of a wrapped method."""
    params = inspect.signature(func).parameters
    return None if any(p.kind is p.VAR_KEYWORD for p in params.values()) else tuple(params)


def check_keywords(cls, names) -> None:
    """Wrap the methods ``names`` of ``cls`` in place so that an unknown keyword raises
    :func:`refuse_unknown_keywords`' message (their signature, docs and doctests stay theirs).

    Examples
    --------
    >>> class Mapper:
    ...     def predict(self, target, variable=None):
    ...         return target
    >>> check_keywords(Mapper, ("predict",))
    >>> Mapper().predict(1, variables="sla")
    Traceback (most recent call last):
    ...
    TypeError: Mapper.predict() got an unexpected keyword argument 'variables'. Did you mean 'variable'?
    """
    for name in names:
        method = cls.__dict__[name]

        def checked(self, *args, __method=method, **kwargs):
            refuse_unknown_keywords(__method, kwargs, type(self).__name__)
            return __method(self, *args, **kwargs)

        functools.update_wrapper(checked, method)
        setattr(cls, name, checked)


def progress_bar():
    """tqdm's bar class: the notebook widget where ipywidgets is installed, else the text bar (``tqdm.auto`` without
    ipywidgets warned "IProgress not found" in a notebook's first fit cell: a review).

    Examples
    --------
    >>> progress_bar().__name__
    'tqdm'
    """
    import importlib.util

    if importlib.util.find_spec("ipywidgets") is not None:
        import tqdm.auto

        return tqdm.auto.tqdm
    import tqdm.std

    return tqdm.std.tqdm
