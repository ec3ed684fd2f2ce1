r"""Derivative jets of a SIREN field carried forward through the network (Taylor mode), for the QG residual.

The quasi-geostrophic residual (:mod:`geoinr.physics.qg`) needs, with respect to the raw
coordinates :math:`(\lambda, \varphi, t)` (degrees, degrees, days), the value of the field,
its three first derivatives, a weighted Laplacian
:math:`\Lambda = f_{\lambda\lambda} + r f_{\varphi\varphi}` (:math:`r` the "lat weight",
:math:`(m_x/m_y)^2` on a tangent plane, one per point on each point's own plane, a constant
there) and the gradient of that Laplacian,
:math:`\partial_c\Lambda`, :math:`c \in \{\lambda, \varphi, t\}`. Nested reverse-mode
autograd gets those by differentiating the graph of the graph of the graph; here they are
carried forward, layer by layer, as *jet streams*: for every hidden unit, the value and the
needed derivatives of that unit with respect to the raw coordinates.

Streams
-------
Twelve streams, stacked on a leading axis ``(12, n, features)`` in this order
(:data:`STREAMS`):

====  =====================================================================
0     value :math:`f`
1-3   first derivatives :math:`f_\lambda, f_\varphi, f_t`
4-8   second derivatives :math:`f_{\lambda\lambda}, f_{\lambda\varphi}, f_{\varphi\varphi},
      f_{\lambda t}, f_{\varphi t}`
9-11  :math:`\partial_c\Lambda = f_{\lambda\lambda c} + r f_{\varphi\varphi c}` for
      :math:`c = \lambda, \varphi, t`
====  =====================================================================

Why twelve. A linear layer maps each stream by the same matrix, so any *fixed linear
combination* of derivatives can travel as one stream: the three third-order quantities
needed are carried already summed (3 streams, not the 6 separate third derivatives
:math:`f_{\lambda\lambda\lambda}, f_{\lambda\varphi\varphi}, f_{\lambda\lambda\varphi},
f_{\varphi\varphi\varphi}, f_{\lambda\lambda t}, f_{\varphi\varphi t}`, nor the 10 of a
full third-order jet in three variables). What the sine non-linearity needs from the
pre-activation :math:`z` to produce :math:`\partial_c\Lambda` of :math:`\sin z` is
(derivation below) :math:`z`, the three :math:`z_c`, :math:`\Lambda(z)`, and the products
:math:`z_{\lambda c} z_\lambda + r z_{\varphi c} z_\varphi` for each :math:`c`; those are
bilinear in second and first derivatives, so the five second derivatives
:math:`z_{\lambda\lambda}, z_{\lambda\varphi}, z_{\varphi\varphi}, z_{\lambda t}, z_{\varphi t}`
must travel separately (:math:`\Lambda(z)` is then their combination, no stream of its own).
:math:`f_{tt}` is never needed. The set is closed: each stream of :math:`\sin z` needs only
streams of :math:`z` in the set. So :math:`1 + 3 + 5 + 3 = 12`, against :math:`1 + 3 + 6 +
10 = 20` for a full third-order Taylor jet. The last hidden layer needs only 8 outputs (its
second-order streams collapse into :math:`\Lambda`), and the output layer is linear.

Each linear layer :math:`z = \omega_0 (W x + b)` is one matmul over all streams
``(12 n, in) @ (in, out)``; the bias enters the value stream only (derivatives of a
constant vanish).

Two ways through the network
----------------------------
:func:`field_jets` (``qg_residual(method="taylor")``) carries all 12 streams forward in one
pass. :func:`field_jets_hybrid` (``method="hybrid"``, the default for SIREN fields) carries
only :math:`f, f_\lambda, f_\varphi, \Lambda` forward (4 streams: the Laplacian of
:math:`\sin z` needs only :math:`z, z_\lambda, z_\varphi, \Lambda(z)`) and gets
:math:`\nabla(\Lambda + v f)` -- all the third-order information the residual needs -- from
one hand-written reverse pass through that forward pass, which yields all three components
at once. Counting matmuls of ``n`` rows through a hidden ``width x width`` layer, with the
parameter gradient costing two per forward matmul: Taylor 12 forward + 24 backward = 36;
hybrid (4 forward + 4 reverse) x 3 = 24; nested autograd about 36 as well (forward 1, first
gradient 1, two second derivatives 2 + 2, gradient of q 6, then x 3). A data step on a batch
of ``4 n`` costs 12, so with ``n`` = batch / 4 the matmul floors of the step-cost ratio are
4 (Taylor) and 3 (hybrid); the measured ratios sit a little above, the rest being
elementwise work (``benchmarks/physics_step.py``). A third, generic candidate,
:func:`field_jets_jvp` (nested :func:`torch.func.jvp`, any network), propagates 8 primal
and tangent combinations per nesting and six nestings: far slower.

Chain rule for the sine (Faa di Bruno to third order)
------------------------------------------------------
With :math:`h = \sin z`, :math:`s = \sin z`, :math:`c = \cos z` and subscripts for
derivatives with respect to raw coordinates :math:`a, b, e`:

.. math::
    h_a &= c\, z_a \\
    h_{ab} &= c\, z_{ab} - s\, z_a z_b \\
    h_{abe} &= c\, z_{abe} - s\,(z_{ab} z_e + z_{ae} z_b + z_{be} z_a) - c\, z_a z_b z_e

(the three-term middle bracket is the partition of :math:`\{a, b, e\}` into a pair and a
singleton; the last term the partition into singletons, :math:`\sin''' = -\cos`). Setting
:math:`a = b` and summing with the weights :math:`(1, r)` over :math:`a \in \{\lambda,
\varphi\}`:

.. math::
    \Lambda(h) &= c\,\Lambda(z) - s\,G, \qquad G = z_\lambda^2 + r z_\varphi^2 \\
    \partial_e\Lambda(h) &= c\,\bigl(\partial_e\Lambda(z) - z_e G\bigr)
        - s\,\bigl(\Lambda(z)\, z_e + 2 S_e\bigr), \qquad
        S_e = z_{\lambda e} z_\lambda + r\, z_{\varphi e} z_\varphi

which is what :func:`sine_jets` evaluates elementwise. Reverse mode through this forward
pass gives the parameter gradient of any loss on the jets.

Encodings
---------
Each encoding provides its own jets (its output streams as functions of the raw
coordinates): ``space.jets(lon, lat)`` and ``time.jets(t)``
(:meth:`geoinr.encoding.SpaceEncoding.jets`, :meth:`geoinr.encoding.TimeEncoding.jets`);
this module never looks at which encoding it is. They are analytic for the sphere and
lon/lat encodings and the linear, tanh, sinusoidal and Fourier time encodings
(``analytic_jets``); other encodings use nested forward mode (:func:`torch.func.jvp`),
which is exact but slow for large encodings (spherical harmonics). The encodings have no
parameters, so their jets need no graph.

Keep all this in float32 or float64: in bf16 the derivatives of a SIREN are off by
percents.
"""
from __future__ import annotations

