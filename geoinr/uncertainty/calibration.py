"""Calibration of predictive variances on held-out data (numpy and scipy; no torch, no xarray).

The network's variance, scaled, plus a term that grows with the distance to the
nearest training observation (:class:`DataDistance`, :func:`gap_fraction`), fitted
to whole held-out satellite passes (:func:`calibrate_gap`) so that errors smaller
than the measurement noise still show.

Near the data a map errs by much less than 1 cm altimeter noise, so point by
point the residuals hardly show that error; along a pass it is smooth and the
noise is not, and the likelihood of the pass separates the two as a variogram
separates nugget and sill. :func:`calibrate_gap` never shrinks the network's own
variance (``min_scale``): next to noisy data residuals cannot show that it is too
large. Fitting the gap variance :math:`a` as well was tried
(``benchmarks/calibration.py``): with the few passes a validation set holds,
:math:`c v` and :math:`a g` trade off and the fit swung between seeds.
"""
from __future__ import annotations

import dataclasses
import time
import warnings

import numpy as np
from threadpoolctl import threadpool_limits

from ..cpu_load import _cpus
from ..frames import GeoinrWarning, user_stacklevel

__all__ = ["DataDistance", "calibrate", "calibrate_gap", "correlation_length", "gap_fraction", "noise_variance"]


HALF_SILL_LAGS = float(np.sqrt(2.0 * np.log(2.0)))  # a Gaussian variogram reaches half its sill at this many lengths
# a variogram rising past this many times the observations' variance holds a slope (its length is then bounded):
# on one satellite's records of benchmarks/sparse_records.py 1.7-14.6 where the length ran long, on the dense
# four-day boxes of real_ssh.py 0.3-1.1 and on the built-in tracks 1.25-1.36 (benchmarks/RESULTS.md, 2026-12-06,
# seventh session)
SLOPE_RISE = 1.5


def correlation_length(
    coords_km: np.ndarray,
    values: np.ndarray,
    max_lag_km: float,
    max_points: int = 4000,
    seed: int = 0,
    return_nugget: bool = False,
):
    r"""Gaussian covariance length of the observed field, from its empirical variogram.

    Half the mean squared difference of pairs of observations, in bins of their
    distance (space and time in one metric, km) up to ``max_lag_km``, is fitted
    by least squares with :math:`\gamma(h) = n + s\,(1 - e^{-h^2 / 2\ell^2})`
    (nugget :math:`n`: measurement noise; sill :math:`s`: the field's
    variance). At most ``max_points`` observations (a random subset) enter the
    pairs. Where the variogram rises past :data:`SLOPE_RISE` times the
    observations' variance (a large-scale slope, a sparse record), the length is
    bounded by the distance where it first reaches half that variance (the
    nugget apart), over :data:`HALF_SILL_LAGS`.

    Parameters
    ----------
    coords_km : ndarray (n, k)
        Positions of the observations (km; time scaled to km).
    values : ndarray (n,)
        Observed values.
    max_lag_km : float
        Longest pair distance in the variogram.
    max_points : int
        Observations drawn at random (with ``seed``) when there are more.
    seed : int
        Seeds that draw.
    return_nugget : bool
        Also return the fitted nugget (noise variance, units of ``values`` squared).

    Returns
    -------
    float or None, or (float or None, float or None)
        :math:`\ell` (km), or None when there are too few pairs or the fit
        fails; with ``return_nugget``, ``(ell, nugget)`` (``(None, None)`` on
        failure).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = np.column_stack([np.arange(3000) * 2.0, np.zeros(3000)])  # 2 km apart along a line
    >>> k = np.exp(-0.5 * (np.arange(-150, 151) * 2.0 / 40.0) ** 2)
    >>> y = np.convolve(rng.standard_normal(3300), k / np.sqrt((k ** 2).sum()), "same")[150:3150]
    >>> ell = correlation_length(x, y, 200.0)  # white noise smoothed by exp(-h^2/2 40^2): l = 40 sqrt(2)
    >>> 45 < ell < 75
    True
    """
    from scipy.optimize import curve_fit
    from scipy.spatial import cKDTree

    xyz = np.asarray(coords_km, dtype=np.float64)
    y = np.asarray(values, dtype=np.float64)
    ok = np.isfinite(y) & np.isfinite(xyz).all(axis=1)
    xyz, y = xyz[ok], y[ok]
    if len(y) > max_points:
        keep = np.random.default_rng(seed).choice(len(y), max_points, replace=False)
        xyz, y = xyz[keep], y[keep]
    pairs = cKDTree(xyz).query_pairs(float(max_lag_km), output_type="ndarray")
    failed = (None, None) if return_nugget else None
    if len(pairs) < 200:
        return failed
    h = np.linalg.norm(xyz[pairs[:, 0]] - xyz[pairs[:, 1]], axis=1)
    g = 0.5 * (y[pairs[:, 0]] - y[pairs[:, 1]]) ** 2
    edges = np.linspace(0.0, float(max_lag_km), 31)
    which = np.digitize(h, edges) - 1
    count = np.bincount(which, minlength=31)[:30]
    full = count >= 10
    hb = (np.bincount(which, h, minlength=31)[:30] / np.maximum(count, 1))[full]
    gb = (np.bincount(which, g, minlength=31)[:30] / np.maximum(count, 1))[full]
    if len(hb) < 5:
        return failed

    def model(hh, nugget, sill, ell):
        return nugget + sill * -np.expm1(-0.5 * (hh / ell) ** 2)

    try:
        (nugget, _, ell), _ = curve_fit(model, hb, gb, p0=[gb[0], max(gb[-1] - gb[0], 1e-12), max_lag_km / 3.0],
                                   bounds=([0.0, 0.0, 1e-3 * max_lag_km], [np.inf, np.inf, 100.0 * max_lag_km]))
    except (RuntimeError, ValueError):
        return failed
    # a stationary field's variogram levels off at its variance; one that rises well past it holds a large-scale
    # slope (an ADT across a current, the few tracks of one satellite), which draws the fit's sill up and its
    # length out, without bound where it never levels off (a tropical day: 245,000 km). Its length is then at most
    # the Gaussian's for a variogram first reaching half the field's variance (the noise, the nugget, apart) where
    # this one does
    variance = float(np.var(y))
    if float(gb.max()) > SLOPE_RISE * variance and variance > nugget:  # half the field's variance, noise apart
        reached = np.flatnonzero(gb - nugget >= 0.5 * (variance - nugget))
        ell = min(ell, float(hb[reached[0]]) / HALF_SILL_LAGS)
    return (float(ell), float(nugget)) if return_nugget else float(ell)


