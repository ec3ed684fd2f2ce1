"""A fitted field's calibrated error: measured on held-out data after training, applied at prediction.

:func:`calibrate_field` fits the calibration of a trained field on its held-out
points (whole satellite passes, or blocks of space and time); :class:`CalibratedError`
turns the stored parameters back into a standard deviation (:meth:`CalibratedError.std`)
and into smooth random error fields for draws (:meth:`CalibratedError.gap_field`).
Numpy for the statistics; torch only to evaluate the field.
"""
from __future__ import annotations

import warnings

import numpy as np
import torch

from ..frames import GeoinrWarning, user_stacklevel
from ..geometry import space_time_km, speed_km_per_day
from .calibration import DataDistance, calibrate, calibrate_gap, correlation_length, gap_fraction, noise_variance

__all__ = ["calibrate_field", "CalibratedError"]

GAP_FIELD_VALUES = 4_000_000  # sample(): cosines evaluated at once (memory ~ 32 MB)
GAP_SATURATION = 3.0  # gap lengths past which the gap term is whole (1 - exp(-(d/l)^4): 1 in float64 past 3 l)
GAP_FEATURES = 256  # random Fourier features per draw of the gap error field (sample())
VARIOGRAM_LAGS = 3  # the variogram behind the gap length reaches VARIOGRAM_LAGS min_wavelengths
GAP_CELLS = 20  # data sites for distances are thinned to cells of min_wavelength / GAP_CELLS
EVAL_CHUNK = 65536  # points per forward pass when evaluating held-out points
MIN_HELD_OUT = 20  # fewer held-out points than this: calibrate on the training points
FEW_HELD_OUT = 5  # ... their errors may still raise its scale where a variable has this many of its own (not 1-2)


@torch.no_grad()
def _held_out_predictions(standardized, x, idx, dev):
    parts = [standardized(x[idx[s : s + EVAL_CHUNK]].to(dev)) for s in range(0, len(idx), EVAL_CHUNK)]
    mean = torch.cat([p[0] for p in parts]).cpu().numpy()
    var = torch.cat([p[1] for p in parts]).cpu().numpy()
    return mean, var


def _training_sites(xyz, tidx, w, k, cell):
    """Per variable, where the model was trained (a variable may be missing where another was observed)."""
    if w is None:
        return [DataDistance.from_points(xyz[tidx], cell_km=cell)] * k
    return [DataDistance.from_points(xyz[tidx[w[tidx, j].numpy() > 0]], cell_km=cell) for j in range(k)]


def _few_held_out_scales(standardized, x, y, w, val_idx, dev, predicted=None) -> list:
    """Per variable, the variance scale the errors at a few held-out points call for (:func:`calibrate`), or None
    where the variable has fewer than :data:`FEW_HELD_OUT` of its own (one or two set no scale). ``predicted``: the
    (mean, variance) at ``val_idx`` where they are computed already."""
    mean, var = predicted if predicted is not None else _held_out_predictions(standardized, x, val_idx, dev)
    yv = y[val_idx].numpy()
    obs = np.ones_like(yv, dtype=bool) if w is None else w[val_idx].numpy() > 0
    return [calibrate(var[obs[:, j], j], (yv[obs[:, j], j] - mean[obs[:, j], j]) ** 2)[0]
            if obs[:, j].sum() >= FEW_HELD_OUT else None for j in range(yv.shape[1])]


def _calibrate_variable(j, *, var, resid, held, xyz, yall, seen, trained, near, enc, seed, groups, on_val,
                        deadline=None, few_scale=None):
    """Calibration parameters of variable ``j`` from its held-out residuals (the training points' without enough
    held-out points, scaled up to ``few_scale``, a few held-out points' scale, where that is larger)."""
    # measurement noise from near-coincident observations
    s2_nn = noise_variance(xyz[seen], yall[seen, j], max_distance_km=enc["min_wavelength"] / 10.0)
    # the error's length is the field's correlation length (interpolation error theory), measured on all
    # training observations: steadier than fitting it to a few held-out passes
    train = trained & seen
    ell, nugget = correlation_length(
        xyz[train], yall[train, j], max_lag_km=VARIOGRAM_LAGS * enc["min_wavelength"], seed=seed, return_nugget=True
    )
    # no near-coincident pairs (scattered data): the variogram's nugget is the noise; an intercept of the
    # residuals would take the error in the gaps for noise (an overfitted network's training residuals hold none)
    s2 = s2_nn if s2_nn is not None else nugget if nugget is not None else calibrate(var, resid**2)[1]
    signal = max(float(np.var(yall[seen, j])) - s2, 1e-6)
    if not on_val:  # no held-out points: nothing to fit the error to
        # residuals at the training points sit below the error between them: a scale fitted to them shrinks the
        # std towards 0, so it may only grow the network's own spread (no held-out points to measure it on)
        c = calibrate(var, resid**2, noise=s2_nn)[0]
        c = max(c, 1.0, few_scale if few_scale is not None else 0.0)
        cal = {"variance_scale": c, "gap_variance": 0.0, "gap_length_km": 1.0, "noise_variance": s2}
        if ell is not None:  # the interpolation error between the data as the variogram gives it, unfitted
            cal.update(gap_variance=signal, gap_length_km=float(ell), gap_length_from="variogram")
        return cal
    dist = near(xyz[held])
    cal = calibrate_gap(var, resid, dist, noise=s2, signal=signal, length=ell, coords_km=xyz[held],
                        groups=None if groups is None else groups[held], deadline=deadline)
    cal["gap_length_from"] = "likelihood" if ell is None else "variogram"
    return cal