import math

import torch
from torch import nn

__all__ = [
    "STREAMS",
    "OUTPUT_STREAMS",
    "FieldOutput",
    "supports_taylor",
    "preferred_method",
    "space_jets",
    "time_jets",
    "encoding_jets",
    "sine_jets",
    "siren_jets",
    "field_jets",
    "field_jets_hybrid",
    "field_jets_jvp",
]

#: Names of the 12 jet streams, in order (``lap`` = f_lon_lon + r f_lat_lat).
STREAMS = (
    "f",
    "f_lon",
    "f_lat",
    "f_time",
    "f_lon_lon",
    "f_lon_lat",
    "f_lat_lat",
    "f_lon_time",
    "f_lat_time",
    "lap_lon",
    "lap_lat",
    "lap_time",
)
#: Streams returned by default (the last hidden layer collapses the second order into ``lap``).
OUTPUT_STREAMS = ("f", "f_lon", "f_lat", "f_time", "lap", "lap_lon", "lap_lat", "lap_time")


class FieldOutput(nn.Module):
    """One output of a fitted field as a physical quantity: ``scale * field(raw)[:, index] + offset``.

    Passing this (rather than an opaque function) to :func:`geoinr.physics.qg.qg_residual`
    lets it see the encoding and the network, and carry the derivatives forward through them
    (:func:`field_jets_hybrid`, :func:`field_jets`) when the network is a
    :class:`geoinr.nn.Siren`.

    Parameters
    ----------
    field : nn.Module
        Raw coordinates ``(n, 3)`` -> ``(n, k)``; for the Taylor path it has ``encoding``
        and ``network`` attributes (as the fitted ``INRModel.field_``).
    index : int
        Output column.
    scale, offset : float
        Affine map to physical units.

    Examples
    --------
    >>> import torch
    >>> from geoinr.nn import Siren
    >>> f = FieldOutput(Siren(3, 1, width=8, depth=1), scale=2.0, offset=1.0)
    >>> f(torch.zeros(4, 3)).shape
    torch.Size([4])
    """

    def __init__(self, field: nn.Module, index: int = 0, scale: float = 1.0, offset: float = 0.0):
        super().__init__()
        self.field = field
        self.index, self.scale, self.offset = int(index), float(scale), float(offset)

    def forward(self, raw: torch.Tensor) -> torch.Tensor:
        return self.field(raw)[:, self.index] * self.scale + self.offset