def noise_variance(coords_km: np.ndarray, values: np.ndarray, max_distance_km: float) -> float | None:
    r"""White-noise variance from differences of near-coincident observations.

    For pairs of nearest neighbours closer than ``max_distance_km`` (space and time
    in one metric), the smooth signal cancels in :math:`y_i - y_j` and
    :math:`E[(y_i - y_j)^2] = 2 s^2`; a median (divided by 0.4549, the median of
    :math:`\chi^2_1`) keeps real gradients from leaking in. Returns None when too
    few such pairs exist (e.g. a regular grid coarser than the threshold).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = np.column_stack([np.arange(5000) * 6.0, np.zeros(5000)])  # 6 km along a track
    >>> y = np.sin(x[:, 0] / 300.0) + 0.1 * rng.standard_normal(5000)
    >>> round(noise_variance(x, y, 10.0), 3)
    0.01
    """
    from scipy.spatial import cKDTree

    coords_km = np.asarray(coords_km, dtype=np.float64)
    values = np.asarray(values, dtype=np.float64)
    if len(values) < 50:
        return None
    dist, idx = cKDTree(coords_km).query(coords_km, k=2)
    near = dist[:, 1] <= max_distance_km
    if near.sum() < 30:
        return None
    d2 = (values[near] - values[idx[near, 1]]) ** 2
    return float(np.median(d2) / 0.4549 / 2.0)


