"""SIREN: sinusoidal representation network (Sitzmann et al., NeurIPS 2020), with the TUNER option.

``init="tuner"`` (Novello, Aldana, Araujo, Velho, "Tuning the Frequencies: Robust
Training for Sinusoidal Neural Networks", CVPR 2025, arXiv:2407.21121) puts the first
layer's frequencies on an integer lattice and bounds the hidden weights; see
:func:`tuner_frequencies` and :class:`Siren`.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["SineLayer", "Siren", "TunerMixin", "tuner_frequencies", "init_tuner_", "shrink_columns_",
           "check_tuner_options", "INITS", "TUNER_BOUND", "TUNER_PERIOD",
           "TUNER_TIME_PERIOD", "TUNER_BANDLIMIT_FACTOR", "TUNER_LOW_FRACTION"]

#: first-layer initializations of the SIREN models
INITS = ("siren", "tuner")
#: TUNER: bound c of the hidden weights, :math:`|\omega_h W|_\infty \le c`
TUNER_BOUND = 1.0
#: TUNER: period (encoded units) of the space features. The space encodings map the region onto
#: [-1, 1]; a period of twice that span leaves as much room outside the region as inside, so the
#: periodic extension does not tie opposite edges of the region together
TUNER_PERIOD = 4.0
#: TUNER: period (encoded units) of the time features. The linear time encoding has no fixed span
#: (about +-(window / 2) x 10 km/day / region half-size), so time gets a long period; a window
#: should stay below half of it, 32 units (~ 5 years for a 10-degree box, ~ 50 for the globe)
TUNER_TIME_PERIOD = 64.0
#: TUNER: bandlimit of the first layer = this x ``w0``. ``w0`` defaults to ``bandwidth / 8``
#: (geoinr.nn.SIREN_BANDWIDTH_FACTOR): the first layer spans the scale of a default SIREN's ``w0``
#: and the hidden layers generate the harmonics up to ``min_wavelength``. Factors 2 and 3 fitted
#: the synthetic tracks worse at the default size (mu 0.827 and 0.769 against 0.878, 400 epochs)
TUNER_BANDLIMIT_FACTOR = 1.0
#: TUNER: share of the first-layer neurons given to the dense low-frequency set (the rest spread up to the
#: bandlimit). 0.25 since 2026-12-04 (it was 0.5): on the three-month records of benchmarks/real_ssh.py
#: (300 s, the SIREN; eleven runs on seven records and the QG basin) lambda_x 15-36 km shorter on three runs,
#: within 2 km on the rest; mu 0.001 behind to 0.005 ahead (benchmarks/RESULTS.md, 2026-12-04, fourth session)
TUNER_LOW_FRACTION = 0.25


def _bounded(w: torch.Tensor, limit: float | None) -> torch.Tensor:
    """``w`` clamped to ``[-limit, limit]`` in the forward pass with gradients passed straight through (TUNER's
    bound, :meth:`SineLayer.bounded_weight`); ``w`` itself without a limit."""
    return w if limit is None else w + (w.clamp(-limit, limit) - w).detach()


def _stacked_linear(h: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """Each member's linear layer on its own inputs: ``h`` (members, n, in), ``weight`` (members, out, in), ``bias``
    (members, out) -> (members, n, out), one batched matrix product."""
    return torch.baddbmm(bias.unsqueeze(1), h, weight.transpose(1, 2))


class SineLayer(nn.Module):
    r"""Linear layer followed by :math:`\sin(\omega_0 (W x + b))`.

    Initialization (Sitzmann et al. 2020, sec. 3.2): the first layer draws
    :math:`W \sim U(-1/n, 1/n)`; later layers :math:`U(-\sqrt{6/n}/\omega_0, \sqrt{6/n}/\omega_0)`,
    with :math:`n` the number of inputs, so that pre-activations stay
    arcsine-distributed through depth.

    Parameters
    ----------
    in_features, out_features : int
    w0 : float
        :math:`\omega_0`.
    is_first : bool
        First-layer initialization.
    bound : float, optional
        Bound :math:`c` of the effective weights, :math:`|\omega_0 W|_\infty \le c`: the forward
        pass uses the clamped weights and :meth:`project_` clamps the stored ones (TUNER).
    """

    def __init__(self, in_features: int, out_features: int, w0: float = 30.0, is_first: bool = False,
                 bound: float | None = None):
        super().__init__()
        self.w0 = float(w0)
        self.bound = None if bound is None else float(bound)
        self.linear = nn.Linear(in_features, out_features)
        limit = 1.0 / in_features if is_first else math.sqrt(6.0 / in_features) / self.w0
        with torch.no_grad():
            self.linear.weight.uniform_(-limit, limit)
            # biases: PyTorch's default U(-1/sqrt(n), 1/sqrt(n)), as in the reference code
        self.project_()

    @property
    def weight_limit(self) -> float | None:
        """The largest stored weight the bound allows, ``bound / w0`` (None without a bound)."""
        return None if self.bound is None else self.bound / self.w0

    def bounded_weight(self) -> torch.Tensor:
        """The weight the forward pass uses: the stored one, clamped to ``bound / w0`` if bounded.

        The clamp passes gradients straight through, so a weight pushed past the bound by a
        training loop that does not call :meth:`project_` can still come back.
        """
        return _bounded(self.linear.weight, self.weight_limit)

    @torch.no_grad()
    def project_(self) -> None:
        """Clamp the stored weights to the bound (nothing without one); after an optimizer step."""
        if self.weight_limit is not None:
            self.linear.weight.clamp_(-self.weight_limit, self.weight_limit)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # w0 folded into the (small) weight and bias instead of scaling the (large) activations:
        # one elementwise pass fewer forward and backward, same function and same parameters
        return torch.sin(F.linear(x, self.bounded_weight() * self.w0, self.linear.bias * self.w0))


def _low_lattice(kmax: torch.Tensor, limit: int, generator=None) -> torch.Tensor:
    """Integer vectors of the box ``|k_a| <= kmax_a``: all of them, or ``limit`` random ones."""
    sizes = (2 * kmax + 1).tolist()
    if math.prod(sizes) <= 50 * limit:
        axes = [torch.arange(-int(m), int(m) + 1) for m in kmax.tolist()]
        return torch.cartesian_prod(*axes).reshape(-1, len(axes))
    u = torch.rand(limit, len(sizes), generator=generator, dtype=torch.float64)
    return torch.floor(u * torch.tensor(sizes, dtype=torch.float64)).long() - kmax


def _canonical(k: torch.Tensor) -> torch.Tensor:
    """``k`` or ``-k``, whichever has its first non-zero entry positive (sin(-k x + b) = -sin(k x - b))."""
    first = k.ne(0).long().argmax(dim=1)
    sign = torch.sign(k.gather(1, first[:, None]))
    return k * torch.where(sign == 0, torch.ones_like(sign), sign)


def _take(candidates: torch.Tensor, chosen: dict, room: int, base, bandlimit, keep=None, generator=None) -> None:
    """Add up to ``room`` new canonical vectors of ``candidates`` within the bandlimit to ``chosen``."""
    k = _canonical(candidates)
    norm = torch.linalg.vector_norm(k.double() * base, dim=1)
    ok = (norm <= bandlimit * (1 + 1e-9)) & k.ne(0).any(dim=1)
    if keep is not None:
        ok &= keep(k)
    k = k[ok]
    k = k[torch.randperm(k.shape[0], generator=generator)]
    target = len(chosen) + room
    for row in k.tolist():
        if len(chosen) >= target:
            break
        chosen.setdefault(tuple(row), None)


def tuner_frequencies(width: int, periods, bandlimit: float, low_fraction: float = TUNER_LOW_FRACTION,
                      generator: torch.Generator | None = None) -> torch.Tensor:
    r"""Integer frequency vectors of a TUNER first layer: a dense low set and a sparse high set.

    Neuron :math:`i` of the first layer is :math:`\sin(\omega_i \cdot x + \varphi_i)` with
    :math:`\omega_{i,a} = 2\pi k_{i,a} / P_a`, :math:`k_i` an integer vector and :math:`P_a` the
    period of feature :math:`a`. Every frequency a sine network generates from them is an integer
    combination of the :math:`\omega_i` (Novello et al. 2025), so it stays on the same lattice and
    the network is a Fourier series of period :math:`P_a` along each feature.

    The vectors are, without repeats (:math:`k` and :math:`-k` count as one) and inside the ball
    :math:`|\omega|_2 \le` ``bandlimit``:

    - the unit vectors (the lowest frequency of every feature; always, even beyond the bandlimit);
    - the low set: every lattice vector of the box :math:`|\omega_a| \le L \cdot 2\pi / \min_a P_a`,
      with :math:`L` the largest integer whose box fits in ``low_fraction * width`` neurons (a
      random sample of the box where a long period makes its lattice finer);
    - the high set, filling the rest: vectors of random direction whose norm is uniform between the
      low box and ``bandlimit``, rounded to the lattice (as many at every scale up to the bandlimit);
      where the ball holds too few vectors outside the low box, the box's vectors the low set did not
      take.

    When the lattice has fewer vectors than ``width`` (a bandlimit of a few base frequencies), the
    last vectors repeat earlier ones (their random phases differ).

    Parameters
    ----------
    width : int
        Number of vectors (first-layer neurons).
    periods : sequence of float
        Period of every input feature, in encoded units.
    bandlimit : float
        Largest :math:`|\omega|_2`, radians per encoded unit.
    low_fraction : float
        Share of the neurons for the low set.
    generator : torch.Generator, optional

    Returns
    -------
    Tensor (width, n_features) of int64
        The integer vectors :math:`k_i`.

    Examples
    --------
    >>> k = tuner_frequencies(16, [2.0, 2.0], bandlimit=8 * math.pi, generator=torch.Generator().manual_seed(0))
    >>> k.shape, bool((k.abs() <= 8).all())
    (torch.Size([16, 2]), True)
    """
    base = 2 * math.pi / torch.as_tensor(periods, dtype=torch.float64)
    n = base.numel()
    kmax = torch.floor(bandlimit / base + 1e-9).long()
    chosen: dict = {}
    _take(torch.eye(n, dtype=torch.long), chosen, min(n, width), base, math.inf, generator=generator)
    n_low = max(int(low_fraction * width), 1)
    level = 1
    while ((2 * level + 3) ** n - 1) // 2 <= n_low:
        level += 1
    low = torch.minimum(torch.floor(level * float(base.max()) / base + 1e-9).long(), kmax)
    _take(_low_lattice(low, 8 * n_low + 64, generator=generator), chosen, max(0, n_low - len(chosen)), base, bandlimit,
          generator=generator)
    omega_low = min(level * float(base.max()), bandlimit)
    for _ in range(50):
        room = width - len(chosen)
        if room <= 0:
            break
        direction = torch.randn(4 * room, n, generator=generator, dtype=torch.float64)
        direction /= torch.linalg.vector_norm(direction, dim=1, keepdim=True)
        radius = omega_low + (bandlimit - omega_low) * torch.rand(4 * room, 1, generator=generator, dtype=torch.float64)
        k = torch.round(direction * radius / base).long()
        _take(k, chosen, room, base, bandlimit, keep=lambda v: (v.abs() > low).any(dim=1), generator=generator)
    if len(chosen) < width:  # few vectors outside the low box: the rest of the box (not sampled for the low set)
        _take(_low_lattice(low, 8 * width + 64, generator=generator), chosen, width - len(chosen), base, bandlimit,
              generator=generator)
    rows = list(chosen)
    while len(rows) < width:  # the lattice inside the bandlimit is exhausted
        rows += rows[: width - len(rows)]
    return torch.tensor(rows[:width], dtype=torch.long).reshape(width, n)


def check_tuner_options(init: str, period=None, bandlimit=None, time_period=None, low_fraction=None) -> None:
    """Refuse an unknown ``init`` and TUNER's lattice options without ``init="tuner"``."""
    if init not in INITS:
        raise ValueError(f"init={init!r}: choose one of {INITS}.")
    lattice = (("period", period), ("bandlimit", bandlimit), ("time_period", time_period),
               ("low_fraction", low_fraction))
    given = [name for name, v in lattice if v is not None]
    if given and init != "tuner":
        raise ValueError(f"{given} set the TUNER frequency lattice: they need init='tuner' (got init={init!r}).")
    for name, v in lattice[:3]:
        if v is not None and not float(v) > 0:
            raise ValueError(f"{name} must be > 0, got {v}.")
    if low_fraction is not None and not 0 < float(low_fraction) <= 1:
        raise ValueError(f"low_fraction is the share of the first layer in TUNER's dense low set: it must be in "
                         f"(0, 1], got {low_fraction} (default {TUNER_LOW_FRACTION}).")