def _unwrap(obj):
    """(encoding, network, index, scale, offset) of a FieldOutput or field, or None if not a SIREN field.

    A field module is taken to compute ``network(encoding(raw))`` when it has a
    :class:`~geoinr.nn.Siren` ``network`` and an ``encoding`` whose ``space`` provides
    ``jets`` (a :class:`~geoinr.encoding.CoordinateEncoding`, as in ``INRModel.field_``);
    a bare :class:`~geoinr.nn.Siren` takes raw inputs.
    """
    from ..nn.siren import Siren

    index, scale, offset = 0, 1.0, 0.0
    if isinstance(obj, FieldOutput):
        index, scale, offset, obj = obj.index, obj.scale, obj.offset, obj.field
    if type(obj) is Siren:
        return None, obj, index, scale, offset
    encoding, network = getattr(obj, "encoding", None), getattr(obj, "network", None)
    if type(network) is Siren and callable(getattr(getattr(encoding, "space", None), "jets", None)):
        return encoding, network, index, scale, offset
    return None


def supports_taylor(obj) -> bool:
    """Whether :func:`field_jets` / :func:`field_jets_hybrid` can propagate jets through ``obj`` (a SIREN field).

    Examples
    --------
    >>> from geoinr.nn import Siren, build_network
    >>> supports_taylor(FieldOutput(Siren(3, 1, width=8, depth=1)))
    True
    >>> supports_taylor(build_network("mlp", 3, 1, width=8, depth=1))
    False
    """
    return _unwrap(obj) is not None


def preferred_method(obj) -> str:
    """``"hybrid"`` for a SIREN field whose space encoding has analytic jets, else ``"autograd"``.

    The encoding says so itself (``encoding.space.analytic_jets``): true for ``"sphere"`` and
    ``"lonlat"``; others (``"spherical_harmonics"``) go through nested :func:`torch.func.jvp`,
    exact but far slower than nested autograd of the whole field, so ``method="auto"`` does
    not pick them. (A time encoding without analytic jets costs one :func:`torch.func.jvp`,
    cheap, so it does not decide.)

    Examples
    --------
    >>> from geoinr.nn import Siren, build_network
    >>> preferred_method(FieldOutput(Siren(3, 1, width=8, depth=1)))
    'hybrid'
    >>> preferred_method(build_network("mlp", 3, 1, width=8, depth=1))
    'autograd'
    """
    parts = _unwrap(obj)
    if parts is None:
        return "autograd"
    encoding = parts[0]
    if encoding is None or getattr(encoding.space, "analytic_jets", False):
        return "hybrid"
    return "autograd"


# ---------------------------------------------------------------- encodings
def space_jets(space: nn.Module, lon: torch.Tensor, lat: torch.Tensor) -> torch.Tensor:
    r"""Jets of a space encoding w.r.t. (lon, lat) in degrees: ``(10, n, features)``.

    Order: value, :math:`\partial_\lambda, \partial_\varphi, \partial_{\lambda\lambda},
    \partial_{\lambda\varphi}, \partial_{\varphi\varphi}, \partial_{\lambda\lambda\lambda},
    \partial_{\lambda\lambda\varphi}, \partial_{\lambda\varphi\varphi},
    \partial_{\varphi\varphi\varphi}`. The encoding computes them
    (:meth:`geoinr.encoding.SpaceEncoding.jets`): analytic where ``space.analytic_jets``,
    nested :func:`torch.func.jvp` otherwise (exact, but seconds per call for spherical
    harmonics of degree 10 or more).
    """
    return space.jets(lon, lat)