def calibrate_field(standardized, field, trainer, x, y, w, encoding_config: dict, seed, held_out: str, groups,
                    sites=None, deadline=None, names=None):
    """Calibrate a trained field's variance on its held-out points.

    Parameters
    ----------
    standardized : callable
        Raw coordinates (b, d) tensor -> (mean, variance) in standardized units.
    field : torch.nn.Module
        The trained field (its device is used).
    trainer : geoinr.training.Trainer
        Gives ``all_train_idx`` and ``all_val_idx`` (the whole split: every rank's under torchrun).
    x, y, w : torch.Tensor
        Raw coordinates, standardized values and the observed mask (or None).
    encoding_config : dict
        With ``min_wavelength`` (km) and ``min_period`` (days): the space-time metric.
    seed : int or None
    held_out : {"passes", "blocks"}
        What the held-out groups are.
    groups : numpy.ndarray or None
        Group label of every point (the map's errors are correlated within each).
    sites : torch.Tensor, optional
        Given when the held-out points joined the training at its end (``field`` then holds the
        weights from before): the indices of every point, which the returned distance term
        measures from (else the training points), and the label ``on`` says so.
    deadline : float, optional
        A ``time.perf_counter()`` time where the likelihood's maximisation stops (:func:`calibrate_gap`).
    names : list of str, optional
        The variables' names, for the warning of one held out at too few points of its own.

    Returns
    -------
    calibration : dict
        One list per parameter, a value per variable (see ``INRModel.calibration_``).
    data_distance : list of DataDistance or None
        The training sites per variable, when a distance term was fitted.
    """
    dev = next(field.parameters()).device
    train_idx, val_idx = trainer.all_train_idx, trainer.all_val_idx
    on_val = len(val_idx) >= MIN_HELD_OUT
    if not on_val:
        warnings.warn(
            f"{len(val_idx)} held-out points (fewer than {MIN_HELD_OUT}): the standard deviation cannot be "
            "calibrated against unseen data. It is the network's own spread (scaled up to the errors at the training "
            f"points, or at those few held-out points where {FEW_HELD_OUT} or more are larger) plus, where the "
            "observations' variogram "
            "gives a length, an error that grows away from them to the field's variance over that length, neither "
            "checked against unseen data. Fit with validation > 0 and enough points to hold some out (the default "
            "'auto' holds out 10 % of the passes or boxes) for a calibrated std.",
            GeoinrWarning, stacklevel=user_stacklevel(),
        )
    idx = val_idx if on_val else train_idx
    mean, var = _held_out_predictions(standardized, x, idx, dev)
    yv = y[idx].numpy()
    obs = np.ones_like(yv, dtype=bool) if w is None else w[idx].numpy() > 0
    speed = speed_km_per_day(encoding_config["min_wavelength"], encoding_config.get("min_period"))
    xyz = space_time_km(x.numpy().astype(np.float64), speed)
    tidx = train_idx.numpy()
    nears = _training_sites(xyz, tidx, w, yv.shape[1], encoding_config["min_wavelength"] / GAP_CELLS)
    yall = y.numpy()
    trained = np.zeros(len(yall), bool)
    trained[tidx] = True
    cals = []
    # the few-points fallback's scales: the training points' errors (which an overfitted network nearly passes
    # through), raised to those at the few held-out points where a variable has FEW_HELD_OUT or more of its own (34 %
    # of a sparse salinity's gap errors within 1 std with an ensemble alone, benchmarks/joint_coverage.py)
    short = not on_val or bool((obs.sum(axis=0) < MIN_HELD_OUT).any())  # (a variable falls back: else none needed)
    few = _few_held_out_scales(standardized, x, y, w, val_idx, dev, (mean, var) if on_val else None) \
        if short and len(val_idx) else None
    train_pred = None
    for j in range(yv.shape[1]):
        o = obs[:, j]
        # a variable observed at few of the held-out points (a sparse salinity beside a dense sea level) gets the
        # fallback of a fit with none: fitted to so few, its std came out uncalibrated, 4-22 % of its gaps' errors
        # within 1 std, in silence (a review)
        own = on_val and int(o.sum()) >= MIN_HELD_OUT
        if on_val and not own:
            name = names[j] if names is not None else f"number {j + 1}"
            warnings.warn(
                f"Variable {name!r}: {int(o.sum())} held-out points of its own (fewer than {MIN_HELD_OUT}): its "
                "standard deviation is the network's spread (scaled up to its errors at the training points, or at "
                f"its few held-out points where {FEW_HELD_OUT} or more are larger) plus, where its variogram gives a "
                "length, an error growing away from its observations, not calibrated against unseen data. Fit it "
                "alone, or with more of it observed, for a calibrated std.",
                GeoinrWarning, stacklevel=user_stacklevel())
        if own or not on_val:  # (a fit without enough held-out points: training residuals, as its idx holds)
            v_j, r_j, held_j = var[o, j], yv[o, j] - mean[o, j], idx.numpy()[o]
        else:  # this variable alone falls back: its training residuals
            if train_pred is None:
                train_pred = _held_out_predictions(standardized, x, train_idx, dev)
            t_obs = np.ones(len(train_idx), bool) if w is None else w[train_idx, j].numpy() > 0
            v_j = train_pred[1][t_obs, j]
            r_j = y[train_idx].numpy()[t_obs, j] - train_pred[0][t_obs, j]
            held_j = train_idx.numpy()[t_obs]
        cals.append(_calibrate_variable(
            j, var=v_j, resid=r_j, held=held_j, xyz=xyz, yall=yall,
            seen=np.ones(len(yall), bool) if w is None else w[:, j].numpy() > 0, trained=trained, near=nears[j],
            enc=encoding_config, seed=0 if seed is None else int(seed), groups=groups, on_val=own, deadline=deadline,
            few_scale=None if own or few is None else few[j],
        ))
    keys = ("variance_scale", "noise_variance", "gap_variance", "gap_length_km", "error_length_km", "error_floor")
    calibration = {key: [cal.get(key) for cal in cals] for key in keys}
    calibration["gap_length_from"] = [cal.get("gap_length_from", "none") for cal in cals]
    calibration["speed_km_per_day"] = speed
    joined = ", before they joined the training" if sites is not None else ""  # scored with the weights of then
    calibration["on"] = f"validation {held_out}{joined}" if on_val else "training points"
    if not any(cal["gap_variance"] > 0 for cal in cals):
        return calibration, None
    if sites is not None:
        nears = _training_sites(xyz, sites.numpy(), w, yv.shape[1], encoding_config["min_wavelength"] / GAP_CELLS)
    return calibration, nears