def init_tuner_(first: SineLayer, periods, bandlimit: float, low_fraction: float = TUNER_LOW_FRACTION) -> torch.Tensor:
    r"""Give ``first`` TUNER frequencies (frozen) and random phases; returns the integer vectors.

    The weights become :math:`2\pi k / (P \omega_0)` (so the layer computes
    :math:`\sin(2\pi k \cdot x / P + \varphi)`) and are turned into a buffer: saved and moved
    with the module, never trained. The phases :math:`\varphi = \omega_0 b` are drawn from
    :math:`U(-\pi, \pi)` and stay trainable.
    """
    linear = first.linear
    k = tuner_frequencies(linear.out_features, periods, bandlimit, low_fraction)
    omega = k.double() * (2 * math.pi / torch.as_tensor(periods, dtype=torch.float64))
    del linear.weight
    linear.register_buffer("weight", (omega / first.w0).float())
    with torch.no_grad():
        linear.bias.uniform_(-math.pi / first.w0, math.pi / first.w0)
    return k


@torch.no_grad()
def shrink_columns_(weight: torch.Tensor, amount: float) -> None:
    r"""Proximal step of a group-L1 penalty on the columns of ``weight``, in place.

    Each column (the weights that read one first-layer neuron, i.e. one frequency) shrinks by
    ``amount`` times :math:`\sqrt{\text{rows}}` in Euclidean norm (``amount`` per weight); a
    column shorter than that becomes zero, and its frequency no longer reaches the output.
    """
    norm = torch.linalg.vector_norm(weight, dim=0, keepdim=True)
    weight.mul_(torch.clamp(1 - amount * math.sqrt(weight.shape[0]) / norm.clamp_min(1e-30), min=0.0))