def time_jets(time: nn.Module, t: torch.Tensor) -> torch.Tensor:
    """Value and first derivative (per day) of a time encoding: ``(2, n, features)``.

    The encoding computes them (:meth:`geoinr.encoding.TimeEncoding.jets`): analytic for the
    linear, tanh, sinusoidal and Fourier encodings, one forward-mode :func:`torch.func.jvp`
    otherwise. (No time-time derivatives enter the QG residual.)
    """
    return time.jets(t)


def _column(lat_weight, like: torch.Tensor):
    """A per-point ``lat_weight`` (n,) as a column (n, 1) of ``like``'s dtype, to broadcast over features.

    A number, or a column already, is returned as it is (cast).
    """
    if not torch.is_tensor(lat_weight):
        return lat_weight
    r = lat_weight.detach().to(like.dtype)
    return r[:, None] if r.ndim == 1 else r


def _addcmul(a, b, c, value):
    """``a + value * b * c``; ``value`` a number (one fused op) or a tensor that broadcasts."""
    return torch.addcmul(a, b, c, value=value) if not torch.is_tensor(value) else a + value * b * c


def encoding_jets(encoding: nn.Module, raw: torch.Tensor, lat_weight: float | torch.Tensor = 1.0) -> torch.Tensor:
    """The 12 jet streams (:data:`STREAMS`) of a :class:`~geoinr.encoding.CoordinateEncoding` at ``raw``.

    Parameters
    ----------
    encoding : CoordinateEncoding
        With a time encoding (the streams include time derivatives).
    raw : Tensor (n, 3)
        lon (deg), lat (deg), time (days).
    lat_weight : float or Tensor (n,)
        :math:`r` in the Laplacian :math:`f_{\\lambda\\lambda} + r f_{\\varphi\\varphi}` (one per point:
        each point's own tangent plane, a constant there).

    Returns
    -------
    Tensor (12, n, encoding.out_features), no graph (encodings have no parameters).
    """
    if getattr(encoding, "time", None) is None or raw.shape[1] != 3:
        raise ValueError("Taylor jets need a space-time encoding and (n, 3) raw coordinates (lon, lat, time).")
    with torch.no_grad():
        sp = space_jets(encoding.space, raw[:, 0], raw[:, 1])
        tj = time_jets(encoding.time, raw[:, 2])
        n, fs, ft = raw.shape[0], sp.shape[-1], tj.shape[-1]
        out = sp.new_zeros((12, n, fs + ft))
        out[[0, 1, 2, 4, 5, 6], :, :fs] = sp[:6]
        r = _column(lat_weight, sp)
        out[9, :, :fs] = sp[6] + r * sp[8]  # lon: f_lll + r f_lpp
        out[10, :, :fs] = sp[7] + r * sp[9]  # lat: f_llp + r f_ppp
        out[0, :, fs:] = tj[0]
        out[3, :, fs:] = tj[1]
    return out


