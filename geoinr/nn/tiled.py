r"""Local networks over tiles of the region, blended by a smooth partition of unity.

A basin-scale record holds many more eddies than one network fits well in a few
minutes. Like the tiled analyses of DUACS, :class:`Tiled` gives each tile of the
region its own network and blends neighbours where the tiles overlap:

.. math::  f(x) = \sum_k w_k(x)\, f_k(x), \qquad \sum_k w_k(x) = 1,\ w_k \ge 0,

where the weights :math:`w_k` are products of one-dimensional weights along two
axes of the space features. Along one axis with :math:`n` tiles (tile :math:`i`
spans :math:`[i, i+1]` in tile units), tile :math:`i` has
:math:`w_i(u) = S_i(u) - S_{i+1}(u)`, with :math:`S_0 = 1`, :math:`S_n = 0` and
:math:`S_k(u) = \sigma((u - k + d) / 2d)` a step from 0 to 1 across the boundary
:math:`k` over the overlap :math:`2d`: :math:`\sigma(t) = g(t) / (g(t) + g(1 - t))`,
:math:`g(t) = e^{-1/t}` (:math:`g = 0` for :math:`t \le 0`). The sum telescopes to 1
exactly and :math:`\sigma` has every derivative, so the blended field is as smooth
as its members: velocities, vorticity and physics residuals go through it. Outside
the data the edge tiles carry on alone.

Each point is evaluated only by the tiles whose weight is not zero there (at most
four): the members are stacked (:func:`torch.func.stack_module_state`) and applied
with :func:`torch.func.vmap` to their own rows of the batch, so a step costs about
``1 + overlap`` per axis times a single network of the same width, not ``n`` times.

The axes are the two principal axes of the training points' space features
(:meth:`Tiled.set_frame`), stored as buffers with the weights.
"""
from __future__ import annotations

import math

import torch
from torch.func import functional_call, vmap

from .ensemble import Ensemble

__all__ = ["Tiled", "smooth_step", "partition_weights", "DEFAULT_OVERLAP"]

#: width of the blend across each tile boundary, as a fraction of a tile
DEFAULT_OVERLAP = 0.5
_TINY = 1e-2  # smooth_step: below this argument g(t) = exp(-1/t) < 4e-44, taken as 0 (keeps gradients finite)


def smooth_step(t: torch.Tensor) -> torch.Tensor:
    r"""A step from 0 (``t <= 0``) to 1 (``t >= 1``) with every derivative continuous.

    :math:`\sigma(t) = g(t) / (g(t) + g(1 - t))`, :math:`g(t) = e^{-1/t}` for :math:`t > 0`, else 0.

    Examples
    --------
    >>> smooth_step(torch.tensor([-1.0, 0.0, 0.5, 1.0, 2.0])).tolist()
    [0.0, 0.0, 0.5, 1.0, 1.0]
    """
    t = t.clamp(0.0, 1.0)

    def g(s):
        return torch.where(s > _TINY, torch.exp(-1.0 / s.clamp_min(_TINY)), torch.zeros_like(s))

    a, b = g(t), g(1.0 - t)
    return a / (a + b)


def partition_weights(u: torch.Tensor, n: int, overlap: float = DEFAULT_OVERLAP) -> torch.Tensor:
    """Weights ``(len(u), n)`` of ``n`` tiles along one axis at positions ``u`` in tile units.

    Tile ``i`` spans ``[i, i + 1]``; across each inner boundary the weight passes from one
    tile to the next over ``overlap`` tile units. Rows sum to 1; each row has one or two
    non-zero weights.

    Examples
    --------
    >>> w = partition_weights(torch.tensor([0.2, 1.0, 2.9]), 3)
    >>> w.sum(1).tolist(), (w > 0).sum(1).tolist()
    ([1.0, 1.0, 1.0], [1, 2, 1])
    """
    if n == 1:
        return torch.ones_like(u)[:, None]
    half = overlap / 2
    steps = [torch.ones_like(u)]
    steps += [smooth_step((u - k + half) / overlap) for k in range(1, n)]
    steps.append(torch.zeros_like(u))
    s = torch.stack(steps, dim=1)  # (b, n + 1)
    return s[:, :-1] - s[:, 1:]


