"""More networks in the time that early stopping leaves: the fitted field becomes their mean.

Under ``max_time`` a fit whose held-out loss stops improving ends early, and the
rest of the budget would go unused. Where what is left is at least
:data:`FILL_SHARE` (three tenths) of the time the first network took, another network is
fitted in it, from another initialization and holding out other passes (its own
seed), and so on while the budget allows; the field is then the mean of the
networks (as for ``n_members``). The networks' errors between the tracks are partly
independent, and most of them are at small scales, so their mean is closer to the
truth than any one of them and resolves shorter wavelengths. A network given much
less time than the first can pull the mean down; with at least half of it, the
mean shortened lambda_x on the real 10 deg boxes on every seed tried at unchanged
mu (``benchmarks/RESULTS.md``, 2026-12-02, fifth session), where the threshold of
the whole first network's time left those boxes with one network. Three tenths
(2026-12-03) gives a second network to the fits whose first stops between 40 and
46 s of 60: one network alone there had the boxes' worst maps.

Only plain fits take part: ``n_members`` unset, no ``uncertainty=`` (a calibrated
spread needs its own members), no ``physics=`` (``physics_weight="auto"`` adds networks
after its own choice; :mod:`geoinr.model.physics_weight`), the penalty mass constraint,
in-memory data and one process.
"""
from __future__ import annotations

import dataclasses
import math

from ..encoding import CoordinateEncoding
from ..training import distributed_world, weights_finite
from ..nn.ensemble import Ensemble
from .field import Field
from .params import terms_in_force

__all__ = ["MAX_FILL_MEMBERS", "SEED_STEP", "plain_fit", "can_average", "fills_budget", "fill_budget", "fill_more",
           "time_for_another"]

MAX_FILL_MEMBERS = 4  # networks in all, the first included (prediction costs grow with their number)
SEED_STEP = 100  # seed of network k: the fit's seed + k * SEED_STEP (another start and other held-out passes)
FILL_SHARE = 0.3  # a further network where the time left is at least this share of the first network's


def plain_fit(model, streamed: bool) -> bool:
    """Whether a fit's field may be a mean of networks it chooses itself (one after another, or trained together).

    It may with ``n_members`` unset, no ``uncertainty=`` (a calibrated spread needs its
    own members), the penalty mass constraint, in-memory data (not ``streamed``) and one process.

    Examples
    --------
    >>> import geoinr
    >>> plain_fit(geoinr.INRModel(), streamed=False), plain_fit(geoinr.INRModel(n_members=2), streamed=False)
    (True, False)
    """
    return (model.n_members is None and model.uncertainty is None and model.mass_constraint == "penalty"
            and not streamed and distributed_world()[1] == 1)


def can_average(model, prep) -> bool:
    """Whether the fitted field may be a mean of networks fitted one after another: :func:`plain_fit` of ``prep``.

    Parameters
    ----------
    model : geoinr.INRModel
    prep : geoinr.model.fitting.Prepared
        The prepared points (``prep.stream`` is set for dask-streamed data).

    Returns
    -------
    bool

    Examples
    --------
    >>> import geoinr
    >>> prep = type("Prepared", (), {"stream": None})()  # in-memory points
    >>> can_average(geoinr.INRModel(), prep), can_average(geoinr.INRModel(uncertainty="bayes_last_layer"), prep)
    (True, False)
    """
    return plain_fit(model, streamed=prep.stream is not None)


def fills_budget(model, prep, cfg) -> bool:
    """Whether this fit may add networks after an early stop (see the module's description).

    Examples
    --------
    >>> import dataclasses, geoinr
    >>> prep = type("Prepared", (), {"stream": None})()  # in-memory points
    >>> cfg = dataclasses.replace(geoinr.training.TrainConfig(), max_time=60.0, epochs=None)
    >>> qg = geoinr.INRModel(physics="qg")
    >>> qg.physics_ = "qg"  # the terms in force (the fit sets them: params.physics_in_force)
    >>> fills_budget(geoinr.INRModel(), prep, cfg), fills_budget(qg, prep, cfg)
    (True, False)
    """
    physics = terms_in_force(model)
    return (can_average(model, prep) and not physics and cfg.max_time is not None and cfg.epochs is None
            and getattr(model, "members_", 1) == 1)


