"""SIREN: sinusoidal representation network (Sitzmann et al., NeurIPS 2020)."""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["SineLayer", "Siren"]


class SineLayer(nn.Module):
    r"""Linear layer followed by :math:`\sin(\omega_0 (W x + b))`.

    Initialization (Sitzmann et al. 2020, sec. 3.2): the first layer draws
    :math:`W \sim U(-1/n, 1/n)`; later layers :math:`U(-\sqrt{6/n}/\omega_0, \sqrt{6/n}/\omega_0)`,
    with :math:`n` the number of inputs, so that pre-activations stay
    arcsine-distributed through depth.
    """

    def __init__(self, in_features: int, out_features: int, w0: float = 30.0, is_first: bool = False):
        super().__init__()
        self.w0 = float(w0)
        self.linear = nn.Linear(in_features, out_features)
        bound = 1.0 / in_features if is_first else math.sqrt(6.0 / in_features) / self.w0
        with torch.no_grad():
            self.linear.weight.uniform_(-bound, bound)
            # biases: PyTorch's default U(-1/sqrt(n), 1/sqrt(n)), as in the reference code

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # w0 folded into the (small) weight and bias instead of scaling the (large) activations:
        # one elementwise pass fewer forward and backward, same function and same parameters
        return torch.sin(F.linear(x, self.linear.weight * self.w0, self.linear.bias * self.w0))


class Siren(nn.Module):
    r"""SIREN: a multilayer perceptron with sine activations.

    .. math::
        h_1 = \sin(\omega_0 (W_1 x + b_1)),\quad
        h_{i+1} = \sin(\omega_h (W_{i+1} h_i + b_{i+1})),\quad
        y = W_{out} h_{depth} + b_{out}

    Reference: V. Sitzmann, J. N. P. Martel, A. W. Bergman, D. B. Lindell,
    G. Wetzstein, "Implicit Neural Representations with Periodic Activation
    Functions", NeurIPS 2020.

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

    Examples
    --------
    >>> import torch
    >>> net = Siren(3, 1, width=16, depth=2)
    >>> net(torch.zeros(5, 3)).shape
    torch.Size([5, 1])
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
    ):
        super().__init__()
        if depth < 1 or width < 1:
            raise ValueError(f"width and depth must be >= 1, got width={width}, depth={depth}")
        layers = [SineLayer(in_features, width, w0=w0, is_first=True)]
        layers += [SineLayer(width, width, w0=w0_hidden) for _ in range(depth - 1)]
        self.body = nn.Sequential(*layers)
        self.head = nn.Linear(width, out_features)
        bound = math.sqrt(6.0 / width) / float(w0_hidden)
        with torch.no_grad():
            self.head.weight.uniform_(-bound, bound)

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