def calibrate(var: np.ndarray, resid2: np.ndarray, level: float = 0.6827, noise: float | None = None) -> tuple[float, float]:
    r"""Scale ``c`` and noise ``s^2`` so that held-out residuals :math:`r` are covered as a Gaussian would be.

    ``var`` is the model's predictive variance of the field and ``resid2`` the
    squared residuals against held-out observations, which carry measurement noise.
    First :math:`E[r^2] = c\,v + s^2` is fitted by least squares (both terms
    non-negative) to estimate the noise :math:`s^2`; then ``c`` is set so that a
    fraction ``level`` (68.27%, one standard deviation) of the held-out residuals
    satisfy :math:`|r| \le \sqrt{c\,v + s^2}`. Matching a coverage rather than a
    mean square keeps a few large errors from inflating every standard deviation.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> v = rng.uniform(0.1, 1.0, 20000)
    >>> r2 = (rng.standard_normal(20000) * np.sqrt(4 * v + 0.25)) ** 2
    >>> c, s2 = calibrate(v, r2)
    >>> round(c, 1), round(s2, 1)
    (4.0, 0.2)
    """
    v = np.asarray(var, dtype=np.float64).ravel()
    r = np.asarray(resid2, dtype=np.float64).ravel()
    ok = np.isfinite(v) & np.isfinite(r)
    v, r = v[ok], r[ok]
    if v.size < 3 or not np.any(v > 0):
        return 1.0, float(np.mean(r)) if r.size else 0.0
    A = np.column_stack([v, np.ones_like(v)])
    (c_ls, s2), *_ = np.linalg.lstsq(A, r, rcond=None)
    if noise is not None:
        s2 = noise
    s2 = float(min(max(s2, 0.0), np.quantile(r, level)))

    def covered(c):
        return float(np.mean(r <= c * v + s2))

    lo, hi = 0.0, max(float(c_ls), 1.0)
    while covered(hi) < level and hi < 1e12:
        hi *= 4.0
    for _ in range(60):  # bisection: coverage grows with c
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if covered(mid) < level else (lo, mid)
    return float(max(hi, 1e-12)), s2


class DataDistance:
    """Distance from any point to the nearest observation a model was trained on.

    Coordinates are Cartesian kilometres (geocentric x, y, z, and time times a
    speed in km/day, see ``geoinr.model._coords_km``), so one metric covers space
    and time. The observations are thinned to one site per cube of side
    ``cell_km`` (doubled until at most ``max_sites`` remain), which bounds the
    size of a saved model; distances are then exact to within a cell diagonal.

    Parameters
    ----------
    sites : ndarray (n, d)
        Kilometre coordinates of the (thinned) observation sites.

    Examples
    --------
    >>> xyz = np.column_stack([np.arange(0.0, 1000.0, 7.0), np.zeros(143)])  # a track, 7 km spacing
    >>> near = DataDistance.from_points(xyz, cell_km=20.0)
    >>> len(near.sites) < 143
    True
    >>> near(np.array([[500.0, 100.0]])).round(-1).tolist()
    [100.0]
    """

    def __init__(self, sites: np.ndarray):
        # float32: 0.5 m steps at the Earth's radius, half the size of a saved model's sites
        self.sites = np.ascontiguousarray(sites, dtype=np.float32)
        self._tree = None
        self._spacing = None

    @classmethod
    def from_points(cls, xyz_km: np.ndarray, cell_km: float, max_sites: int = 1_000_000) -> DataDistance:
        xyz = np.asarray(xyz_km, dtype=np.float64)
        cell = float(cell_km)
        if not cell > 0:
            raise ValueError(f"cell_km must be > 0, got {cell_km}")
        while True:
            _, first = np.unique(np.floor(xyz / cell).astype(np.int64), axis=0, return_index=True)
            if len(first) <= max_sites:
                return cls(xyz[np.sort(first)])
            cell *= 2.0

    def __call__(self, xyz_km: np.ndarray, upper_km: float = np.inf) -> np.ndarray:
        """Distance (km) from each row of ``xyz_km`` to the nearest site; ``inf`` where it is further than
        ``upper_km`` (a search that stops there: points far from every site were the slowest)."""
        if self._tree is None:
            from scipy.spatial import cKDTree

            self._tree = cKDTree(self.sites)
        d, _ = self._tree.query(np.asarray(xyz_km, dtype=np.float64), k=1, distance_upper_bound=upper_km,
                                workers=len(_cpus()) or 1)  # (the CPUs this process may use: -1 took every core)
        return d

    def spacing_km(self, max_sample: int = 20_000) -> tuple[float, float]:
        """Typical distance (km) between neighbouring sites in space, whatever their times, east-west and
        north-south: the median of the east and north components of the displacement from a site's position to
        its four nearest other positions, each taken along the axis it mostly lies on (of at most ``max_sample``
        sites drawn at random). A grid's two spacings for gridded data; along tracks, about the spacing along
        them (or the thinning cell).

        Examples
        --------
        >>> from geoinr.geometry import xyz_km
        >>> lon, lat = np.meshgrid(np.arange(0.0, 3.0, 0.25), np.arange(40.0, 43.0, 0.25))
        >>> near = DataDistance(xyz_km(lon.ravel(), lat.ravel()))
        >>> [round(s) for s in near.spacing_km()]  # 0.25 deg: 21 km east-west at 41.5 N, 28 km north-south
        [21, 28]
        """
        if getattr(self, "_spacing", None) is None:
            space = np.unique(self.sites[:, :3].astype(np.float64), axis=0)
            self._spacing = (0.0, 0.0)
            if len(space) > 1:
                from scipy.spatial import cKDTree

                pick = space[np.random.default_rng(0).permutation(len(space))[:max_sample]]
                _, idx = cKDTree(space).query(pick, k=min(5, len(space)))
                step = space[idx[:, 1:]] - pick[:, None, :]
                if space.shape[1] < 3:  # plane coordinates (x east, y north)
                    dx, dy = np.abs(step[..., 0]), np.abs(step[..., -1])
                else:  # geocentric: the local east and north unit vectors at each site
                    up = pick / np.maximum(np.linalg.norm(pick, axis=1, keepdims=True), 1e-12)
                    east = np.column_stack([-up[:, 1], up[:, 0], np.zeros(len(up))])
                    east /= np.maximum(np.linalg.norm(east, axis=1, keepdims=True), 1e-12)
                    north = np.cross(up, east)
                    dx = np.abs(np.einsum("nkc,nc->nk", step, east))
                    dy = np.abs(np.einsum("nkc,nc->nk", step, north))
                along_x, along_y = dx[dx >= dy], dy[dy > dx]
                sx = float(np.median(along_x)) if along_x.size else float(np.median(dy))
                sy = float(np.median(along_y)) if along_y.size else sx
                self._spacing = (sx, sy)
        return self._spacing

    def __getstate__(self):  # the tree is rebuilt on demand (pickles of a model stay small)
        return {"sites": self.sites, "_tree": None, "_spacing": None}


