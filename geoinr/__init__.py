"""geoinr: implicit neural representations of geophysical fields, xarray in and out.

Importing geoinr registers the ``.inr`` accessor on xarray Datasets and DataArrays.
It does not import torch: :class:`INRModel`, :func:`load` and the modules that train or
evaluate networks are imported when first used (the first ``.inr.fit``, ``geoinr.INRModel``,
``geoinr.load``), so that the baselines, metrics and built-in datasets load in about
half the time.
"""
from importlib import import_module as _import_module
from importlib.util import find_spec as _find_spec

from ._version import __version__
from . import baselines, coords, datasets, metrics
from .base import NotFittedError
from .frames import GeoinrRuntimeWarning, GeoinrWarning, did_you_mean as _did_you_mean
from . import accessor as _accessor  # noqa: F401  (registers .inr)

__all__ = ["INRModel", "load", "NotFittedError", "GeoinrWarning", "GeoinrRuntimeWarning", "baselines", "coords",
           "datasets", "metrics", "__version__"]

_FROM_MODEL = ("INRModel", "load")  # imported from geoinr.model on first use (torch with them)
# the submodules the README documents, imported on first use: named by dir() (Jupyter's completion) before then
_DOCUMENTED = ("plot", "physics", "nn", "uncertainty", "osse", "io", "training", "encoding", "scales")


def __getattr__(name: str):
    """``geoinr.INRModel`` and ``geoinr.load`` on first use; any submodule (``geoinr.physics``) by its name."""
    if name in _FROM_MODEL:
        value = getattr(_import_module(".model", __name__), name)
    elif not name.startswith("_") and _find_spec(f"{__name__}.{name}") is not None:
        value = _import_module(f".{name}", __name__)
    else:
        home = next((m for m in (baselines, metrics, datasets, coords) if name in getattr(m, "__all__", ())), None)
        close = _did_you_mean(name, __all__ + list(_DOCUMENTED))
        hint = f"; it is {home.__name__}.{name}" if home is not None else (f".{close}" if close else "")
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}{hint}")
    globals()[name] = value
    return value


def __dir__():
    return sorted({n for n in globals() if not n.startswith("_") or n.startswith("__")} | set(_FROM_MODEL)
                  | set(_DOCUMENTED))
