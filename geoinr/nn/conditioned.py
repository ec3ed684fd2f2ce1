"""Space networks conditioned on time: modulated SIREN and Neural Implicit Flow.

Both take the encoded coordinates with the time features in the last
``time_features`` columns, and split them: a network of space whose behaviour is
set, point by point, by a smaller network of time. Everything is batched:
per-sample weights are applied with ``einsum``, never with a Python loop over samples.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from .siren import (TUNER_PERIOD, SineLayer, Siren, TunerMixin, _bounded, _stacked_linear, check_tuner_options,
                    init_tuner_)

__all__ = ["ModulatedSiren", "NIF"]


def _need_time(name, time_features):
    if time_features < 1:
        raise ValueError(
            f"model={name!r} conditions a network of space on time, but the data has no time "
            f"coordinate. Use model='siren' for a purely spatial field."
        )


def _relu_mlp(n_in, n_out, width, depth):
    layers, n = [], n_in
    for _ in range(depth):
        layers += [nn.Linear(n, width), nn.ReLU()]
        n = width
    layers.append(nn.Linear(n, n_out))
    return nn.Sequential(*layers)


class ModulatedSiren(TunerMixin, nn.Module):
    r"""SIREN over space whose hidden layers are modulated by a network of time (FiLM).

    .. math::
        h_1 = \sin(\omega_0 (W_1 x + b_1)),\quad
        h_{i+1} = \sin\!\big(\omega_h\,(a_i(t) \odot (W_{i+1} h_i + b_{i+1}) + s_i(t))\big),\quad
        y = W_{out} h_{d} + b_{out}

    with :math:`(a_i, s_i) = M(t)` produced by a small ReLU network of the time
    encoding. ``modulation="shift"`` keeps :math:`a_i = 1` (shift modulation, as in
    functa); ``"scale_shift"`` learns both (FiLM). The last layer of :math:`M` starts at
    zero, so at initialization the model is a plain SIREN of space, constant in time.

    References: E. Perez et al., "FiLM: Visual Reasoning with a General Conditioning
    Layer", AAAI 2018; I. Mehta et al., "Modulated Periodic Activations for
    Generalizable Local Functional Representations", ICCV 2021; E. Dupont et al.,
    "From data to functa", ICML 2022.

    Parameters
    ----------
    in_features : int
        Space + time features.
    out_features : int
        Outputs (fitted variables).
    time_features : int
        How many trailing columns are time.
    width, depth, w0, w0_hidden
        As in :class:`~geoinr.nn.Siren`.
    mod_width, mod_depth : int
        Size of the modulation network.
    modulation : {"scale_shift", "shift"}
    init, bound, l1, period, bandlimit, low_fraction
        As in :class:`~geoinr.nn.Siren` (``init="tuner"``: TUNER frequencies on the space
        features, bounded hidden weights). The bound holds for the shared weights :math:`W`;
        ``"scale_shift"`` modulation multiplies them by :math:`1 + a_i(t)`.

    Examples
    --------
    >>> net = ModulatedSiren(4, 1, time_features=1, width=16, depth=3)
    >>> net(torch.zeros(5, 4)).shape
    torch.Size([5, 1])
    """

    def __init__(
        self,
        in_features,
        out_features,
        time_features=0,
        width=256,
        depth=3,
        w0=30.0,
        w0_hidden=30.0,
        mod_width=64,
        mod_depth=2,
        modulation="scale_shift",
        init="siren",
        bound=None,
        l1=0.0,
        period=None,
        bandlimit=None,
        low_fraction=None,
    ):
        super().__init__()
        _need_time("modulated_siren", time_features)
        check_tuner_options(init, period, bandlimit, low_fraction=low_fraction)
        if modulation not in ("scale_shift", "shift"):
            raise ValueError(f"modulation must be 'scale_shift' or 'shift', got {modulation!r}")
        if depth < 2:
            raise ValueError("modulated_siren needs depth >= 2 (the first layer is not modulated)")
        self.n_space = in_features - time_features
        self.modulation = modulation
        self.w0_hidden = float(w0_hidden)
        periods = [float(period or TUNER_PERIOD)] * self.n_space
        bound = self._setup_tuner(init, bound, l1, periods, w0, bandlimit, low_fraction)
        self.first = SineLayer(self.n_space, width, w0=w0, is_first=True)
        self.hidden = nn.ModuleList(SineLayer(width, width, w0=w0_hidden, bound=bound) for _ in range(depth - 1))
        per_layer = 2 if modulation == "scale_shift" else 1
        self.mod = _relu_mlp(time_features, per_layer * width * (depth - 1), mod_width, mod_depth)
        with torch.no_grad():
            self.mod[-1].weight.zero_()
            self.mod[-1].bias.zero_()
        self.head = nn.Linear(width, out_features)
        limit = math.sqrt(6.0 / width) / self.w0_hidden
        with torch.no_grad():
            self.head.weight.uniform_(-limit, limit)
        self.width = width
        if init == "tuner":
            init_tuner_(self.first, periods, self.bandlimit, self.low_fraction)

    def _sine_layers(self):
        return self.first, list(self.hidden), self.head

    def forward_stacked(self, params: dict, x: torch.Tensor) -> torch.Tensor:
        """Several members at once, ``(members, n, out)``: this network's layers with ``params``, the members'
        tensors stacked on a leading axis (names as ``named_parameters`` and ``named_buffers``), applied to the
        same inputs ``x``.

        The function of :meth:`forward` member by member, written with batched matrix products (as
        :meth:`geoinr.nn.Siren.forward_stacked`, which :class:`~geoinr.nn.Ensemble` calls instead of ``vmap``).

        Examples
        --------
        >>> from torch.func import stack_module_state
        >>> nets = [ModulatedSiren(4, 1, time_features=1, width=8, depth=3) for _ in range(2)]
        >>> params, buffers = stack_module_state(nets)
        >>> x = torch.rand(5, 4)
        >>> out = nets[0].forward_stacked({**params, **buffers}, x)
        >>> out.shape, bool(torch.allclose(out[1], nets[1](x), atol=1e-6))
        (torch.Size([2, 5, 1]), True)
        """
        members, n = params["head.weight"].shape[0], x.shape[0]

        def linear(name, h, weight=None):  # (members, n, in) -> (members, n, out)
            return _stacked_linear(h, params[f"{name}.weight"] if weight is None else weight, params[f"{name}.bias"])

        xs, xt = x[:, : self.n_space], x[:, self.n_space :]
        mod = [i for i, layer in enumerate(self.mod) if isinstance(layer, nn.Linear)]
        m = xt.expand(members, *xt.shape)
        for k, i in enumerate(mod):
            m = linear(f"mod.{i}", m)
            m = torch.relu(m) if k < len(mod) - 1 else m
        m = m.view(members, n, len(self.hidden), -1)
        w0 = self.first.w0
        w = _bounded(params["first.linear.weight"], self.first.weight_limit) * w0
        h = torch.sin(_stacked_linear(xs.expand(members, *xs.shape), w, params["first.linear.bias"] * w0))
        for i, layer in enumerate(self.hidden):
            pre = linear(f"hidden.{i}.linear", h, _bounded(params[f"hidden.{i}.linear.weight"], layer.weight_limit))
            if self.modulation == "scale_shift":
                pre = (1.0 + m[:, :, i, : self.width]) * pre + m[:, :, i, self.width :]
            else:
                pre = pre + m[:, :, i]
            h = torch.sin(self.w0_hidden * pre)
        return linear("head", h)

    def forward(self, x):
        xs, xt = x[:, : self.n_space], x[:, self.n_space :]
        m = self.mod(xt).view(x.shape[0], len(self.hidden), -1)
        h = self.first(xs)
        for i, layer in enumerate(self.hidden):
            pre = F.linear(h, layer.bounded_weight(), layer.linear.bias)
            if self.modulation == "scale_shift":
                pre = (1.0 + m[:, i, : self.width]) * pre + m[:, i, self.width :]
            else:
                pre = pre + m[:, i]
            h = torch.sin(self.w0_hidden * pre)
        return self.head(h)


class NIF(nn.Module):
    r"""Neural Implicit Flow: a network of time generates the weights of a network of space.

    ParameterNet :math:`P` (a network of the time encoding: a SIREN by default, ``time_net="relu"`` the paper's
    ReLU MLP) ends in a linear
    bottleneck of size :math:`r`; a linear map from the bottleneck gives the
    parameters :math:`\theta(t)` of ShapeNet :math:`S`, a SIREN of space.

    ``variant="full"``: every weight and bias of ShapeNet is generated,

    .. math::
        \theta(t) = A\,P(t) + c,\quad u(x, t) = S(x; \theta(t))

    ``variant="last_layer"``: ShapeNet is an ordinary SIREN with :math:`r` outputs
    :math:`\phi_k(x)`, and time sets only their mixing — a learned, mesh-free POD basis:

    .. math:: u(x, t) = \sum_{k=1}^{r} \phi_k(x)\, w_k(t) + b(t)

    Per-sample weights are applied in one batched ``einsum`` per layer.

    Reference: S. Pan, S. L. Brunton, J. N. Kutz, "Neural Implicit Flow: a
    mesh-agnostic dimensionality reduction paradigm of spatio-temporal data",
    JMLR 24 (2023).

    Parameters
    ----------
    in_features, out_features : int
        Space + time features, and outputs (fitted variables).
    time_features : int
        How many trailing columns are time (ParameterNet's inputs; the others are ShapeNet's).
    width, depth : int
        ShapeNet hidden width and number of hidden layers.
    w0, w0_hidden : float
        ShapeNet SIREN frequencies.
    param_width, param_depth : int
        ParameterNet size.
    rank : int
        Bottleneck size :math:`r` (number of modes for ``last_layer``). 256 since
        2026-12-02 (it was 64): a record of months holds more independent states
        than 64 modes of space mix (the 90-day QG basin at 300 s: mu 0.701 with 64,
        0.780 with 256, linear interpolation 0.706); on four-day real boxes it is
        within the run-to-run spread (benchmarks/RESULTS.md).
    variant : {"last_layer", "full"}
        ``"last_layer"`` (default since 2026-12-01: with a 256 x 3 ShapeNet and 64
        modes, the rank then, it is ahead of linear interpolation on the real-data benchmark, where
        the full hypernetwork, 32 x 2 with rank 16, was behind; benchmarks/RESULTS.md).
    time_net : {"relu", "siren"}
        ParameterNet: a ReLU MLP of time (the paper's), or a SIREN of time with
        ShapeNet's ``w0``, which can follow variations at ``min_period``.
    init : {"siren", "tuner"}
        ShapeNet's initialisation (``variant="last_layer"``: it is a :class:`~geoinr.nn.Siren`
        of space): Sitzmann's, or TUNER's integer frequencies on the space period and bounded
        hidden weights (see :class:`~geoinr.nn.Siren`). The network of time keeps Sitzmann's.
    bound : float, optional
        TUNER's bound of ShapeNet's hidden weights (default :data:`~geoinr.nn.TUNER_BOUND`).
    low_fraction : float, optional
        Share of ShapeNet's first layer in TUNER's dense low set (default
        :data:`~geoinr.nn.siren.TUNER_LOW_FRACTION`).

    Examples
    --------
    >>> net = NIF(4, 1, time_features=1, width=16, depth=2, rank=4)
    >>> net(torch.zeros(5, 4)).shape
    torch.Size([5, 1])
    >>> NIF(4, 2, time_features=1, width=16, depth=2, rank=4, variant="last_layer")(torch.zeros(5, 4)).shape
    torch.Size([5, 2])
    >>> NIF(4, 1, time_features=1, width=16, depth=2, rank=4, w0=4.0, init="tuner").shape_net.init
    'tuner'
    """

    def __init__(
        self,
        in_features,
        out_features,
        time_features=0,
        width=64,
        depth=2,
        w0=30.0,
        w0_hidden=30.0,
        param_width=64,
        param_depth=2,
        rank=256,
        variant="last_layer",
        time_net="siren",
        init="siren",
        bound=None,
        low_fraction=None,
    ):
        super().__init__()
        _need_time("nif", time_features)
        if variant not in ("full", "last_layer"):
            raise ValueError(f"variant must be 'full' or 'last_layer', got {variant!r}")
        check_tuner_options(init, low_fraction=low_fraction)
        if init == "tuner" and variant != "last_layer":
            raise ValueError("NIF(init='tuner') initialises ShapeNet as a TUNER SIREN, which needs "
                             "variant='last_layer'; the 'full' variant generates ShapeNet's weights from time")
        if time_net not in ("relu", "siren"):
            raise ValueError(f"time_net must be 'relu' or 'siren', got {time_net!r}")
        self.variant = variant
        self.n_space = in_features - time_features
        self.out_features = out_features
        self.w0, self.w0_hidden = float(w0), float(w0_hidden)
        if time_net == "siren":
            self.param_net = Siren(time_features, rank, width=param_width, depth=param_depth, w0=w0, w0_hidden=w0_hidden)
        else:
            self.param_net = _relu_mlp(time_features, rank, param_width, param_depth)
        if variant == "last_layer":
            self.shape_net = Siren(self.n_space, rank, width=width, depth=depth, w0=w0, w0_hidden=w0_hidden,
                                   init=init, bound=bound, low_fraction=low_fraction)
            self.mixer = nn.Linear(rank, rank * out_features + out_features)
            with torch.no_grad():
                self.mixer.weight.mul_(0.1)
            self.rank = rank
            return
        # full variant: shapes of every ShapeNet layer, SIREN-initialized means for the generated weights
        dims = [self.n_space] + [width] * depth + [out_features]
        self.shapes = [(dims[i], dims[i + 1]) for i in range(len(dims) - 1)]
        sizes = [a * b + b for a, b in self.shapes]
        self.to_params = nn.Linear(rank, sum(sizes))
        base = []
        for i, (a, b) in enumerate(self.shapes):
            if i == 0:
                bound = 1.0 / a
            else:
                bound = math.sqrt(6.0 / a) / self.w0_hidden
            base.append((torch.rand(a * b) * 2 - 1) * bound)
            base.append((torch.rand(b) * 2 - 1) / math.sqrt(a))
        with torch.no_grad():
            # theta(t) = base + small time-dependent part: starts as one SIREN of space
            self.to_params.bias.copy_(torch.cat(base))
            self.to_params.weight.mul_(0.01)
        self.sizes = sizes

    def forward(self, x):
        xs, xt = x[:, : self.n_space], x[:, self.n_space :]
        z = self.param_net(xt)
        if self.variant == "last_layer":
            phi = self.shape_net(xs)  # (b, r)
            mix = self.mixer(z)
            w = mix[:, : self.rank * self.out_features].view(-1, self.rank, self.out_features)
            return torch.einsum("bk,bko->bo", phi, w) + mix[:, self.rank * self.out_features :]
        theta = self.to_params(z)
        h = xs
        offset = 0
        n_layers = len(self.shapes)
        for i, (a, b) in enumerate(self.shapes):
            w = theta[:, offset : offset + a * b].view(-1, a, b)
            offset += a * b
            bias = theta[:, offset : offset + b]
            offset += b
            h = torch.einsum("bi,bij->bj", h, w) + bias
            if i < n_layers - 1:
                h = torch.sin((self.w0 if i == 0 else self.w0_hidden) * h)
        return h