def gap_fraction(distance: np.ndarray, length: float) -> np.ndarray:
    r"""Share of the field's variance a map misses at ``distance`` from the data: :math:`1 - e^{-(d/\ell)^4}`.

    Between samples of a smooth field an interpolant errs by :math:`O(d^2)`
    (its curvature times the squared distance), so the error variance grows as
    :math:`d^4` near the data; far from every observation it saturates at the
    whole variance of the field, as optimal interpolation's formal error about one mean does.
    The fourth power was checked against maps with known truth (see
    ``benchmarks/calibration.py``): exponents 2 and 3 fit their errors worse.

    Examples
    --------
    >>> gap_fraction(np.array([0.0, 25.0, 50.0, 1000.0]), 50.0).round(3).tolist()
    [0.0, 0.061, 0.632, 1.0]
    """
    d = np.asarray(distance, dtype=np.float64)
    return -np.expm1(-((d / max(float(length), 1e-12)) ** 4))


def _error_blocks(coords_km: np.ndarray, groups: np.ndarray, max_block: int, max_points: int, seed: int = 0):
    """Indices of held-out points split into blocks whose errors are taken as correlated: one per group
    (a satellite pass, a block of space and time), long groups cut into runs of at most ``max_block``
    points along their longest extent; at most ``max_points`` points in all (whole blocks drawn at random)."""
    order = np.argsort(groups, kind="stable")  # one sort instead of a scan of all points per group
    blocks = []
    for idx in np.split(order, np.flatnonzero(groups[order][1:] != groups[order][:-1]) + 1):
        if len(idx) > max_block:
            xyz = coords_km[idx]
            axis = np.argmax(xyz.max(0) - xyz.min(0))
            idx = idx[np.argsort(xyz[:, axis], kind="stable")]
            blocks.extend(np.array_split(idx, int(np.ceil(len(idx) / max_block))))
        else:
            blocks.append(idx)
    if sum(len(b) for b in blocks) > max_points:
        order = np.random.default_rng(seed).permutation(len(blocks))
        keep, n = [], 0
        for i in order:
            if n >= max_points:
                break
            keep.append(blocks[i])
            n += len(blocks[i])
        blocks = keep
    return blocks


