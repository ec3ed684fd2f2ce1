"""``min_wavelength="search"``: the model's scales chosen by the error on held-out passes.

The sampling rule (:func:`geoinr.scales.default_scales`) gives a first pair
(``min_wavelength`` km, ``min_period`` days) from how densely the data sample
space and time. It knows nothing of the ocean: the field may be smoother or
rougher than the sampling. So, as OI users tune their covariance scales, a few
multiples of the rule's pair are each fitted briefly on most of the data and
scored on the rest: whole satellite passes (or, for data that are not
along-track, space-time boxes) never seen by that fit. The pair with the
smallest held-out RMSE -- or, of the pairs within one standard error of it,
the closest to the rule's -- is then fitted on all the data.

The search runs in two stages:

1. the wavelength (the period scaled along with it, keeping the rule's speed):
   the rule's, then :data:`WAVELENGTH_STEP` times it; then one more step in
   the better direction (shorter again, or longer than the rule), so
   :data:`WAVELENGTH_FITS` fits reach from half to 1.4 times the rule;
2. for records long enough to resolve it (at least :data:`MIN_PERIODS_IN_RECORD`
   periods), the period alone at :data:`PERIOD_FACTORS` times the best one.

It spends :data:`SEARCH_SHARE` of ``max_time`` (or of ``epochs``), split evenly
between the candidates; the final fit gets the rest. The candidates are
data-only fits (no physics, no uncertainty) with the model's network, width,
depth, precision and seed. What was tried is in ``model.scale_search_``.

It is opt-in: on the real-data benchmark (``benchmarks/real_ssh.py``, four-day
cases) it stayed within the run-to-run spread of the rule, and brief fits,
which favour short scales because those fit faster, rank the candidates
differently from a full fit (``benchmarks/RESULTS.md``).
"""
from __future__ import annotations

import time as _time

import numpy as np
from sklearn.base import clone

from .. import coords as _coords
from ..frames import progress_bar
from ..scales import default_scales
from .held_out import satellite_passes, validation_blocks
from .params import seed_in_force

__all__ = ["SEARCH", "search_scales", "held_out_mask"]

SEARCH = "search"  # the value of min_wavelength that asks for the search
WAVELENGTH_STEP = 0.7  # stage 1: ratio of successive wavelengths (and periods) tried
WAVELENGTH_FITS = 3  # stage 1: the rule's, one step shorter, one more step in the better direction
PERIOD_FACTORS = (0.5, 2.0)  # stage 2: multiples of the best period, wavelength fixed
MIN_PERIODS_IN_RECORD = 2.0  # stage 2 runs when the record spans at least this many (rule) periods
SEARCH_SHARE = 1.0 / 3.0  # of max_time (or epochs) planned for the search
MAX_SHARE = 2.0 / 3.0  # the most of the budget taken from the fit after the search, whatever the search overran
HELD_OUT_SHARE = 0.15  # of the passes (or boxes) held out
MIN_HELD_OUT_GROUPS = 3  # passes or boxes
MIN_POINTS = 200  # fewer observations than this: no search, the rule's scales


def held_out_mask(model, table: _coords.PointTable, seed):
    """Points to hold out from the search's fits: whole passes (space-time boxes when not along-track).

    Parameters
    ----------
    model : geoinr.INRModel
        The estimator being fitted (``region_`` set; used for the boxes).
    table : geoinr.coords.PointTable
        Its observations.
    seed : int or None
        Seed of the choice of held-out groups.

    Returns
    -------
    tuple or None
        (boolean mask of the held-out points, ``"passes"`` or ``"space-time boxes"``,
        the group label of each held-out point); None when there are fewer than
        twice :data:`MIN_HELD_OUT_GROUPS` groups.

    Examples
    --------
    >>> import geoinr
    >>> from geoinr.coords import find_coords, points_from_xarray
    >>> tracks = geoinr.datasets.synthetic_tracks(days=10, seed=0)
    >>> table, _ = points_from_xarray(tracks, ["sla"], find_coords(tracks))
    >>> test, kind, groups = held_out_mask(geoinr.INRModel(), table, seed=0)
    >>> kind, bool(0.1 < test.mean() < 0.3)
    ('passes', True)
    """
    groups = satellite_passes(table.coordinates())
    kind = "passes"
    if groups is None:
        groups, kind = validation_blocks(table, model.region_), "space-time boxes"
    labels = np.unique(groups)
    n_held = max(MIN_HELD_OUT_GROUPS, int(round(HELD_OUT_SHARE * labels.size)))
    if labels.size < 2 * n_held:
        return None
    held = np.random.default_rng(seed).choice(labels, n_held, replace=False)
    test = np.isin(groups, held)
    return test, kind, groups[test]