class TunerMixin:
    """Frequency read-outs and post-step projections shared by the SIREN models (see :class:`Siren`).

    A subclass implements ``_sine_layers()``: its first layer, its hidden sine layers (a list)
    and the linear layer after the last of them.
    """

    def _sine_layers(self):  # pragma: no cover - implemented by the models
        raise NotImplementedError

    def _reader(self) -> torch.Tensor:
        """The weights that read the first layer's neurons: the first hidden layer's, or the head's."""
        _, hidden, head = self._sine_layers()
        return hidden[0].linear.weight if hidden else head.weight

    def frequencies(self) -> torch.Tensor:
        """Angular frequencies of the first layer, ``(width, n_space_or_in_features)``, radians per encoded unit."""
        first = self._sine_layers()[0]
        return first.linear.weight.detach() * first.w0

    def active_frequencies(self) -> torch.Tensor:
        """Which first-layer neurons still reach the output (False: pruned by ``l1``), ``(width,)`` bool."""
        return self._reader().detach().ne(0).any(dim=0)

    @torch.no_grad()
    def constrain_(self, lr: float | None = None) -> None:
        """Projections after an optimizer step: the hidden-weight bound, then the ``l1`` shrinkage.

        Parameters
        ----------
        lr : float, optional
            The step's learning rate: the ``l1`` shrinkage is ``lr * l1`` per weight, decoupled from
            the gradient as AdamW's weight decay is (none without ``lr``).
        """
        for layer in self._sine_layers()[1]:
            layer.project_()
        if self.l1 > 0 and lr is not None:
            shrink_columns_(self._reader(), lr * self.l1)

    @property
    def constrains_weights(self) -> bool:
        """Whether :meth:`constrain_` changes anything: a hidden-weight bound or an ``l1`` shrinkage."""
        return self.l1 > 0 or any(layer.bound is not None for layer in self._sine_layers()[1])

    def _setup_tuner(self, init, bound, l1, periods, w0, bandlimit, low_fraction=None) -> float | None:
        """Store ``init`` and ``l1``; with ``init="tuner"``, the first layer's lattice; returns the hidden bound."""
        self.init, self.l1 = init, float(l1)
        self.periods, self.bandlimit, self.low_fraction = None, None, None
        if init != "tuner":
            return bound
        self.periods = torch.tensor(periods, dtype=torch.float32)
        self.bandlimit = float(bandlimit) if bandlimit is not None else TUNER_BANDLIMIT_FACTOR * float(w0)
        self.low_fraction = float(low_fraction) if low_fraction is not None else TUNER_LOW_FRACTION
        return TUNER_BOUND if bound is None else bound