class CalibratedError:
    """The calibrated error model of a fitted field: ``std^2 = c v + b + a g(d)`` per variable.

    Parameters
    ----------
    calibration : dict
        ``INRModel.calibration_``.
    data_distance : list of DataDistance or None
        ``INRModel.data_distance_``.
    k : int
        Number of variables.
    """

    def __init__(self, calibration: dict, data_distance, k: int):
        self.cal = calibration
        self.data_distance = data_distance
        self.k = k

    def floor(self) -> np.ndarray:
        """Error floor b per variable (standardized variance; 0 where none was fitted, as in older files)."""
        return np.array([b or 0.0 for b in self.cal.get("error_floor") or [0.0] * self.k])

    def has_gap(self) -> np.ndarray:
        """Per variable, whether the calibration has an error the network's variance does not hold (a gap term
        or a floor)."""
        return (np.asarray(self.cal.get("gap_variance") or [0.0] * self.k) > 0) | (self.floor() > 0)

    def gap_variance(self, xyz: np.ndarray) -> np.ndarray | None:
        """Variance (b, k) of the error the network's variance does not hold, at ``xyz`` km: the term that
        grows away from the data plus the floor; None without either."""
        if not np.any(self.has_gap()):
            return None
        gap = np.asarray(self.cal.get("gap_variance") or [0.0] * self.k)
        floor = self.floor()
        out = np.zeros((len(xyz), len(gap))) + floor
        dist = {}  # variables observed at the same sites share one search, to the longest length's saturation
        upper = GAP_SATURATION * max((float(ell) for a, ell in zip(gap, self.cal["gap_length_km"]) if a > 0),
                                     default=np.inf)
        for j, (a, ell) in enumerate(zip(gap, self.cal["gap_length_km"])):
            if a > 0:
                near = self.data_distance[j]
                if id(near) not in dist:
                    dist[id(near)] = near(xyz, upper)
                out[:, j] += a * gap_fraction(dist[id(near)], ell)
        return out

    def std(self, v: np.ndarray, chunk: np.ndarray) -> np.ndarray:
        """Calibrated standard deviation (standardized) from the network variance ``v`` (b, k) at raw ``chunk``."""
        total = np.asarray(self.cal["variance_scale"]) * v
        gap = self.gap_variance(space_time_km(chunk.astype(np.float64), self.cal["speed_km_per_day"]))
        return np.sqrt(total if gap is None else total + gap)

    def field_lengths(self) -> list:
        """The field's correlation length (km) per variable: the gap length where the variogram gave it (older files
        without the record too), None where it was fitted to the held-out passes' likelihood (the growth's distance
        scale, not a correlation length)."""
        sources = self.cal.get("gap_length_from") or ["variogram"] * self.k
        return [None if src == "likelihood" else float(ell) for src, ell in zip(sources, self.cal["gap_length_km"])]

    def error_lengths(self) -> np.ndarray:
        """Correlation length (km, space-time metric) of the gap error field per variable: the one measured along
        held-out passes (``error_length_km``), or half the gap length where the calibration had none (older files)."""
        measured = self.cal.get("error_length_km") or [None] * self.k
        return np.array([lam if lam is not None else 0.5 * ell for lam, ell in zip(measured, self.cal["gap_length_km"])])

    def gap_field(self, n: int, seed):
        """``n`` smooth random fields with the calibrated gap variance (standardized units), or None.

        Each draw is a Gaussian random field (random Fourier features of a Gaussian
        covariance, correlation length ``error_length_km``, the one measured along
        held-out passes, or ``gap_length_km / 2`` where the calibration had none, in
        the space-time metric of the calibration) times the standard deviation of the
        error the network's variance does not hold (:meth:`gap_variance`), so that
        draws add the error a map makes between tracks with the variance
        ``predict(return_std=True)`` reports.
        """
        cal, k = self.cal, self.k
        has = self.has_gap()
        if not np.any(has) or self.data_distance is None:
            return None
        rng = np.random.default_rng(None if seed is None else int(seed) + 1)
        speed = cal["speed_km_per_day"]
        dims = self.data_distance[0].sites.shape[1]
        m = GAP_FEATURES
        length = self.error_lengths()
        omega = rng.standard_normal((n, k, m, dims)) / length[None, :, None, None]
        phase = rng.uniform(0.0, 2.0 * np.pi, (n, k, m))
        # the cosines in float32 (twice as fast, 94 % of sample()'s time, a review): arguments of at most a few
        # hundred radians (km over the error's length) lose 1e-5 rad, nothing beside the field's own randomness
        omega32, phase32 = omega.astype(np.float32), phase.astype(np.float32)
        step = max(1, GAP_FIELD_VALUES // (n * m))  # the cosines of one pass stay near GAP_FIELD_VALUES numbers

        def field(chunk):
            xyz = space_time_km(chunk.astype(np.float64), speed)
            sd = np.sqrt(self.gap_variance(xyz))
            out = np.zeros((n, len(chunk), k))
            for j in np.flatnonzero(has):
                for s in range(0, len(chunk), step):
                    e = min(len(chunk), s + step)
                    waves = np.cos(np.einsum("pd,nmd->nmp", xyz[s:e].astype(np.float32), omega32[:, j])
                                   + phase32[:, j, :, None])
                    out[:, s:e, j] = np.sqrt(2.0 / m) * waves.sum(axis=1, dtype=np.float64) * sd[s:e, j]
            return out

        return field

    def comment(self, j: int, method: str, std: float, units: str) -> str:
        """How the standard deviation of variable ``j`` was made, for its ``comment`` attribute."""
        cal, k = self.cal or {}, self.k
        gap = (cal.get("gap_variance") or [0.0] * k)[j]
        b = (cal.get("error_floor") or [None] * k)[j]
        return (
            f"{method} estimate of the error of the field (not of a new observation: measurement "
            f"noise excluded), calibrated on "
            + ("the training points themselves (nothing held out, or too few points to calibrate on"
               + ("; the term that grows away from the data is the field's variance over its variogram's length, "
                  "unchecked" if gap > 0 else "") + "): "
               if cal.get("on") == "training points" else f"held-out {cal.get('on', 'validation points')}: ")
            + f"variance = {cal.get('variance_scale', [1.0])[j]:.3g} x network variance"
            + (
                f" + ({float(np.sqrt(gap)) * std:.3g} {units})^2 x (1 - exp(-(d / {cal['gap_length_km'][j]:.0f} "
                f"km)^4)), d the distance to "
                f"the nearest training observation (time at {cal['speed_km_per_day']:.3g} km per day)"
                if gap > 0 else ""
            )
            + (f" + ({float(np.sqrt(b)) * std:.3g} {units})^2" if b else "")
        )