# ---------------------------------------------------------------- network: 12 streams
def sine_jets(z: torch.Tensor, bias: torch.Tensor, lat_weight: float | torch.Tensor = 1.0,
              last: bool = False) -> torch.Tensor:
    """Jets of ``sin(z + bias)`` from the 12 jet streams of ``z`` (Faa di Bruno to third order, module docstring).

    Parameters
    ----------
    z : Tensor (12, n, k)
        Jet streams of the pre-activation without its bias.
    bias : Tensor (k,)
        Added to the value stream only.
    lat_weight : float or Tensor (n, 1)
        One per point (a column) on per-point tangent planes.
    last : bool
        Return the 8 output streams (:data:`OUTPUT_STREAMS`) instead of 12.

    Returns
    -------
    Tensor (12 or 8, n, k)
    """
    r = lat_weight  # a number, or a column (n, 1): addcmul's value must be a number, so _addcmul
    # unbind, not slicing: the backward of unbind is one stack, that of a slice a zero-filled full tensor
    z0, zl, zp, zt, ll, lp, pp, lt, pt, tl, tp, tt = z.unbind(0)
    z0 = z0 + bias
    s, c = torch.sin(z0), torch.cos(z0)
    lap = ll + r * pp  # Lambda(z)
    g2 = _addcmul(zl * zl, zp, zp, r)  # G
    out = [s, c * zl, c * zp, c * zt]
    if last:
        out.append(torch.addcmul(c * lap, s, g2, value=-1.0))
    else:  # h_ab = c z_ab - s z_a z_b
        for zab, za, zb in ((ll, zl, zl), (lp, zl, zp), (pp, zp, zp), (lt, zl, zt), (pt, zp, zt)):
            out.append(torch.addcmul(c * zab, s, za * zb, value=-1.0))
    for ze, te, z_lon_e, z_lat_e in ((zl, tl, ll, lp), (zp, tp, lp, pp), (zt, tt, lt, pt)):
        # d_e Lambda(h) = c (d_e Lambda(z) - z_e G) - s (Lambda(z) z_e + 2 S_e), S_e = z_{lon e} z_lon + r z_{lat e} z_lat
        inner = _addcmul(torch.addcmul(lap * ze, z_lon_e, zl, value=2.0), z_lat_e, zp, 2.0 * r)
        out.append(torch.addcmul(c * torch.addcmul(te, ze, g2, value=-1.0), s, inner, value=-1.0))
    return torch.stack(out)


def siren_jets(net: nn.Module, x: torch.Tensor, lat_weight: float | torch.Tensor = 1.0, index: int = 0,
               all_streams: bool = False):
    """Propagate input jets ``x`` (12, n, in) through a :class:`~geoinr.nn.Siren`; output ``index``.

    Each layer is one matmul over all streams, ``(12 n, in) @ (in, out)``, then :func:`sine_jets`.

    Returns
    -------
    Tensor (8, n) (:data:`OUTPUT_STREAMS`), or (12, n) (:data:`STREAMS`) with ``all_streams``.
    """
    layers = list(net.body)
    r = _column(lat_weight, x)
    for i, layer in enumerate(layers):
        lin = layer.linear
        z = torch.matmul(x, layer.bounded_weight().t() * layer.w0)  # the weight forward uses (TUNER's bound)
        x = sine_jets(z, lin.bias * layer.w0, r, last=(i == len(layers) - 1) and not all_streams)
    out = torch.matmul(x, net.head.weight[index])
    return torch.stack((out[0] + net.head.bias[index], *out.unbind(0)[1:]))


def _input_jets(encoding, x, lat_weight):
    """12 jet streams of the network input: the encoding's, or the raw coordinates' own (bare SIREN)."""
    if encoding is not None:
        return encoding_jets(encoding, x, lat_weight).to(x.dtype)
    e = x.new_zeros((12,) + x.shape)
    e[0] = x
    e[1:4] = torch.eye(3, dtype=x.dtype, device=x.device)[:, None, :]
    return e


def field_jets(field: nn.Module, raw: torch.Tensor, lat_weight: float | torch.Tensor = 1.0,
               all_streams: bool = False) -> dict:
    """Value and derivatives of a SIREN field (or :class:`FieldOutput`) w.r.t. raw coordinates, one pass.

    Parameters
    ----------
    field : FieldOutput or field module
        See :func:`supports_taylor`.
    raw : Tensor (n, 3)
        lon (deg), lat (deg), time (days).
    lat_weight : float or Tensor (n,)
        :math:`r` in ``lap = f_lon_lon + r f_lat_lat`` (one per point: its own tangent plane).
    all_streams : bool
        Return all :data:`STREAMS` (with the separate second derivatives) rather than
        :data:`OUTPUT_STREAMS`.

    Returns
    -------
    dict of Tensor (n,), in raw units (per degree, per day), differentiable w.r.t. parameters.
    """
    encoding, net, index, scale, offset = _parts(field)
    x = raw.to(net.head.weight.dtype)
    out = siren_jets(net, _input_jets(encoding, x, lat_weight), lat_weight, index, all_streams)
    names = STREAMS if all_streams else OUTPUT_STREAMS
    jets = {k: v * scale for k, v in zip(names, out.unbind(0))}
    jets["f"] = jets["f"] + offset
    if all_streams:
        r = lat_weight.to(jets["f_lat_lat"].dtype) if torch.is_tensor(lat_weight) else lat_weight
        jets["lap"] = jets["f_lon_lon"] + r * jets["f_lat_lat"]
    return jets


