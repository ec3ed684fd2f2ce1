"""Plain MLP and random-Fourier-feature networks (Tancik et al. 2020)."""
from __future__ import annotations


import numpy as np
import torch
from torch import nn

__all__ = ["MLP", "FourierFeatureNet", "KERNELS", "sample_frequencies"]

_ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "gelu": nn.GELU, "silu": nn.SiLU}


def _mlp(in_features, out_features, width, depth, activation):
    if activation not in _ACTIVATIONS:
        raise ValueError(f"Unknown activation {activation!r}; choose one of {sorted(_ACTIVATIONS)}.")
    layers = []
    n = in_features
    for _ in range(depth):
        layers += [nn.Linear(n, width), _ACTIVATIONS[activation]()]
        n = width
    layers.append(nn.Linear(n, out_features))
    return nn.Sequential(*layers)


class MLP(nn.Module):
    r"""Multilayer perceptron, the baseline coordinate network.

    .. math:: h_{i+1} = \sigma(W_i h_i + b_i),\quad y = W_{out} h_{depth} + b_{out}

    with :math:`\sigma` = ReLU, tanh, GELU or SiLU (``activation=``). Known to be spectrally biased towards
    smooth functions (Rahaman et al., "On the spectral bias of neural networks",
    ICML 2019), which is why the other models exist.

    Examples
    --------
    >>> MLP(3, 1, width=8, depth=2)(torch.zeros(4, 3)).shape
    torch.Size([4, 1])
    """

    def __init__(self, in_features, out_features, width=256, depth=3, activation="relu", time_features=0):
        super().__init__()
        self.net = _mlp(in_features, out_features, width, depth, activation)

    def forward(self, x):
        return self.net(x)


#: kernel name -> spectral density of unit scale (Bochner's theorem), drawn with numpy
KERNELS = {
    "gaussian": lambda rng, shape, nu: rng.standard_normal(shape),  # Gaussian kernel <-> normal
    "laplacian": lambda rng, shape, nu: rng.standard_cauchy(shape),  # exp(-|r|) kernel <-> Cauchy
    "cauchy": lambda rng, shape, nu: rng.laplace(size=shape),  # Cauchy kernel 1/(1+r^2) <-> Laplace
    "matern": lambda rng, shape, nu: rng.standard_t(2.0 * nu, size=shape),  # Matern nu <-> Student-t, 2 nu dof
}


def sample_frequencies(n, d, bandwidth, kernel="gaussian", nu=1.5, seed=None) -> torch.Tensor:
    """Draw ``n`` angular frequency vectors in ``d`` dimensions from a kernel's spectral density.

    The draws are rescaled so that 95% of the per-axis magnitudes lie below
    ``bandwidth`` (radians per encoded unit): the shortest wavelength the network
    is meant to represent sets the scale, whatever the kernel's tails. Without a
    ``seed`` the draw follows torch's global generator (so ``torch.manual_seed``
    makes it repeatable).

    Examples
    --------
    >>> B = sample_frequencies(1000, 2, bandwidth=10.0, seed=0)
    >>> round(float(B.abs().flatten().quantile(0.95)), 3)
    10.0
    """
    if kernel not in KERNELS:
        raise ValueError(f"Unknown kernel {kernel!r}; choose one of {sorted(KERNELS)}.")
    if seed is None:
        seed = int(torch.randint(0, 2**31 - 1, (1,)))
    rng = np.random.default_rng(int(seed))
    b = KERNELS[kernel](rng, (n, d), nu)
    q = np.quantile(np.abs(b), 0.95)
    return torch.from_numpy((b * (float(bandwidth) / q)).astype(np.float32))


class FourierFeatureNet(nn.Module):
    r"""Random Fourier features followed by a ReLU MLP (Tancik et al., NeurIPS 2020).

    .. math::
        \gamma(x) = [\cos(Bx), \sin(Bx)],\quad B_{ij} \sim p_k,\quad y = \mathrm{MLP}(\gamma(x))

    with :math:`p_k` the spectral density of the chosen stationary kernel (Bochner):
    Gaussian kernel -> normal, Laplacian (exponential) kernel -> Cauchy, Cauchy kernel
    -> Laplace, Matérn-:math:`\nu` -> Student-t with :math:`2\nu` degrees of freedom.
    :math:`B` is fixed (a buffer), scaled so 95% of its entries lie below ``bandwidth``.

    Reference: M. Tancik et al., "Fourier Features Let Networks Learn High Frequency
    Functions in Low Dimensional Domains", NeurIPS 2020; A. Rahimi, B. Recht,
    "Random Features for Large-Scale Kernel Machines", NeurIPS 2007.

    Parameters
    ----------
    in_features, out_features : int
        Encoded inputs and outputs.
    width, depth : int
        The MLP's hidden units and hidden layers.
    n_features : int
        Number of frequencies (the encoding has twice as many features).
    bandwidth : float
        Radians per encoded unit below which 95% of frequencies lie.
    kernel : {"gaussian", "laplacian", "cauchy", "matern"}
        The stationary kernel whose spectral density the frequencies are drawn from.
    nu : float
        Matérn smoothness.
    activation : str
        The MLP's activation: ``"relu"``, ``"tanh"``, ``"gelu"`` or ``"silu"``.
    seed : int, optional
        Seeds the frequencies (None: torch's global generator).
    time_features : int
        Set by the estimator (the last inputs that are time); unused here: every input gets frequencies.

    Examples
    --------
    >>> FourierFeatureNet(3, 1, width=8, depth=1, n_features=16, seed=0)(torch.zeros(4, 3)).shape
    torch.Size([4, 1])
    """

    def __init__(
        self,
        in_features,
        out_features,
        width=256,
        depth=3,
        n_features=256,
        bandwidth=30.0,
        kernel="gaussian",
        nu=1.5,
        activation="relu",
        seed=None,
        time_features=0,
    ):
        super().__init__()
        self.register_buffer("B", sample_frequencies(n_features, in_features, bandwidth, kernel, nu, seed).T.contiguous())
        self.net = _mlp(2 * n_features, out_features, width, depth, activation)

    def forward(self, x):
        proj = x @ self.B
        return self.net(torch.cat((torch.cos(proj), torch.sin(proj)), dim=-1))
