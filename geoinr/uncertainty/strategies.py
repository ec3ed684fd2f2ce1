"""How a field carries its uncertainty, chosen once: none, a deep ensemble, or a Bayesian last layer.

:class:`geoinr.INRModel` asks :func:`strategy` for the object that matches its
``uncertainty=`` parameter and then never tests the name again: the strategy
builds the network, gives the mean and variance of the field in standardized
units, fits what it needs after training, and draws plausible fields. Torch
only; the fields it works on are ``encoding`` + ``network`` modules.
"""
from __future__ import annotations

import torch

from .bayes import BayesianLastLayer, add_statistics, output_layer, penultimate_features

__all__ = ["NoUncertainty", "AveragedEnsemble", "EnsembleUncertainty", "BayesLastLayerUncertainty", "strategy", "UNCERTAINTY_METHODS"]

UNCERTAINTY_METHODS = (None, "ensemble", "bayes_last_layer")
ENSEMBLE_MEMBERS = 5  # uncertainty="ensemble" without n_members
FEATURE_CHUNK = 65536  # points per pass when collecting penultimate features


class NoUncertainty:
    """A plain network: the mean only."""

    name = None
    calibrated = False  # whether predict(return_std=True) and sample() are available
    allows_low_precision = True  # bfloat16 forward passes when predicting (variances need float32; training may use it)

    def check(self, *, mass_constraint: str = "penalty") -> None:
        """Raise ValueError for parameter combinations this strategy cannot fit."""

    def make_network(self, make):
        """The network to fit, from a factory of one network."""
        return make()

    def attach(self, field, net, n_out: int) -> None:
        """Add what the strategy needs to the field (e.g. a posterior head)."""

    def standardized(self, field, xb: torch.Tensor):
        """Mean and field variance (None without uncertainty) in standardized units, each (b, k)."""
        return field(xb), None

    def after_training(self, field, idx: torch.Tensor, x, y, w) -> None:
        """Fit what comes after the weights (a posterior) on the points ``idx``; nothing here."""

    def max_draws(self) -> int | None:
        return None

    def prepare_draws(self, field, n: int, seed, root_c: torch.Tensor, device):
        """State shared by every batch of :meth:`draw` (posterior weight draws)."""
        return None

    def draw(self, field, xb: torch.Tensor, n: int, state, root_c: torch.Tensor) -> torch.Tensor:  # pragma: no cover
        raise ValueError("sample() needs a model fitted with uncertainty='ensemble' or 'bayes_last_layer'.")


class EnsembleUncertainty(NoUncertainty):
    """A deep ensemble of ``n_members`` networks trained together (vmapped); spread = variance."""

    name = "ensemble"
    calibrated = True
    allows_low_precision = False

    def __init__(self, n_members: int):
        self.n_members = int(n_members)

    def check(self, *, mass_constraint: str = "penalty") -> None:
        if self.n_members < 2:
            raise ValueError(f"uncertainty='ensemble' needs n_members >= 2 (its spread is the uncertainty), got "
                             f"{self.n_members}; n_members=None trains {ENSEMBLE_MEMBERS}.")
        if mass_constraint == "streamfunction":
            raise ValueError("mass_constraint='streamfunction' does not combine with uncertainty= yet.")

    def make_network(self, make):
        from ..nn.ensemble import Ensemble

        return Ensemble([make() for _ in range(self.n_members)])

    def standardized(self, field, xb):
        out = field(xb)
        return out.mean(0), out.var(0, unbiased=False)

    def max_draws(self) -> int | None:
        return self.n_members

    def draw(self, field, xb, n, state, root_c):
        out = field(xb)  # every member: the spread is about all of them, the draws are the first n
        members = out[:n]
        m = out.mean(0, keepdim=True)
        return m + root_c.to(xb.device) * (members - m)


