"""geoinr: implicit neural representations of geophysical fields, xarray in and out.

Importing geoinr registers the ``.inr`` accessor on xarray Datasets and DataArrays.
"""
from ._version import __version__
from . import baselines, coords, datasets, metrics
from .model import INRModel
from .model import load
from . import accessor as _accessor  # noqa: F401  (registers .inr)

__all__ = ["INRModel", "load", "baselines", "coords", "datasets", "metrics", "__version__"]
