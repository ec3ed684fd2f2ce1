"""Coordinate networks as plain torch modules (no xarray here).

:func:`build_network` makes one by name; :data:`NETWORKS` lists the names.
"""
from __future__ import annotations

from torch import nn

from .siren import SineLayer, Siren

__all__ = ["Siren", "SineLayer", "NETWORKS", "build_network"]

#: name -> (class, keyword arguments it takes from INRModel)
NETWORKS = {
    "siren": (Siren, ("width", "depth", "w0", "w0_hidden")),
}


def build_network(name: str, in_features: int, out_features: int, **params) -> nn.Module:
    """Instantiate the network called ``name``.

    Parameters
    ----------
    name : str
        One of :data:`NETWORKS`.
    in_features, out_features : int
    **params
        Hyper-parameters; those the network does not take are ignored.

    Examples
    --------
    >>> build_network("siren", 3, 1, width=8, depth=1)(__import__("torch").zeros(2, 3)).shape
    torch.Size([2, 1])
    """
    if name not in NETWORKS:
        raise ValueError(f"Unknown model {name!r}. Available models: {', '.join(sorted(NETWORKS))}. Pass model='siren'.")
    cls, keys = NETWORKS[name]
    return cls(in_features, out_features, **{k: v for k, v in params.items() if k in keys})