def _held_out(var, residuals, distance, coords_km, groups):
    """Finite held-out points as ``(v >= 0, r, d, xyz, group)``; ``xyz`` and ``group`` are None without groups."""
    v = np.asarray(var, dtype=np.float64).ravel()
    r = np.asarray(residuals, dtype=np.float64).ravel()
    d = np.asarray(distance, dtype=np.float64).ravel()
    ok = np.isfinite(v) & np.isfinite(r) & np.isfinite(d)
    xyz = lab = None
    if coords_km is not None and groups is not None:
        xyz = np.asarray(coords_km, dtype=np.float64).reshape(len(ok), -1)[ok]
        lab = np.asarray(groups).ravel()[ok]
    return np.maximum(v[ok], 0.0), r[ok], d[ok], xyz, lab


def _pointwise_nll(v, r, d, a: float, s2: float, tiny: float):
    """Mean Gaussian negative log-likelihood of independent residuals, a function of ``(c, ell)``."""
    r2 = r**2

    def nll(c, ell, lam=None, b=0.0):
        tot = c * v + a * gap_fraction(d, ell) + s2 + tiny
        return float(np.mean(np.log(tot) + r2 / tot))

    return nll


def _block_batches(xyz: np.ndarray, r: np.ndarray, blocks: list) -> list:
    """Blocks of similar size padded to one size: ``(idx, real, squared distances, residuals)`` per batch."""
    # blocks of similar size are padded to one size and factorized together (batched Cholesky): padding
    # rows carry unit variance, no correlation and zero residual, so they add nothing to the likelihood
    batches = []
    sizes = np.array([len(k) for k in blocks])
    edges = np.unique(np.ceil(1.25 ** np.arange(0, np.log(max(sizes.max(), 1)) / np.log(1.25) + 2)))
    for low, high in zip(np.r_[0, edges[:-1]], edges):  # sizes within 25 %: little padding
        members = [k for k, n_k in zip(blocks, sizes) if low < n_k <= high]
        if not members:
            continue
        top = max(len(k) for k in members)
        idx = np.zeros((len(members), top), dtype=np.int64)
        real = np.zeros((len(members), top), dtype=bool)
        for row, k in enumerate(members):
            idx[row, : len(k)], real[row, : len(k)] = k, True
        pos = xyz[idx]
        h2 = ((pos[:, :, None, :] - pos[:, None, :, :]) ** 2).sum(-1)
        batches.append((idx, real, h2, np.where(real, r[idx], 0.0)))
    return batches


def _block_nll(batches: list, n_used: int, v, d, a: float, s2: float, tiny: float):
    """Gaussian negative log-likelihood per point of blocks of correlated errors, a function of ``(c, ell, lam, b)``."""

    kernels = {}  # the correlations at the last lambda: the profile over a grid of lambda holds it for many steps

    def nll(c, ell, lam, b):
        if lam not in kernels:
            kernels.clear()
            kernels[lam] = [np.exp(-0.5 * h2 / lam**2) for _, _, h2, _ in batches]
        total = 0.0
        for (idx, real, _, rr), kernel in zip(batches, kernels[lam]):
            sd = np.sqrt(c * v[idx] + b + a * gap_fraction(d[idx], ell)) * real
            cov = sd[:, :, None] * kernel * sd[:, None, :]
            # noise on the diagonal (a little more keeps noise-free data factorizable at long lambda)
            nugget = s2 + tiny + 1e-6 * np.mean(sd**2, axis=1, keepdims=True)
            cov += np.where(real, nugget, 1.0)[:, :, None] * np.eye(idx.shape[1])
            try:
                chol = np.linalg.cholesky(cov)
            except np.linalg.LinAlgError:
                return np.inf
            z = _lower_solve(chol, rr[:, :, None])  # r' C^-1 r = |L^-1 r|^2
            total += 2.0 * float(np.log(np.diagonal(chol, axis1=1, axis2=2)).sum()) + float((z**2).sum())
        return total / n_used

    return nll


TRIANGULAR_MIN_SIZE = 32  # blocks of at least this many points: a triangular solve; smaller ones: a general one