class Siren(TunerMixin, nn.Module):
    r"""SIREN: a multilayer perceptron with sine activations.

    .. math::
        h_1 = \sin(\omega_0 (W_1 x + b_1)),\quad
        h_{i+1} = \sin(\omega_h (W_{i+1} h_i + b_{i+1})),\quad
        y = W_{out} h_{depth} + b_{out}

    Reference: V. Sitzmann, J. N. P. Martel, A. W. Bergman, D. B. Lindell,
    G. Wetzstein, "Implicit Neural Representations with Periodic Activation
    Functions", NeurIPS 2020.

    ``init="tuner"`` (T. Novello, D. Aldana, A. Araujo, L. Velho, "Tuning the Frequencies:
    Robust Training for Sinusoidal Neural Networks", CVPR 2025, arXiv:2407.21121):

    - the first layer's frequencies are integer vectors times :math:`2\pi/P` per feature, inside
      the ball :math:`|\omega|_2 \le` ``bandlimit`` (:func:`tuner_frequencies`: dense at low
      frequencies, sparse up to the bandlimit), with random phases. They are frozen, so every
      frequency the hidden layers generate is an integer combination of them: the network is a
      Fourier series of period :math:`P` along every feature, sampled where the data are;
    - the hidden weights are bounded, :math:`|\omega_h W|_\infty \le c` (``bound``): the amplitude
      of a generated frequency :math:`\sum_j k_j \omega_j` is at most
      :math:`\prod_j (c/2)^{|k_j|} / |k_j|!`, so high harmonics decay fast instead of growing
      into noise between the data. The forward pass uses the clamped weights, and
      :meth:`constrain_` (called by :class:`geoinr.training.Trainer` after every optimizer step)
      clamps the stored ones (projected gradient descent, as in the paper's code).

    Periods: the space encodings (``"sphere"``, ``"lonlat"``) map the region onto [-1, 1]
    (the widest axis; the sphere's x, y, z each get their own integer frequency), and the default
    :data:`TUNER_PERIOD` = 4 doubles that span, so the periodic extension does not tie opposite
    edges of the region. Time features get :data:`TUNER_TIME_PERIOD` = 64 encoded units (the
    linear time encoding has no fixed span): give ``time_period`` larger than twice the window's
    encoded span for fits of many years on a small region. The bandlimit follows ``w0``
    (:data:`TUNER_BANDLIMIT_FACTOR` x ``w0``, i.e. ``w0``: by default ``bandwidth / 8``, an eighth
    of the frequency of ``min_wavelength``, the scale of a default SIREN's first layer), so
    ``min_wavelength``, ``min_period`` and ``w0`` keep their meaning; the hidden layers generate
    the higher frequencies, as integer combinations of the first layer's.

    Parameters
    ----------
    in_features, out_features : int
    width : int
        Units per hidden layer.
    depth : int
        Number of hidden (sine) layers.
    w0 : float
        Frequency factor :math:`\omega_0` of the first layer (30 in the paper). It
        sets the bandwidth: with inputs in [-1, 1] the first layer spans up to about
        ``w0 / (pi * in_features)`` oscillations across the domain at initialization.
    w0_hidden : float
        :math:`\omega_0` of the hidden layers (30 in the paper). With the matching
        initialization it does not change the function at initialization, only the
        step size of training in function space.
    time_features : int
        Trailing input columns that encode time (their TUNER period is ``time_period``).
    init : {"siren", "tuner"}
        First-layer initialization and hidden-weight bound (see above).
    bound : float, optional
        :math:`c`, the bound of the hidden layers' effective weights :math:`\omega_h W`.
        Default: :data:`TUNER_BOUND` with ``init="tuner"``, none with ``init="siren"``.
    l1 : float
        Group-L1 pruning of the first-layer frequencies: after every step, the weights that read
        each first-layer neuron (a column of the next layer) shrink towards zero by ``lr * l1`` per
        weight (:func:`shrink_columns_`, decoupled from the gradient like AdamW's weight decay),
        and a frequency whose column reaches zero is pruned (:meth:`active_frequencies`). Adam
        moves a weight by at most about ``lr`` per step, so ``l1`` in (0, 1) prunes the
        frequencies whose gradients pull less consistently than ``l1``. 0 (default): off. Applied by
        a network trained alone: ``geoinr.INRModel`` trains no networks together with it.
    period : float, optional
        TUNER period of the space features, encoded units (default :data:`TUNER_PERIOD`).
    time_period : float, optional
        TUNER period of the time features (default :data:`TUNER_TIME_PERIOD`).
    bandlimit : float, optional
        Largest first-layer :math:`|\omega|_2`, radians per encoded unit (default
        :data:`TUNER_BANDLIMIT_FACTOR` x ``w0``).
    low_fraction : float, optional
        Share of the first-layer neurons in TUNER's dense low-frequency set, in (0, 1] (default
        :data:`TUNER_LOW_FRACTION`; 0.5 gives the lattice of geoinr before 2026-12-04's change).

    Examples
    --------
    >>> import torch
    >>> net = Siren(3, 1, width=16, depth=2)
    >>> net(torch.zeros(5, 3)).shape
    torch.Size([5, 1])
    >>> tuned = Siren(3, 1, width=16, depth=2, w0=4.0, init="tuner")
    >>> k = tuned.frequencies() * tuned.periods / (2 * torch.pi)  # integer vectors
    >>> bool(torch.allclose(k, k.round(), atol=1e-4))
    True
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        width: int = 256,
        depth: int = 3,
        w0: float = 30.0,
        w0_hidden: float = 30.0,
        time_features: int = 0,
        init: str = "siren",
        bound: float | None = None,
        l1: float = 0.0,
        period: float | None = None,
        time_period: float | None = None,
        bandlimit: float | None = None,
        low_fraction: float | None = None,
    ):
        super().__init__()
        if depth < 1 or width < 1:
            raise ValueError(f"width and depth must be >= 1, got width={width}, depth={depth}")
        check_tuner_options(init, period, bandlimit, time_period, low_fraction)
        n_space = in_features - time_features
        periods = [float(period or TUNER_PERIOD)] * n_space + [float(time_period or TUNER_TIME_PERIOD)] * time_features
        bound = self._setup_tuner(init, bound, l1, periods, w0, bandlimit, low_fraction)
        layers = [SineLayer(in_features, width, w0=w0, is_first=True)]
        layers += [SineLayer(width, width, w0=w0_hidden, bound=bound) for _ in range(depth - 1)]
        self.body = nn.Sequential(*layers)
        self.head = nn.Linear(width, out_features)
        limit = math.sqrt(6.0 / width) / float(w0_hidden)
        with torch.no_grad():
            self.head.weight.uniform_(-limit, limit)
        if init == "tuner":
            init_tuner_(self.body[0], periods, self.bandlimit, self.low_fraction)

    def _sine_layers(self):
        return self.body[0], list(self.body[1:]), self.head

    def forward_stacked(self, params: dict, x: torch.Tensor) -> torch.Tensor:
        """Several members at once, ``(members, n, out)``: this network's layers with ``params``, the members'
        tensors stacked on a leading axis (names as ``named_parameters`` and ``named_buffers``: TUNER's first
        layer keeps its weight as a buffer), applied to the same inputs ``x``.

        The function of :meth:`forward` member by member, written with batched matrix products: under
        ``torch.func.vmap`` the hidden layers' sines ran on strided memory and a bfloat16 step of three
        256-wide members took 1.5 times as long (``geoinr.nn.ensemble``).
        """
        kind = x.device.type
        low = torch.is_autocast_enabled(kind)

        def sine(layer, name, h):
            w = _bounded(params[f"{name}.linear.weight"], layer.weight_limit)  # TUNER's bound, as in SineLayer
            b = params[f"{name}.linear.bias"]
            return torch.sin(_stacked_linear(h, w * layer.w0, b * layer.w0))

        members = params["head.weight"].shape[0]
        with torch.autocast(kind, enabled=False):  # the first layer sees positions: float32 (see forward)
            h = sine(self.body[0], "body.0", x.float().expand(members, *x.shape))
        for i, layer in enumerate(self.body[1:], start=1):
            h = sine(layer, f"body.{i}", h)
        with torch.autocast(kind, enabled=False):
            h = h.float() if low else h
            return _stacked_linear(h, params["head.weight"], params["head.bias"])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        kind = x.device.type
        if not torch.is_autocast_enabled(kind):
            return self.head(self.body(x))
        # mixed precision (INRModel(precision="bfloat16")): only the hidden width x width products
        # run in bfloat16; the first layer (positions: bfloat16 would round them to ~0.4 %) and the
        # head stay float32
        with torch.autocast(kind, enabled=False):
            h = self.body[0](x.float())
        for layer in self.body[1:]:
            h = layer(h)
        with torch.autocast(kind, enabled=False):
            return self.head(h.float())