def _parts(field):
    parts = _unwrap(field)
    if parts is None:
        raise TypeError(f"Taylor jets need a SIREN field (encoding + geoinr.nn.Siren); got {type(field).__name__}.")
    return parts


# ---------------------------------------------------------------- network: forward Laplacian + reverse gradient
def field_jets_hybrid(field: nn.Module, raw: torch.Tensor, lat_weight: float | torch.Tensor = 1.0,
                      value_weight=0.0) -> dict:
    r"""Forward Laplacian (4 streams) and the gradient of :math:`\Phi = \Lambda + v f` by one reverse pass.

    The cheaper route to the same third derivatives (``benchmarks/physics_step.py``). The
    forward pass carries only :math:`f, f_\lambda, f_\varphi, \Lambda` (the Laplacian
    collapses to one stream: :math:`\Lambda(\sin z) = c\,\Lambda(z) - s\,G`, module docstring).
    :math:`\nabla\Phi` then comes from a hand-written reverse (adjoint) pass through that
    forward pass -- what ``autograd.grad(Phi.sum(), raw)`` would compute, written out so
    that the parameter gradient needs one ordinary backward, not a double backward. With
    bars for the adjoints of the four streams of :math:`h = \sin z` and of :math:`z`:

    .. math::
        \bar z &= c\,(\bar h - \bar\Lambda G) - s\,(\bar h_\lambda z_\lambda
                  + \bar h_\varphi z_\varphi + \bar\Lambda\,\Lambda(z)), \\
        \bar z_\lambda &= c\,\bar h_\lambda - 2 s\,\bar\Lambda z_\lambda,\quad
        \bar z_\varphi = c\,\bar h_\varphi - 2 r s\,\bar\Lambda z_\varphi,\quad
        \overline{\Lambda(z)} = c\,\bar\Lambda

    then :math:`\bar h_{prev} = \bar z\,\omega_0 W` for each stream; at the encoding the
    adjoints meet the encoding's own derivatives (from its 12 streams: the derivatives of
    :math:`e, e_\lambda, e_\varphi, \Lambda(e)` w.r.t. raw coordinate :math:`c` are
    :math:`e_c, e_{\lambda c}, e_{\varphi c}, \partial_c\Lambda(e)`). In the code the latitude
    stream is taken w.r.t. :math:`\varphi/\sqrt r` (unit weights in :math:`\Lambda` and
    :math:`G`) and :math:`-2\bar\Lambda` is carried instead of :math:`\bar\Lambda`: fewer
    elementwise passes, same numbers.

    Cost, in matmuls of ``n`` rows through a hidden layer: 4 forward + 4 reverse, and twice
    that for the parameter gradient (24), against 12 + 24 = 36 for the 12-stream Taylor pass.

    Parameters
    ----------
    field : FieldOutput or field module
        See :func:`supports_taylor`.
    raw : Tensor (n, 3)
    lat_weight : float
        :math:`r` in :math:`\Lambda = f_{\lambda\lambda} + r f_{\varphi\varphi}`.
    value_weight : float or Tensor (n,) or (n, 1)
        :math:`v` in :math:`\Phi`; a tensor gives each point its own :math:`v`, taken as a
        constant there (:math:`\nabla\Phi` then lacks :math:`f\,\nabla v`: the caller adds it).

    Returns
    -------
    dict of Tensor (n,)
        ``f``, ``f_lon``, ``f_lat``, ``lap`` and ``phi_lon``, ``phi_lat``, ``phi_time``
        (:math:`\nabla\Phi`), in raw units, differentiable w.r.t. the parameters.
    """
    encoding, net, index, scale, offset = _parts(field)
    x = raw.to(net.head.weight.dtype)
    r = _column(lat_weight, x)
    sqrt_r = torch.sqrt(r) if torch.is_tensor(r) else math.sqrt(r)
    e = _input_jets(encoding, x, r)
    # the lat stream differentiates w.r.t. lat / sqrt(r): Lambda and G then have unit weights
    h = (e[0], e[1], e[2] * sqrt_r, e[4] + r * e[6])
    layers = list(net.body)
    saved = []
    for layer in layers:
        lin = layer.linear
        w = layer.bounded_weight() * layer.w0  # (out, in): the weight forward uses (TUNER's bound)
        wt = w.t()
        # one matmul per stream: measured faster here than stacking the four (the stack is a copy)
        z0 = torch.addmm(lin.bias * layer.w0, h[0], wt)
        zl, zp, zlap = h[1] @ wt, h[2] @ wt, h[3] @ wt
        s, c = torch.sin(z0), torch.cos(z0)
        g2 = torch.addcmul(zl * zl, zp, zp)  # G
        h = (s, c * zl, c * zp, c * zlap - s * g2)
        saved.append((w, s, c, zl, zp, zlap, g2))
    w_out = net.head.weight[index] * scale
    f, fl, fp, lap = (t @ w_out for t in h)
    # reverse: adjoints a0, al, ap of h, h_lon, h_lat and b = -2 x the adjoint of Lambda(h) (it propagates
    # like the adjoint itself, the map being linear, and saves the factors -2 below); at the head they
    # are constant vectors, and h_lon, h_lat are not read there
    a0, b = _column(value_weight, x) * w_out, -2.0 * w_out
    al = ap = None
    for i in reversed(range(len(layers))):
        w, s, c, zl, zp, zlap, g2 = saved[i]
        sb = s * b
        if al is None:
            d0 = c * torch.addcmul(a0, b, g2, value=0.5) + 0.5 * sb * zlap
            dl, dp = sb * zl, sb * zp
        else:
            d0 = c * torch.addcmul(a0, b, g2, value=0.5) - s * torch.addcmul(al * zl, ap, zp) + 0.5 * sb * zlap
            dl, dp = torch.addcmul(c * al, sb, zl), torch.addcmul(c * ap, sb, zp)
        a0, al, ap, b = d0 @ w, dl @ w, dp @ w, (c * b) @ w
    ap, alap = sqrt_r * ap, -0.5 * b
    grads = [
        (a0 * e[1 + k] + al * e[(4, 5, 7)[k]] + ap * e[(5, 6, 8)[k]] + alap * e[9 + k]).sum(-1) for k in range(3)
    ]
    return {
        "f": f + net.head.bias[index] * scale + offset,
        "f_lon": fl,
        "f_lat": fp / (sqrt_r[:, 0] if torch.is_tensor(sqrt_r) else sqrt_r),
        "lap": lap,
        "phi_lon": grads[0],
        "phi_lat": grads[1],
        "phi_time": grads[2],
    }