def _candidate_budget(model, n_candidates: int) -> dict:
    """max_time / epochs of one candidate fit: an even split of the search's share of the model's budget."""
    max_time = None if model.max_time is None else model.max_time * SEARCH_SHARE / n_candidates
    epochs = None if model.epochs is None else max(1, int(model.epochs * SEARCH_SHARE / n_candidates))
    return {"max_time": max_time, "epochs": epochs}


def _mean_group_error(per_group: np.ndarray) -> float:
    """Mean over the held-out groups of their mean squared error (inf where none is finite)."""
    finite = per_group[np.isfinite(per_group)]
    return float(finite.mean()) if finite.size else float("inf")


def _spent_share(model, budget: dict, fits: int, seconds: float) -> float:
    """The share of the model's budget the search spent (its epochs, or its seconds), at most :data:`MAX_SHARE`.

    Each candidate has at least one epoch, and a brief fit overruns its time budget by its
    set-up, so the search can spend more than :data:`SEARCH_SHARE`; the fit after it gets what is left.

    Examples
    --------
    >>> import geoinr
    >>> _spent_share(geoinr.INRModel(epochs=4, max_time=None), {"epochs": 1, "max_time": None}, 3, 0.5)
    0.6666666666666666
    """
    shares = []
    if model.epochs is not None and budget["epochs"] is not None:
        shares.append(budget["epochs"] * fits / model.epochs)
    if model.max_time is not None:
        shares.append(seconds / model.max_time)
    return float(min(max(shares, default=SEARCH_SHARE), MAX_SHARE))


def _held_out_errors(model, table, train: np.ndarray, groups: np.ndarray, wavelength: float, period: float | None,
                     budget: dict, gridded: bool = False) -> tuple[float, np.ndarray]:
    """A brief fit's RMSE on the held-out points and its mean squared error on each held-out group.

    Errors are in standard deviations of each variable, averaged over the variables.
    """
    candidate = clone(model).set_params(
        min_wavelength=wavelength, min_period=period, validation=0.0, uncertainty=None, physics=None,
        progress=False, seed=seed_in_force(model), **budget,  # (seed=None: the seed the fit drew, seed_)
    )
    # the network of the whole record's fit (network_choice.large_record): its size, and whether it came as a grid
    candidate._record_points, candidate._record_gridded = model.n_points_, bool(gridded)
    coords = {"lon": table.lon[train], "lat": table.lat[train]}
    if table.time is not None:
        coords["time"] = table.time[train]
    candidate.fit(coords, table.values[train])
    if candidate.stop_reason_ == "interrupted":  # Ctrl-C: the whole fit stops (its training ended the candidate's)
        raise KeyboardInterrupt(
            "Ctrl-C during the scale search (min_wavelength='search'): no network of the whole record was fitted yet, "
            "so there is no model to keep (the search's brief fits are not one); this estimator is unfitted.")
    test = ~train
    where = {"lon": table.lon[test], "lat": table.lat[test]}
    if table.time is not None:
        where["time"] = table.time[test]
    # the network's own values: the held-out points lie inside the whole record's extent, where its model holds nothing
    pred = np.asarray(candidate.predict(where, outside="extrapolate"), dtype=float).reshape(test.sum(), -1)
    truth = table.values[test].reshape(pred.shape)
    std = np.where(np.asarray(model.std_) > 0, np.asarray(model.std_), 1.0)
    sq = ((pred - truth) / std) ** 2
    seen = np.isfinite(sq)
    labels, index = np.unique(groups, return_inverse=True)
    if not seen.any():
        return float("inf"), np.full(labels.size, np.inf)
    sq = np.where(seen, sq, 0.0)
    per_group = np.zeros(labels.size)
    for j in range(sq.shape[1]):
        total = np.bincount(index, sq[:, j], labels.size)
        count = np.bincount(index, seen[:, j].astype(float), labels.size)
        per_group += np.where(count > 0, total / np.maximum(count, 1), np.nan) / sq.shape[1]
    rmse = float(np.mean([np.sqrt(sq[seen[:, j], j].mean()) for j in range(sq.shape[1]) if seen[:, j].any()]))
    return rmse, per_group


def _within_one_se(candidates: list, key: str = "excess_in_se") -> list:
    """The candidates whose held-out error exceeds the best's by at most one standard error.

    The best has the lowest mean over the held-out groups of their mean squared error; the
    error difference to it is taken group by group (paired: the same held-out passes), and its
    standard error from its spread over the groups, as in the one-standard-error rule of
    cross-validation (Breiman et al. 1984). Each candidate's excess, in standard errors, is
    recorded under ``key`` (each stage of the search has its own).
    """
    best = min(candidates, key=lambda c: _mean_group_error(c["_groups"]))
    ties = []
    for c in candidates:
        diff = c["_groups"] - best["_groups"]
        diff = diff[np.isfinite(diff)]
        se = diff.std(ddof=1) / np.sqrt(diff.size) if diff.size > 1 else 0.0
        # the excess over the best in standard errors (None where the groups give no spread to measure it)
        c[key] = float(diff.mean() / se) if se > 0 else (0.0 if diff.size and diff.mean() == 0 else None)
        if diff.size == 0 or diff.mean() <= se:
            ties.append(c)
    return ties