class AveragedEnsemble(NoUncertainty):
    """``n_members`` networks trained together (vmapped) whose mean is the field; no uncertainty.

    Members share the data and differ by their initialization; where the data leave the
    field free (between grid points) their differences are partly independent, so the
    mean is smoother and closer to the truth than any member
    (``benchmarks/real_ssh.py``, regrid cases).
    """

    def __init__(self, n_members: int):
        self.n_members = int(n_members)

    def check(self, *, mass_constraint: str = "penalty") -> None:
        if mass_constraint == "streamfunction":
            raise ValueError("mass_constraint='streamfunction' does not combine with n_members > 1 yet; give n_members=1.")

    def make_network(self, make):
        from ..nn.ensemble import Ensemble

        return Ensemble([make() for _ in range(self.n_members)])

    def standardized(self, field, xb):
        return field(xb).mean(0), None


class BayesLastLayerUncertainty(NoUncertainty):
    """A Gaussian posterior over the output layer's weights, in closed form after training, centred on the trained
    weights (a Laplace approximation of the last layer: the map is the trained network's)."""

    name = "bayes_last_layer"
    calibrated = True
    allows_low_precision = False

    def check(self, *, mass_constraint: str = "penalty") -> None:
        if mass_constraint == "streamfunction":
            raise ValueError("mass_constraint='streamfunction' does not combine with uncertainty= yet.")

    def attach(self, field, net, n_out: int) -> None:
        field.blr = BayesianLastLayer(output_layer(net).in_features, n_out)

    def standardized(self, field, xb):
        phi = penultimate_features(field.network, field.encoding(xb))
        mean, var = field.blr(phi)
        return mean.float(), var.float()

    @torch.no_grad()
    def after_training(self, field, idx, x, y, w) -> None:
        # the posterior needs only sums over the points: one chunk of features in memory at a time (all of them at
        # once in float64 would take 2 GB per million points of a 256-wide network)
        dev = next(field.parameters()).device
        stats = None
        for s in range(0, len(idx), FEATURE_CHUNK):
            part = idx[s : s + FEATURE_CHUNK]
            phi = penultimate_features(field.network, field.encoding(x[part].to(dev)))
            mask = None if w is None else w[part].to(dev)
            stats = add_statistics(stats, field.blr.statistics(phi, y[part].to(dev), mask))
        # a Laplace approximation at the trained output weights: the regression's own mean can be wild between
        # tracks (BayesianLastLayer's notes), the trained network's is the map the training chose
        head = output_layer(field.network)
        bias = head.bias if head.bias is not None else torch.zeros_like(head.weight[:, 0])
        center = torch.cat((head.weight, bias[:, None]), dim=1).double()
        field.blr.to(dev).fit_statistics(stats, center=center.to(dev))

    def prepare_draws(self, field, n, seed, root_c, device):
        gen = torch.Generator()
        if seed is None:
            gen.seed()  # a fresh draw (an unseeded Generator starts from one fixed state every time)
        else:
            gen.manual_seed(int(seed))
        blr = field.blr
        z = blr.sample_weights(n, gen).to(device) - blr.mean_w[None].to(device)
        return blr.mean_w[None].to(device) + root_c.to(device)[None, :, None] * z  # (n, k, p)

    def draw(self, field, xb, n, state, root_c):
        phi = penultimate_features(field.network, field.encoding(xb))
        design = torch.cat((phi, torch.ones_like(phi[:, :1])), dim=1).to(state.dtype)
        return torch.einsum("bp,nkp->nbk", design, state)


def strategy(name, n_members: int | None = None) -> NoUncertainty:
    """The strategy object for ``uncertainty=name`` and ``n_members`` networks.

    ``n_members`` None: 5 for an ensemble, one network otherwise; ``n_members > 1``
    without uncertainty: the mean of that many networks.

    Examples
    --------
    >>> strategy("ensemble", n_members=3).n_members, strategy(None).calibrated
    (3, False)
    >>> type(strategy(None, n_members=4)).__name__
    'AveragedEnsemble'
    """
    if name not in UNCERTAINTY_METHODS:
        raise ValueError(f"uncertainty={name!r} is not known; choose one of {UNCERTAINTY_METHODS}.")
    if name == "ensemble":
        return EnsembleUncertainty(ENSEMBLE_MEMBERS if n_members is None else n_members)
    if name == "bayes_last_layer":  # one network: n_members does not apply
        return BayesLastLayerUncertainty()
    return AveragedEnsemble(n_members) if n_members is not None and n_members > 1 else NoUncertainty()