def field_jets_jvp(fn, raw: torch.Tensor, lat_weight: float | torch.Tensor = 1.0) -> dict:
    """The :data:`OUTPUT_STREAMS` of any scalar field ``fn`` by nested forward mode (:func:`torch.func.jvp`).

    The second candidate to :func:`field_jets`: generic (any network), exact, but each
    third derivative costs a three-level nesting (8 evaluations' worth of streams). Six
    nestings (lon-lon-c and lat-lat-c for c = lon, lat, time) give everything.

    Returns
    -------
    dict of Tensor (n,), in raw units, differentiable w.r.t. parameters.
    """
    from torch.func import jvp

    n = raw.shape[0]
    eye = torch.eye(3, dtype=raw.dtype, device=raw.device)
    e = [eye[i].expand(n, 3) for i in range(3)]

    def d1(v):
        return lambda x: jvp(fn, (x,), (v,))

    def d2(u, v):
        return lambda x: jvp(d1(v), (x,), (u,))

    out = {}
    lap_c = []
    for c in range(3):
        # jvp along a of (jvp along a of (jvp along c of f)):
        # (((f, f_c), (f_a, f_ac)), ((f_a, f_ac), (f_aa, f_aac)))
        ((f, f_c), (f_l, _)), (_, (f_ll, f_llc)) = jvp(d2(e[0], e[c]), (raw,), (e[0],))
        ((_, _), (f_p, _)), (_, (f_pp, f_ppc)) = jvp(d2(e[1], e[c]), (raw,), (e[1],))
        lap_c.append(f_llc + lat_weight * f_ppc)
        if c == 0:
            out.update(f=f, f_lon=f_l, f_lat=f_p, lap=f_ll + lat_weight * f_pp)
        if c == 2:
            out["f_time"] = f_c
    out["lap_lon"], out["lap_lat"], out["lap_time"] = lap_c
    return {k: out[k] for k in OUTPUT_STREAMS}