def _lower_solve(chol: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    """``chol^-1 rhs`` for a stack of lower-triangular factors.

    SciPy (1.15 or later) solves a stack of triangular systems one matrix at a time in a Python loop: ten times faster
    than NumPy's general solve for 30 blocks of 100 points, but 6-50 times slower for hundreds of blocks of 2-10 points,
    which NumPy's solve takes in one call. Small blocks, and an older SciPy (2-D input only), take the general solve.
    """
    if chol.shape[-1] >= TRIANGULAR_MIN_SIZE:
        from scipy.linalg import solve_triangular

        try:
            return solve_triangular(chol, rhs, lower=True, check_finite=False)
        except ValueError:  # an older SciPy takes one matrix at a time
            pass
    return np.linalg.solve(chol, rhs)


@dataclasses.dataclass(frozen=True)
class _GapParameters:
    """Maps the optimizer's free parameters to ``(c, ell, lambda, b)``, each on the scale of the data."""

    c_min: float
    v_ref: float
    d_ref: float
    b_ref: float
    lfix: float | None  # log(ell / d_ref) when ell is given
    grouped: bool

    @classmethod
    def of(cls, v, r, d, c_min: float, length: float | None, grouped: bool) -> _GapParameters:
        """References from the held-out data: median distance, mean variance and mean squared residual."""
        d_ref = float(np.median(d[d > 0]))
        v_ref = max(float(np.mean(v)), 1e-12)
        b_ref = max(float(np.mean(r**2)), 1e-12)  # the residuals' scale: reference of the floor b
        lfix = None if length is None else np.log(max(float(length), 1e-12) / d_ref)
        return cls(c_min, v_ref, d_ref, b_ref, lfix, grouped)

    def scale(self, q):  # c = c_min + e^q / v_ref: positive, on the scale of the residuals
        return self.c_min + np.exp(np.clip(q, -50.0, 50.0)) / self.v_ref

    def length(self, q):
        return self.d_ref * np.exp(np.clip(q, -20.0, 20.0))

    # free parameters, in this order: log c-excess, [log l / d_ref], [log b / b_ref, log lambda / d_ref]
    def unpack(self, p):
        p = list(p)
        c = self.scale(p.pop(0))
        ell = self.length(self.lfix if self.lfix is not None else p.pop(0))
        if not self.grouped:
            return c, ell, None, 0.0
        b = self.b_ref * np.exp(np.clip(p.pop(0), -40.0, 10.0))
        lam = self.d_ref * np.exp(np.clip(p.pop(0), np.log(0.05), np.log(20.0)))  # 0.05 to 20 times the typical distance
        return c, ell, lam, b


class _OutOfTime(Exception):
    """The calibration's deadline passed: the optimizers return the best point they evaluated."""


@dataclasses.dataclass
class _Deadline:
    """A wall-clock limit (``time.perf_counter()`` seconds, or None) on the likelihood's maximisation, which may
    stop it only after :data:`MIN_EVALUATIONS` evaluations; ``cut`` records that it did."""

    at: float | None = None
    evaluations: int = 0
    cut: bool = False

    def check(self) -> None:
        self.evaluations += 1
        if self.at is not None and self.evaluations > MIN_EVALUATIONS and time.perf_counter() > self.at:
            self.cut = True
            raise _OutOfTime


MIN_EVALUATIONS = 300  # likelihood evaluations made whatever the deadline (about three points of the profile over
# lambda, the middle ones; 0.4 s on the built-in case)


def _fit_from(nll, params: _GapParameters, p0, xatol=1e-4, maxiter=2000, fixed=(), deadline: _Deadline | None = None):
    """Nelder-Mead minimum of ``nll`` over the free parameters from ``p0`` (``fixed`` appended, not fitted); past
    ``deadline``, the best point evaluated so far."""
    from types import SimpleNamespace

    from scipy.optimize import minimize

    best = SimpleNamespace(x=np.array(p0, dtype=float), fun=np.inf)

    def f(p):
        if deadline is not None:
            deadline.check()
        value = nll(*params.unpack(list(p) + list(fixed)))
        if value < best.fun:
            best.x, best.fun = np.array(p, dtype=float), value
        return value

    try:
        return minimize(f, np.array(p0), method="Nelder-Mead",
                        options={"xatol": xatol, "fatol": 1e-8, "maxiter": maxiter})
    except _OutOfTime:
        return best


def _fit_scale(nll, params: _GapParameters) -> list:
    """Free parameters at the likelihood's optimum over ``c`` alone (``ell`` known, independent errors)."""
    from scipy.optimize import minimize_scalar

    v_ref, ell = params.v_ref, params.length(params.lfix)
    res = minimize_scalar(lambda q: nll(params.scale(q), ell), bounds=(np.log(v_ref) - 30.0, np.log(v_ref) + 30.0),
                          method="bounded", options={"xatol": 1e-6})
    return [res.x]


def _fit_profile_lambda(nll, params: _GapParameters, deadline: _Deadline | None = None) -> list:
    """Free parameters at the grouped likelihood's optimum, started from the best of a grid of ``lambda`` (past
    ``deadline``: the best evaluated so far)."""
    # the likelihood has several local optima in lambda: profile it on a grid first
    best = None
    start = [np.log(params.v_ref)] + ([] if params.lfix is not None else [0.0]) + [np.log(0.1)]
    grid = np.log(np.geomspace(0.1, 10.0, 9))
    for m0 in grid[np.argsort(np.abs(grid), kind="stable")]:  # from the typical distance out: a deadline cuts the far ends
        res = _fit_from(nll, params, start, xatol=1e-2, maxiter=300, fixed=(m0,), deadline=deadline)
        if best is None or res.fun < best[1]:
            best = (list(res.x) + [m0], res.fun)
        if deadline is not None and deadline.cut:
            return best[0]
    return list(_fit_from(nll, params, best[0], deadline=deadline).x)


def _fit_multistart(nll, params: _GapParameters) -> list:
    """Free parameters at the best of Nelder-Mead fits of ``(c, ell)`` from a few starts (independent errors)."""
    best = None
    for q0 in (np.log(params.v_ref) - 2.0, np.log(params.v_ref) + 1.0):
        for l0 in (-1.0, 0.0, 1.0, 2.0):
            res = _fit_from(nll, params, [q0, l0])
            if best is None or res.fun < best.fun:
                best = res
    return list(best.x)


def calibrate_gap(
    var: np.ndarray, residuals: np.ndarray, distance: np.ndarray, noise: float, signal: float,
    min_scale: float = 1.0, gap: float | None = None, length: float | None = None,
    coords_km: np.ndarray | None = None, groups: np.ndarray | None = None, max_block: int = 256, max_points: int = 2048,
    deadline: float | None = None,
) -> dict:
    r"""Calibrate a predictive variance that grows away from the data.

    The variance of the field's error at a point is modelled as

    .. math:: \sigma^2(x) = c\,v(x) + a\,g(d(x)),\qquad g(d) = 1 - e^{-(d/\ell)^4},

    with :math:`v` the network's own variance (ensemble spread or Bayesian last
    layer), :math:`d` the distance to the nearest training observation
    (:class:`DataDistance`) and :math:`g` from :func:`gap_fraction`. Network
    variances alone grow little between satellite tracks, where the errors of a
    map are largest; the second term grows there as an interpolation error
    does. Far from every observation the error is as large as the field itself
    varies, as in optimal interpolation: :math:`a` is ``signal``, the field's
    variance, unless given. :math:`c \ge` ``min_scale`` (and :math:`\ell`
    unless ``length`` is given) then maximize the Gaussian likelihood of
    held-out ``residuals`` (observation minus prediction), which carry
    measurement noise of known variance ``noise`` (:math:`s^2`).

    With ``coords_km`` and ``groups`` (e.g. the satellite pass of each held-out
    point) the likelihood is that of whole groups: within a group the map's
    errors are correlated, :math:`\mathrm{cov}(e_i, e_j) = \sigma_i \sigma_j
    e^{-h_{ij}^2 / 2\lambda^2}` (:math:`h` the distance between the points, the
    length :math:`\lambda` fitted with :math:`c`), while the noise is white.
    The variance then also holds a floor :math:`b \ge 0`,
    :math:`\sigma^2 = c\,v + b + a\,g(d)`, fitted with the rest: an error the
    network's variance does not place, as the bias of an under-trained
    ensemble is (a white floor would be confounded with the noise; a
    correlated one is not).
    Without groups the residuals are taken as independent. Why whole passes,
    and why :math:`c` is never shrunk and :math:`a` not fitted: see the module notes.

    Parameters
    ----------
    var, residuals, distance : ndarray (n,)
        Network variance, held-out residual and distance to the training data
        (km) at each held-out point.
    noise, signal : float
        Measurement-noise variance :math:`s^2` and field variance (the default
        :math:`a`), in the units of ``var``.
    min_scale : float
        Lower bound of :math:`c`.
    gap, length : float, optional
        Fix :math:`a` or :math:`\ell` (e.g. from :func:`correlation_length`).
    coords_km : ndarray (n, k), optional
        Positions of the held-out points (km; time scaled to km).
    groups : ndarray (n,), optional
        Label of each held-out point's group (pass); needs ``coords_km``.
    max_block, max_points : int
        Groups longer than ``max_block`` points are cut into runs along their
        longest extent, and at most ``max_points`` points (whole runs, drawn at
        random) enter the likelihood: bounds on its cost (Cholesky factors of
        ``max_block``-square matrices).
    deadline : float, optional
        A ``time.perf_counter()`` time: with groups, the likelihood's maximisation stops there (after at least
        :data:`MIN_EVALUATIONS` evaluations) at the best point it evaluated, and says so in a warning.

    Returns
    -------
    dict
        ``variance_scale`` (:math:`c`), ``gap_variance`` (:math:`a`),
        ``gap_length_km`` (:math:`\ell`), ``noise_variance`` (:math:`s^2`) and,
        with groups, ``error_length_km`` (:math:`\lambda`) and ``error_floor``
        (:math:`b`), in the units of ``var`` and ``distance``.

    Examples
    --------
    Independent residuals drawn from a known error model:

    >>> rng = np.random.default_rng(0)
    >>> d = rng.uniform(0.0, 200.0, 20000)
    >>> v = rng.uniform(0.01, 0.05, 20000)
    >>> true = 2.0 * v + 0.5 * gap_fraction(d, 80.0)
    >>> r = rng.standard_normal(20000) * np.sqrt(true + 0.01)
    >>> cal = calibrate_gap(v, r, d, noise=0.01, signal=1.0, gap=0.5)
    >>> round(cal["variance_scale"], 1), round(cal["gap_length_km"] / 10) * 10
    (2.0, 80)
    """
    v, r, d, xyz, lab = _held_out(var, residuals, distance, coords_km, groups)
    s2 = max(float(noise), 0.0)
    c_min = max(float(min_scale), 0.0)
    out = {"variance_scale": c_min, "gap_variance": 0.0, "gap_length_km": 1.0, "noise_variance": s2}
    if v.size < 20 or not np.any(d > 0):
        return out
    params = _GapParameters.of(v, r, d, c_min, length, grouped=xyz is not None)
    tiny = 1e-9 * params.b_ref
    a = max(float(signal), 1e-12) if gap is None else max(float(gap), 0.0)
    if xyz is None:
        nll = _pointwise_nll(v, r, d, a, s2, tiny)
        best_p = _fit_scale(nll, params) if params.lfix is not None else _fit_multistart(nll, params)
    else:
        blocks = _error_blocks(xyz, lab, int(max_block), int(max_points))
        nll = _block_nll(_block_batches(xyz, r, blocks), sum(len(k) for k in blocks), v, d, a, s2, tiny)
        # thousands of factorizations of blocks of at most max_block points: one BLAS thread each. A pool of BLAS
        # threads gains nothing at this size, and where the cores are busy (torch's threads after a fit, another
        # process) its threads wait on each other: the calibration of the built-in case took 41 s instead of 2.
        limit = _Deadline(deadline)
        with threadpool_limits(limits=1, user_api="blas"):
            best_p = _fit_profile_lambda(nll, params, limit)
        if limit.cut:
            warnings.warn(
                f"The standard deviation's calibration stopped at the fit's time budget after {limit.evaluations} "
                "evaluations of the held-out passes' likelihood (it takes about 1,000 to 2,000): the std is calibrated "
                "less precisely. A longer max_time leaves it the time it needs.", GeoinrWarning, stacklevel=user_stacklevel(),
            )
    c, ell, lam, b = params.unpack(best_p)
    out = {"variance_scale": float(c), "gap_variance": float(a), "gap_length_km": float(ell), "noise_variance": s2}
    if params.grouped:
        out.update(error_length_km=float(lam), error_floor=float(b))
    return out