class Tiled(Ensemble):
    r"""One network per tile of the region, blended smoothly (see the module's description).

    Parameters
    ----------
    members : list of torch.nn.Module
        ``tiles[0] * tiles[1]`` networks of one architecture (the first axis varies slowest).
    tiles : tuple of int
        Tiles along the first and second principal axis of the space features.
    space_features : int
        The leading columns of the input that encode space (the rest encode time).
    overlap : float
        Width of the blend across a boundary, in tiles (0 < overlap <= 1).

    Examples
    --------
    >>> from geoinr.nn import Siren
    >>> net = Tiled([Siren(4, 1, width=8, depth=2) for _ in range(4)], tiles=(2, 2), space_features=3)
    >>> x = torch.rand(100, 4) * 2 - 1
    >>> net.set_frame(x)
    >>> net(x).shape
    torch.Size([100, 1])
    """

    def __init__(self, members, tiles=(3, 3), space_features: int = 3, overlap: float = DEFAULT_OVERLAP):
        members = list(members)
        tiles = tuple(int(n) for n in tiles)
        if len(tiles) != 2 or min(tiles) < 1 or math.prod(tiles) != len(members):
            raise ValueError(f"tiles={tiles} needs two positive counts whose product is the {len(members)} members.")
        if not 0.0 < overlap <= 1.0:
            raise ValueError(f"overlap must be in (0, 1] (a fraction of a tile), got {overlap!r}.")
        if space_features < 2:
            raise ValueError(f"tiles need at least two space features, got {space_features}.")
        super().__init__(members)
        self.tiles = tiles
        self.space_features = int(space_features)
        self.overlap = float(overlap)
        self.register_buffer("axes", torch.eye(self.space_features)[:, :2].clone())  # (space features, 2)
        self.register_buffer("lower", torch.full((2,), -1.0))  # the data's extent along the axes
        self.register_buffer("upper", torch.full((2,), 1.0))

    @torch.no_grad()
    def set_frame(self, features: torch.Tensor) -> None:
        """Axes and extent of the tiles from the (encoded) training points ``features`` ``(n, in)``."""
        s = features[:, : self.space_features].double()
        centred = s - s.mean(0)
        _, _, vh = torch.linalg.svd(centred, full_matrices=False)
        axes = vh[:2].T  # principal axes, longest first
        signs = torch.sign(axes.gather(0, axes.abs().argmax(0, keepdim=True)))  # a sign that does not depend on the SVD
        axes = axes * torch.where(signs == 0, torch.ones_like(signs), signs)
        p = s @ axes
        self.axes.copy_(axes.float())
        self.lower.copy_(p.min(0).values.float())
        self.upper.copy_(torch.maximum(p.max(0).values, p.min(0).values + 1e-6).float())

    def weights(self, x: torch.Tensor) -> torch.Tensor:
        """Blend weights ``(len(x), n_members)``; rows sum to 1."""
        p = x[:, : self.space_features].float() @ self.axes
        u = (p - self.lower) / (self.upper - self.lower) * torch.tensor(self.tiles, dtype=p.dtype, device=p.device)
        w0 = partition_weights(u[:, 0], self.tiles[0], self.overlap)
        w1 = partition_weights(u[:, 1], self.tiles[1], self.overlap)
        return (w0[:, :, None] * w1[:, None, :]).reshape(len(x), -1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        w = self.weights(x)  # (b, k)
        active = w.detach() > 0
        rows = int(active.sum(0).max())
        # each member's rows first (stable: in batch order), then cut to the busiest member's count
        idx = torch.argsort((~active).to(torch.int8), dim=0, stable=True)[:rows].T  # (k, rows)
        wk = torch.gather(w.T, 1, idx)  # zero on the padding rows
        params = dict(zip(self.param_names, self.stacked))
        buffers = {k: getattr(self, f"stacked_buffer_{i}") for i, k in enumerate(self.buffer_names)}

        def one(p, b, inp):
            return functional_call(self._base, (p, b), (inp,))

        out = vmap(one, in_dims=(0, 0, 0))(params, buffers, x[idx])  # (k, rows, out)
        blended = (out * wk[..., None]).reshape(-1, out.shape[-1])
        return torch.zeros(len(x), out.shape[-1], dtype=blended.dtype, device=x.device).index_add(0, idx.reshape(-1), blended)
