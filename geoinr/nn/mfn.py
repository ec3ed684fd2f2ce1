"""Multiplicative filter networks: FourierNet and GaborNet (Fathony et al., ICLR 2021)."""
from __future__ import annotations

import math

import torch
from torch import nn

__all__ = ["FourierNet", "GaborNet"]


class _MFN(nn.Module):
    r"""z_1 = g_1(x); z_{i+1} = (W_i z_i + b_i) * g_{i+1}(x); y = W_out z_{depth+1} + b_out."""

    def __init__(self, in_features, out_features, width, depth, bandwidth):
        super().__init__()
        self.n_filters = depth + 1
        # each filter gets bandwidth / n_filters: products of sines add their frequencies, so the
        # output's spectrum is bounded by `bandwidth` (the band-limit property of MFNs)
        self.filter_bandwidth = float(bandwidth) / self.n_filters
        self.filters = nn.ModuleList(nn.Linear(in_features, width) for _ in range(self.n_filters))
        self.linears = nn.ModuleList(nn.Linear(width, width) for _ in range(depth))
        self.head = nn.Linear(width, out_features)
        with torch.no_grad():
            for f in self.filters:
                f.weight.uniform_(-self.filter_bandwidth, self.filter_bandwidth)
                f.bias.uniform_(-math.pi, math.pi)
            bound = math.sqrt(6.0 / width)  # keeps activations O(1) through the products
            for lin in self.linears:
                lin.weight.uniform_(-bound, bound)

    def filter(self, i, x):  # pragma: no cover - defined by subclasses
        raise NotImplementedError

    def forward(self, x):
        z = self.filter(0, x)
        for i, lin in enumerate(self.linears):
            z = lin(z) * self.filter(i + 1, x)
        return self.head(z)


class FourierNet(_MFN):
    r"""Multiplicative filter network with sinusoidal filters (FourierNet).

    .. math::
        g_i(x) = \sin(\Omega_i x + \phi_i),\quad
        z_1 = g_1(x),\quad z_{i+1} = (W_i z_i + b_i) \odot g_{i+1}(x),\quad
        y = W_{out} z_{d+1} + b_{out}

    The output is a linear combination of sines whose frequencies are sums of one
    row of each :math:`\Omega_i`; with :math:`|\Omega_i| \le \omega/(d+1)` the network
    is band-limited to :math:`\omega` = ``bandwidth`` (radians per encoded unit) per axis.

    Reference: R. Fathony, A. K. Sahu, D. Willmott, J. Z. Kolter, "Multiplicative
    Filter Networks", ICLR 2021.

    Examples
    --------
    >>> FourierNet(3, 1, width=8, depth=2, bandwidth=10.0)(torch.zeros(4, 3)).shape
    torch.Size([4, 1])
    """

    def __init__(self, in_features, out_features, width=256, depth=3, bandwidth=30.0, time_features=0):
        super().__init__(in_features, out_features, width, depth, bandwidth)

    def filter(self, i, x):
        return torch.sin(self.filters[i](x))


class GaborNet(_MFN):
    r"""Multiplicative filter network with Gabor filters (GaborNet).

    .. math::
        g_i(x) = \exp\!\left(-\tfrac{\gamma_i}{2}\lVert x - \mu_i\rVert^2\right) \odot \sin(\Omega_i x + \phi_i)

    combined as in :class:`FourierNet`. Gabor filters are localized in space as well
    as in frequency. Centres :math:`\mu` are uniform in [-1, 1] (the encoded domain)
    and scales :math:`\gamma \sim \Gamma(\alpha/(d+1), \beta)` as in the paper.

    Reference: R. Fathony et al., "Multiplicative Filter Networks", ICLR 2021.

    Examples
    --------
    >>> GaborNet(3, 1, width=8, depth=2, bandwidth=10.0)(torch.zeros(4, 3)).shape
    torch.Size([4, 1])
    """

    def __init__(
        self, in_features, out_features, width=256, depth=3, bandwidth=30.0, alpha=6.0, beta=1.0, time_features=0
    ):
        super().__init__(in_features, out_features, width, depth, bandwidth)
        n = self.n_filters
        self.mu = nn.Parameter(torch.rand(n, width, in_features) * 2.0 - 1.0)
        gamma = torch.distributions.Gamma(torch.full((n, width), alpha / n), torch.full((n, width), beta)).sample()
        self.gamma = nn.Parameter(gamma)
        with torch.no_grad():  # the Gaussian envelope widens frequencies: scale as in the paper
            for i, f in enumerate(self.filters):
                f.weight.mul_(torch.sqrt(self.gamma[i])[:, None].clamp(max=1.0))

    def filter(self, i, x):
        d2 = (x.pow(2).sum(-1, keepdim=True) + self.mu[i].pow(2).sum(-1)[None, :] - 2.0 * x @ self.mu[i].T).clamp_min(0)
        return torch.exp(-0.5 * self.gamma[i][None, :] * d2) * torch.sin(self.filters[i](x))