def search_scales(model, table: _coords.PointTable, gridded: bool = False) -> dict | None:
    """Choose ``min_wavelength`` (and ``min_period``) by held-out error; None when the data are too few.

    ``model`` is the estimator being fitted (its frame already learned:
    ``region_``, ``std_``); ``table`` its observations in memory, ``gridded`` whether they came
    as a grid (the candidates, fitted from their columns, then build a grid's network). Returns the
    record stored as ``model.scale_search_``: the rule's pair, the held-out
    groups, every candidate with its held-out RMSE (standard deviations) and the
    chosen pair. A ``min_period`` given as a number is kept and not searched.

    Examples
    --------
    >>> import geoinr
    >>> from geoinr.model.scale_search import search_scales
    >>> tracks = geoinr.datasets.synthetic_tracks(days=6, seed=0)
    >>> m = geoinr.INRModel(min_wavelength="search", width=16, depth=1, epochs=30, max_time=None, progress=False)
    >>> m = m.fit(tracks, "sla")
    >>> record = m.scale_search_
    >>> record["min_wavelength"] in [c["min_wavelength"] for c in record["candidates"]]
    True
    """
    if len(table) < MIN_POINTS:
        return None
    held = held_out_mask(model, table, seed_in_force(model))
    if held is None:
        return None
    test, kind, groups = held
    train = ~test
    t0 = _time.perf_counter()
    rule_wl, rule_per = default_scales(table.lon, table.lat, table.time)
    fixed_period = model.min_period if model.min_period is not None else None
    has_time = table.time is not None
    span = float(np.ptp(table.time)) if has_time else 0.0
    period_stage = has_time and fixed_period is None and span >= MIN_PERIODS_IN_RECORD * rule_per
    n_candidates = WAVELENGTH_FITS + (len(PERIOD_FACTORS) if period_stage else 0)
    budget = _candidate_budget(model, n_candidates)

    def period_for(factor):
        if not has_time:
            return None
        return fixed_period if fixed_period is not None else rule_per * factor

    candidates = []
    # the candidates fit quietly: one bar over them (a third of the budget showed nothing: a review)
    bar = progress_bar()(total=n_candidates, desc="scale search", unit="fit", leave=False) if model.progress else None

    def try_scales(wl, per):
        try:
            rmse, per_group = _held_out_errors(model, table, train, groups, wl, per, budget, gridded)
        except BaseException:  # (Ctrl-C: the bar closed before the message)
            if bar is not None:
                bar.close()
            raise
        if bar is not None:
            bar.update(1)
        candidates.append({"min_wavelength": wl, "min_period": per, "rmse": rmse, "_groups": per_group})
        return rmse

    def try_factor(f):
        return try_scales(rule_wl * f, period_for(f))

    factor, current = 1.0, try_factor(1.0)
    step, turned = WAVELENGTH_STEP, False  # shorter first: the rule follows the sampling, the ocean is often finer
    while len(candidates) < WAVELENGTH_FITS:
        rmse = try_factor(factor * step)
        if rmse < current:
            factor, current = factor * step, rmse  # better: keep walking this way
        elif not turned and len(candidates) == 2:
            step, turned = 1.0 / step, True  # the first step was worse: walk the other way from the rule
        else:
            break  # worse after an improvement: the best is bracketed
    # leave the rule only as far as the evidence demands: of the candidates as good as the best (within
    # one standard error), the closest to the rule's scales (brief fits favour short scales, which fit
    # faster, and a few held-out passes cannot tell close candidates apart)
    best = min(_within_one_se(candidates), key=lambda c: abs(np.log(c["min_wavelength"] / rule_wl)))
    if period_stage:
        period = best["min_period"]
        for f in PERIOD_FACTORS:
            try_scales(best["min_wavelength"], period * f)
        same = [c for c in candidates if c["min_wavelength"] == best["min_wavelength"]]
        best = min(_within_one_se(same, key="period_excess_in_se"), key=lambda c: abs(np.log(c["min_period"] / period)))
    if bar is not None:
        bar.close()
    for c in candidates:
        c.pop("_groups")
    return {
        "rule_min_wavelength": float(rule_wl),
        "rule_min_period": None if rule_per is None else float(rule_per),
        "held_out": kind,
        "held_out_points": int(test.sum()),
        "candidates": [{k: (None if v is None else float(v)) for k, v in c.items()} for c in candidates],
        "choice": "of the scales whose held-out error is within one standard error (over the held-out groups) "
                  "of the best, the closest to the rule's",
        "min_wavelength": float(best["min_wavelength"]),
        "min_period": None if best["min_period"] is None else float(best["min_period"]),
        "seconds": float(_time.perf_counter() - t0),
        "budget_share": _spent_share(model, budget, len(candidates), _time.perf_counter() - t0),
    }