def fill_budget(model, prep, cfg, device, trainer, result, train):
    """Fit further networks while the time left is at least :data:`FILL_SHARE` of the first's; ``field_``: their mean.

    Parameters
    ----------
    model : geoinr.INRModel
        With ``field_`` fitted once (``trainer``, ``result``).
    prep : geoinr.model.fitting.Prepared
    cfg : geoinr.training.TrainConfig
        The first network's configuration; the others take its budget's remainder.
    train : callable
        ``train(model, prep, cfg, device)`` -> (trainer, result), fitting ``model.field_``.

    Examples
    --------
    A fit calls it after its first network (``INRModel.fit``); a noisy record and a short
    ``patience`` stop a small network early, and the time left goes to more of them (a few
    seconds each; skipped in the doctests, run in ``tests/test_members.py``):

    >>> import numpy as np, geoinr
    >>> tracks = geoinr.datasets.synthetic_tracks(days=3, seed=0)
    >>> tracks["sla"] = tracks.sla + 0.05 * np.random.default_rng(0).standard_normal(tracks.sla.size)
    >>> m = tracks.inr.fit("sla", width=8, depth=1, max_time=60.0, patience=1, progress=False)  # doctest: +SKIP
    >>> m.members_ == len(m.fill_members_["fits"]) > 1  # doctest: +SKIP
    True

    Returns
    -------
    trainer, result
        The first network's (``result.seconds``: all of them); ``model.fill_members_``
        records every network's fit (``{"fits": [{"seconds", "stopped", "best_val_loss"}, ...]}``),
        or is None when none was added.
    """
    model.fill_members_ = None
    if result.stopped != "early_stopping" or not fills_budget(model, prep, cfg):
        return trainer, result
    records = fill_more(model, prep, cfg, device, train, [model.field_], [record(result)], first=result.seconds,
                        left=cfg.max_time - result.seconds)
    if len(records) == 1:
        return trainer, result
    model.fill_members_ = {"fits": records}
    return trainer, dataclasses.replace(result, seconds=sum(r["seconds"] for r in records))


def fill_more(model, prep, cfg, device, train, fields, records, first, left) -> list:
    """Fit networks while ``left`` seconds are at least :data:`FILL_SHARE` of ``first``; the field: the mean.

    Each further network is built anew with seed ``cfg.seed + k * SEED_STEP`` (``k``: its
    index in ``fields``), trained by ``train`` with the residual weight in force
    (``model.physics_weight_``) for the time left, and appended to ``fields``.

    Parameters
    ----------
    model : geoinr.INRModel
    prep : geoinr.model.fitting.Prepared
    cfg : geoinr.training.TrainConfig
        The configuration of the further networks (their ``max_time``: the time left).
    device : torch.device
    train : callable
        ``train(model, prep, cfg, device)`` -> (trainer, result), fitting ``model.field_``.
    fields, records : list
        The networks fitted so far and their fits' records (:func:`record`); extended in place.
    first, left : float
        Seconds the first network took, and seconds left in the budget (0: no further network).

    Returns
    -------
    list
        The records of every network in the mean; ``model.field_`` is their mean
        (``members_`` of them), or the one network itself.

    Examples
    --------
    :func:`fill_budget` and ``physics_weight="auto"`` call it (run in ``tests/test_members.py``
    and ``tests/test_physics_weight.py``).
    """
    given = getattr(model, "members_", None) or 1  # the first field's networks (n_members trained together)
    while time_for_another(first, left) and len(fields) < MAX_FILL_MEMBERS:
        k = len(fields)
        seed = None if cfg.seed is None else int(cfg.seed) + k * SEED_STEP
        model.members_ = 1
        model._build(CoordinateEncoding(**model.encoding_config_), len(model.variables_), seed=seed)
        _, more = train(model, prep, dataclasses.replace(cfg, max_time=left, seed=seed), device)
        if more.stopped in ("diverged", "interrupted") or not weights_finite(model.field_):
            break  # that network is dropped (one NaN member would make the mean NaN); the ones before are kept
        fields.append(model.field_)
        records.append(record(more))
        left -= more.seconds
    model.members_ = given if len(fields) == 1 else 1
    model.field_ = fields[0]
    if len(fields) > 1:
        average(model, fields)
    return records


def time_for_another(first: float, left: float, share: float | None = None) -> bool:
    """Whether ``left`` seconds afford another network: at least ``share`` (:data:`FILL_SHARE`) of the ``first`` one's.

    Examples
    --------
    >>> time_for_another(40.0, 15.0), time_for_another(45.0, 10.0), time_for_another(40.0, 15.0, share=0.5)
    (True, False, False)
    """
    return left >= (FILL_SHARE if share is None else share) * first


def record(result) -> dict:
    best = float(result.best_val)
    return {"seconds": float(result.seconds), "stopped": result.stopped,
            "best_val_loss": best if math.isfinite(best) else None}


def average(model, fields) -> None:
    """``field_``: the networks of ``fields`` stacked into one :class:`~geoinr.nn.ensemble.Ensemble`, the
    module ``n_members`` builds (so a saved model loads as a mean of that many networks). A field that is
    itself a mean of networks gives its members: each network counts once in the mean."""
    networks = [n for f in fields for n in (f.network.unstack() if isinstance(f.network, Ensemble) else [f.network])]
    model.members_ = len(networks)
    model.field_ = Field(fields[0].encoding, Ensemble(networks)).eval()
