"""The fitted field: encoding followed by network, raw coordinates in, standardized values out (torch only)."""
from __future__ import annotations

import math

import torch
from torch import nn

from ..encoding import CoordinateEncoding
from ..geometry import DEG, EARTH_RADIUS_M
from ..nn import build_network

__all__ = ["Field", "StreamFunctionField", "build_field", "MASS_CONSTRAINTS"]

MASS_CONSTRAINTS = ("penalty", "streamfunction")


class Field(nn.Module):
    """encoding followed by network: raw coordinates -> standardized values."""

    def __init__(self, encoding: CoordinateEncoding, network: nn.Module):
        super().__init__()
        self.encoding = encoding
        self.network = network

    def forward(self, raw: torch.Tensor) -> torch.Tensor:
        with torch.autocast(raw.device.type, enabled=False):  # encodings always in float32
            features = self.encoding(raw)
        return self.network(features)


class StreamFunctionField(nn.Module):
    """Divergence-free velocity: the network gives a streamfunction psi, and (u, v) follow from it.

    On the sphere, :math:`u = -\\frac{1}{R}\\partial_\\varphi\\psi`,
    :math:`v = \\frac{1}{R\\cos\\varphi}\\partial_\\lambda\\psi`, whose divergence
    :math:`\\frac{1}{R\\cos\\varphi}(\\partial_\\lambda u + \\partial_\\varphi(v\\cos\\varphi))` is zero
    identically. Returns standardized (u, v) like any field, so training and prediction
    need nothing else; the derivative is taken by autograd (kept in the graph while training).
    """

    def __init__(self, encoding: CoordinateEncoding, network: nn.Module, mean, std, psi_scale: float):
        super().__init__()
        self.encoding = encoding
        self.network = network
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32), persistent=False)
        self.register_buffer("inv_std", torch.tensor([1.0 / s if s > 0 else 1.0 for s in std], dtype=torch.float32), persistent=False)
        self.psi_scale = float(psi_scale)  # m^2/s per unit of network output

    def forward(self, raw: torch.Tensor) -> torch.Tensor:
        with torch.enable_grad():
            r = raw if raw.requires_grad else raw.detach().requires_grad_(True)
            with torch.autocast(r.device.type, enabled=False):
                psi = self.network(self.encoding(r))[:, 0].float() * self.psi_scale
                (g,) = torch.autograd.grad(psi.sum(), r, create_graph=self.training or raw.requires_grad)
        u = -g[:, 1] / (EARTH_RADIUS_M * DEG)  # m/s; g is per degree
        v = g[:, 0] / (EARTH_RADIUS_M * DEG * torch.cos(r[:, 1] * DEG))
        return (torch.stack((u, v), dim=1) - self.mean) * self.inv_std


def build_field(params: dict, encoding: CoordinateEncoding, n_out: int, strategy, *, mean, std, variables) -> nn.Module:
    """Create the field (encoding + network, with the uncertainty strategy's parts) from parameters.

    Parameters
    ----------
    params : dict
        ``INRModel.get_params()``: model, width, depth, w0, model_options, mass_constraint, seed.
    encoding : CoordinateEncoding
    n_out : int
        Number of fitted variables.
    strategy : geoinr.uncertainty.strategies.NoUncertainty
        Builds an ensemble or adds a posterior head.
    mean, std : list of float
        Normalization of the variables (the streamfunction field needs them).
    variables : list of str
        For error messages.
    """
    options = dict(params.get("model_options") or {})
    if params.get("w0") is not None:
        options["w0"] = params["w0"]
    kwargs = dict(time_features=encoding.time_features, bandwidth=encoding.bandwidth,
                  width=params.get("width"), depth=params.get("depth"), **options)
    constraint = params.get("mass_constraint", "penalty")
    if constraint not in MASS_CONSTRAINTS:
        raise ValueError(f"mass_constraint={constraint!r}: choose 'penalty' or 'streamfunction'.")
    if constraint == "streamfunction":
        if n_out != 2:
            raise ValueError(
                f"mass_constraint='streamfunction' needs two fitted variables, eastward then northward "
                f"velocity; got {variables}."
            )
        n_out = 1

    def make():
        return strategy.make_network(lambda: build_network(params["model"], encoding.out_features, n_out, **kwargs))

    seed = params.get("seed")
    if seed is not None:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(int(seed))
            net = make()
    else:
        net = make()
    if constraint == "streamfunction":
        speed = max(math.hypot(*std), 1e-6)  # m/s
        length = encoding.config()["min_wavelength"] * 1e3 / (2 * math.pi)  # m
        field = StreamFunctionField(encoding, net, mean, std, speed * length)
    else:
        field = Field(encoding, net)
    strategy.attach(field, net, n_out)
    field.eval()
    return field
