"""Real-ocean mapping benchmark: DUACS L4 maps as truth, simulated altimeter tracks, several regions and sizes.

Truth: the four real daily DUACS L4 maps of absolute dynamic topography in
``../shared/data/duacs_global_l4_2019/`` (0.25 deg; land, packed as the int32
minimum without a fill value, is masked). Four kinds of case:

- **tracks**: the maps are sampled along the ground tracks of six altimeters
  (``geoinr.osse.sample_along_track``, 1 Hz, 1 cm white noise) over the four days;
  every method maps the tracks onto the two central days, scored on ocean points;
- **regrid**: one day at 0.5 deg (every second point) is mapped onto the 0.25 deg
  points in between (scored where the coarse grid says nothing);
- **months**: a three-month record grown from a real map (four days is too short for
  behaviour in time). The four-day mean of a 40 deg x 16 deg box (land filled from the
  nearest water for the Fourier transform, masked again in every map) keeps its
  scales longer than 800 km fixed (the mean dynamic topography and the gyre); every
  shorter Fourier mode (of the box mirrored into a periodic one) propagates as a linear
  Rossby wave (beta and the deformation radius, ``geoinr.physics.rossby``, at the box's
  central latitude) while its phase takes a random walk that decorrelates it (e-folding
  of 2 x ``DECORRELATION_DAYS``). Day 0 is the real map; later days share its spatial
  spectrum but are synthetic, and their statistics are closer to Gaussian than the
  ocean's (which favours OI, the best linear estimator for Gaussian fields). Sampled
  along the four altimeters of 2005, 1 Hz, 1 cm noise, 110,000-150,000 observations kept;
  the 61 central days are scored;
- **drift**: the same three months, sampling and scoring, but the map's scales shorter than
  800 km are carried instead of re-drawn: westward at the long Rossby wave speed
  ``beta Rd^2`` and displaced by a smooth random field that turns over months, so the real
  eddies and fronts keep their shapes (their non-Gaussian statistics) while they meander
  (anomaly correlation about 0.8 after 10 days, 0.4 after 20, as in **months**).

Regions cover a western boundary current (Gulf Stream, Kuroshio), the Agulhas and the
Antarctic Circumpolar Current, a marginal sea (Mediterranean) and the tropics,
from 10 deg boxes to basin scale (40 deg x 16 deg); the three-month records cover the
Kuroshio Extension, the South Atlantic's subtropical gyre and Subantarctic Front, the Gulf Stream from Cape
Hatteras to 40 W (a coast on its western side) and the Mediterranean (6 W-36 E, 30-46 N: 57% land, islands
and peninsulas, an anomaly of 8 cm RMS against 30-37 cm in the open-ocean boxes), each grown both ways.
Methods: ``OI`` is ``OptimalInterpolation()`` with its defaults (100 km, 10 days; since 2026-12-05 each tile's
own mean, ordinary kriging), ``OI, mean="global" ...`` the same about one mean for the whole box (the default
before, and the bar of the tables before then), ``OI, broad=2 ...`` the default plus a second Gaussian
covariance twice as long with half the signal variance (an option, stronger on some four-day boxes),
``linear`` the floor; the ``geoinr`` rows fit the package.
Scores (:mod:`geoinr.metrics`): RMSE (cm), mu = 1 - RMSE / RMS(truth - its mean), and
lambda_x (km), the zonal effective resolution (rows with land dropped; where fewer than
``MIN_ZONAL_ROWS`` rows are water all the way across, as in the Mediterranean, it is taken on
the band of longitudes with the most land-free rows, :func:`zonal_band`; NaN where too few
full rows remain). Seconds: fit + prediction, wall clock, on this machine. Scored: the share of the
reference's points where the method gave a value; a method that leaves NaN (bilinear and cubic interpolation
beside coasts) is scored on its own points only, so compare it with a method that covers them all with care.
Known limits: on a box where enough rows cross water (the Gulf Stream 40 deg boxes), lambda_x is taken on the
rows that do, which may miss the current itself; regrid cases take lambda_x on whole rows, given points included.

    python benchmarks/real_ssh.py                         # every case, every method
    python benchmarks/real_ssh.py --cases gulfstream10 --methods OI "geoinr siren" --max-time 30
    python benchmarks/real_ssh.py --cases kuroshio_ext40_90d --methods 'geoinr siren, model_options={"bound": 1.5}'
    python benchmarks/real_ssh.py --cases gulfstream10 acc10 --methods OI "geoinr siren" --seeds 0 1 2

With ``--seeds``, every case is drawn and every method fitted once per seed, and a summary
follows the rows: per case and method, the mean and range of mu and lambda_x over the seeds,
and on how many seeds the method was ahead of OI on both scores.

A method that is not in the table but reads ``geoinr MODEL, key=value, ...`` (values as Python
literals) fits ``MODEL`` with those options added to the defaults.
"""
from __future__ import annotations

import argparse
import glob
import os
import platform
import sys
import time
import warnings

import numpy as np
import torch
import xarray as xr

import geoinr
from geoinr import baselines, metrics, osse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import osse as osse_bench  # noqa: E402  (benchmarks/osse.py: the scale-search note, parse_method)
from osse import parse_method  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "..", "shared", "data", "duacs_global_l4_2019")
MISSIONS = ("jason3", "sentinel3a", "sentinel3b", "saral", "cryosat2", "hy2b")
# (kind, (west, east, south, north)) in degrees east / north, longitudes in [0, 360) as in the file
CASES = {
    "gulfstream10": ("tracks", (295.0, 305.0, 33.0, 43.0)),
    "agulhas10": ("tracks", (15.0, 25.0, -45.0, -35.0)),
    "acc10": ("tracks", (130.0, 140.0, -55.0, -45.0)),
    "kuroshio20": ("tracks", (140.0, 160.0, 28.0, 40.0)),
    "tropics20": ("tracks", (200.0, 220.0, -8.0, 8.0)),
    "gulfstream_basin40": ("tracks", (280.0, 320.0, 28.0, 44.0)),
    "regrid_gulfstream10": ("regrid", (295.0, 305.0, 33.0, 43.0)),
    "regrid_mediterranean": ("regrid", (354.0, 396.0, 30.0, 46.0)),
    "kuroshio_ext40_90d": ("months", (150.0, 190.0, 28.0, 44.0)),
    "south_atlantic40_90d": ("months", (320.0, 360.0, -48.0, -32.0)),
    "kuroshio_ext40_90d_drift": ("drift", (150.0, 190.0, 28.0, 44.0)),
    "gulfstream40_90d": ("months", (280.0, 320.0, 28.0, 44.0)),
    "gulfstream40_90d_drift": ("drift", (280.0, 320.0, 28.0, 44.0)),
    "south_atlantic40_90d_drift": ("drift", (320.0, 360.0, -48.0, -32.0)),
    "mediterranean40": ("tracks", (354.0, 396.0, 30.0, 46.0)),
    "mediterranean40_90d": ("months", (354.0, 396.0, 30.0, 46.0)),
    "mediterranean40_90d_drift": ("drift", (354.0, 396.0, 30.0, 46.0)),
}
MISSIONS_2005 = ("topex_interleaved", "jason1", "envisat", "gfo")  # the four altimeters of 2005
MONTHS_DAYS = 90  # length of a "months" record (days)
MONTHS_SCORED = slice(14, 75)  # its 61 central days
MONTHS_OBSERVATIONS = 131_000  # every k-th sample kept, k = round(samples / this): about 110,000 of the boxes' 330,000
MEAN_SCALE_KM = 800.0  # Fourier modes longer than this stay fixed (mean dynamic topography, gyres)
DECORRELATION_DAYS = 40.0  # variance (rad^2) of the phase walk per day: 1 / this
DRIFT_KM = 40.0  # km: RMS of each component of the "drift" records' displacement field
DRIFT_SCALES_KM = (400.0, 1500.0)  # km: the displacement field's wavelengths
DRIFT_PERIOD_DAYS = 120.0  # days: typical period at which the displacement's modes turn
MIN_ZONAL_ROWS = 8  # fewer land-free rows across the box than this: lambda_x on the widest water band instead
MIN_ZONAL_DEGREES = 8.0  # degrees of longitude: the narrowest band lambda_x is taken on


def load_truth() -> xr.DataArray:
    """The four daily maps, land masked (the file stores it as the int32 minimum with no fill value)."""
    files = sorted(glob.glob(os.path.join(DATA, "*.nc")))
    if not files:
        raise SystemExit(f"No DUACS files in {DATA}: this benchmark needs ../shared/data (see its README).")
    adt = xr.open_mfdataset(files, combine="by_coords").adt.load()
    return adt.where(adt > -100.0)


def crop(field: xr.DataArray, region) -> xr.DataArray:
    west, east, south, north = region
    lon = field.longitude
    if east > 360.0:  # across the 0 meridian: shift to [-180, 180)
        field = field.assign_coords(longitude=xr.where(lon >= 180.0, lon - 360.0, lon)).sortby("longitude")
        west, east = west - 360.0, east - 360.0
    return field.sel(longitude=slice(west, east), latitude=slice(south, north))


def _periodic_box(snapshot: xr.DataArray):
    """A map mirrored into a periodic one (land filled from the nearest water), with its grid spacings (km), beta
    (1/(km day)) and ``Rd`` (km)."""
    from geoinr.geometry import EARTH_RADIUS_KM
    from geoinr.physics.constants import SECONDS_PER_DAY
    from geoinr.physics.rossby import rossby_radius_km

    values = snapshot.values.astype(float)
    land = ~np.isfinite(values)
    if land.all():
        raise ValueError("a record grown from a map needs a map with some water")
    if land.any():  # land takes the nearest water's value, so the FFT sees no NaN (and _as_record masks it again)
        from scipy.ndimage import distance_transform_edt

        nearest = distance_transform_edt(land, return_distances=False, return_indices=True)
        values = values[tuple(nearest)]
    lat0 = float(snapshot.latitude.mean())
    periodic = np.concatenate([values, values[:, ::-1]], axis=1)
    periodic = np.concatenate([periodic, periodic[::-1, :]], axis=0)  # mirrored: no jump at the edges
    km_per_degree = EARTH_RADIUS_KM * np.pi / 180.0
    dy = float(np.abs(np.diff(snapshot.latitude.values)).mean()) * km_per_degree  # grid spacing (km)
    dx = float(np.abs(np.diff(snapshot.longitude.values)).mean()) * km_per_degree * np.cos(np.radians(lat0))
    beta = osse.beta_plane(lat0)[1] * 1000.0 * SECONDS_PER_DAY  # 1/(m s) -> 1/(km day)
    return periodic, dx, dy, beta, float(rossby_radius_km(lat0))


def _wavenumbers(shape, dx, dy):
    """Angular wavenumbers (rad/km) of a periodic grid: kx (row), ky (column) and |k|^2."""
    kx = 2.0 * np.pi * np.fft.fftfreq(shape[1], dx)[None, :]
    ky = 2.0 * np.pi * np.fft.fftfreq(shape[0], dy)[:, None]
    return kx, ky, kx**2 + ky**2


def _as_record(maps, snapshot):
    """Daily maps from ``snapshot``'s time on, on its grid and with its attributes; ``snapshot``'s land masked."""
    days = len(maps)
    maps = np.where(np.isfinite(snapshot.values), np.asarray(maps), np.nan)
    out = xr.DataArray(maps, dims=("time", "latitude", "longitude"),
                       coords={"time": snapshot.time.values + np.arange(days) * np.timedelta64(1, "D"),
                               "latitude": snapshot.latitude.values, "longitude": snapshot.longitude.values})
    out.attrs.update(snapshot.attrs)
    return out


def grow_months(snapshot: xr.DataArray, seed=0, days=MONTHS_DAYS) -> xr.DataArray:
    """A ``days``-long daily record from one map (with a scalar ``time``): Rossby waves and a phase walk.

    Modes longer than :data:`MEAN_SCALE_KM` stay fixed; the others propagate westward
    at the linear Rossby frequency ``-beta k / (k^2 + l^2 + 1 / Rd^2)`` (beta and ``Rd`` at the
    central latitude) and their phases walk randomly (antisymmetric in wavenumber, so the
    field stays real), ``1 / DECORRELATION_DAYS`` rad^2 per day. Day 0 is ``snapshot``.
    """
    periodic, dx, dy, beta, rd = _periodic_box(snapshot)
    ny, nx = snapshot.shape
    modes = np.fft.fft2(periodic)
    kx, _, k2 = _wavenumbers(periodic.shape, dx, dy)
    omega = -beta * kx / (k2 + rd**-2)  # rad/day
    fixed = k2 < (2.0 * np.pi / MEAN_SCALE_KM) ** 2
    rng = np.random.default_rng(1000 + seed)
    phase = np.zeros_like(k2)
    maps = []
    for day in range(days):
        if day:
            step = rng.normal(0.0, np.sqrt(1.0 / DECORRELATION_DAYS), k2.shape)
            phase += (step - np.roll(step[::-1, ::-1], 1, axis=(0, 1))) / np.sqrt(2.0)  # minus its value at -k
        shift = np.where(fixed, 0.0, phase - omega * day)
        maps.append(np.real(np.fft.ifft2(modes * np.exp(1j * shift)))[:ny, :nx])
    return _as_record(maps, snapshot)


def drift_months(snapshot: xr.DataArray, seed=0, days=MONTHS_DAYS) -> xr.DataArray:
    """A ``days``-long daily record from one map whose eddies and fronts are carried, not re-drawn.

    Modes longer than :data:`MEAN_SCALE_KM` stay fixed; the rest of the map (its eddies,
    rings and fronts, with the real map's non-Gaussian shapes) drifts westward at the long
    Rossby wave speed ``beta Rd^2`` (central latitude) and is displaced by ``d(t) - d(0)``,
    where ``d`` is a smooth random field (wavelengths :data:`DRIFT_SCALES_KM`, RMS
    :data:`DRIFT_KM` per component) whose modes turn at 0.5 to 1.5 times ``2 pi /``
    :data:`DRIFT_PERIOD_DAYS` (periods of 0.7 to 2 times it): structures meander and approach each
    other, as advected ones do, but keep their sharpness. Day 0 is ``snapshot``.
    """
    from scipy.ndimage import map_coordinates

    periodic, dx, dy, beta, rd = _periodic_box(snapshot)
    ny, nx = snapshot.shape
    _, _, k2 = _wavenumbers(periodic.shape, dx, dy)
    modes = np.fft.fft2(periodic)
    fixed = k2 < (2.0 * np.pi / MEAN_SCALE_KM) ** 2
    large = np.real(np.fft.ifft2(np.where(fixed, modes, 0.0)))
    eddies = periodic - large
    speed = beta * rd**2  # km/day, westward
    rng = np.random.default_rng(2000 + seed)
    band = (k2 >= (2.0 * np.pi / DRIFT_SCALES_KM[1]) ** 2) & (k2 <= (2.0 * np.pi / DRIFT_SCALES_KM[0]) ** 2)
    coeffs = [np.where(band, rng.normal(size=k2.shape) + 1j * rng.normal(size=k2.shape), 0.0) for _ in range(2)]
    turn = np.where(band, rng.choice([-1.0, 1.0], k2.shape) * rng.uniform(0.5, 1.5, k2.shape), 0.0)
    turn = turn * 2.0 * np.pi / DRIFT_PERIOD_DAYS  # rad/day, one rate per mode

    def displacement(day):  # (east, north), unscaled: real parts of band-limited random fields
        return [np.real(np.fft.ifft2(c * np.exp(1j * turn * day))) for c in coeffs]

    d0 = displacement(0)
    scale = [DRIFT_KM / max(float(np.sqrt(np.mean(d**2))), 1e-12) for d in d0]
    rows, cols = np.meshgrid(np.arange(periodic.shape[0]), np.arange(periodic.shape[1]), indexing="ij")
    maps = []
    for day in range(days):
        de, dn = (s * (d - d_0) for s, d, d_0 in zip(scale, displacement(day), d0))
        src_cols = cols + (speed * day - de) / dx  # the map at x is the eddy field that was at x + c t - D
        src_rows = rows - dn / dy
        moved = map_coordinates(eddies, [src_rows, src_cols], order=3, mode="grid-wrap")
        maps.append((large + moved)[:ny, :nx])
    return _as_record(maps, snapshot)


def make_case(truth, kind, region, seed=0):
    """(observations, target grid, reference to score mu on, full reference maps for lambda_x) of a case."""
    field = crop(truth, region)
    field.attrs.update(units="m", long_name="absolute dynamic topography")
    if kind in ("months", "drift"):
        start = field.time.values[0]
        grow = grow_months if kind == "months" else drift_months
        field = grow(field.mean("time").assign_coords(time=start), seed=seed)
        field.attrs.update(units="m", long_name="absolute dynamic topography (grown from a real map)")
        obs = osse.sample_along_track(field, missions=MISSIONS_2005, white_noise=0.01, seed=seed)
        keep = max(1, int(round(obs.sizes["time"] / MONTHS_OBSERVATIONS)))
        obs = obs.isel(time=slice(0, None, keep)).rename({"sla": "adt"}).drop_vars("sla_true", errors="ignore")
        reference = field.isel(time=MONTHS_SCORED)
        return obs, reference.to_dataset(name="adt").drop_vars("adt"), reference, reference
    if kind == "tracks":
        obs = osse.sample_along_track(field, missions=MISSIONS, white_noise=0.01, seed=seed)
        obs = obs.rename({"sla": "adt"}).drop_vars("sla_true", errors="ignore")
        reference = field.isel(time=[1, 2])
        return obs, reference.to_dataset(name="adt").drop_vars("adt"), reference, reference
    day = field.isel(time=1)
    obs = day.isel(latitude=slice(0, None, 2), longitude=slice(0, None, 2)).rename("adt")
    reference = day.where(~(day.latitude.isin(obs.latitude) & day.longitude.isin(obs.longitude)))
    reference = reference.where(
        (reference.latitude >= float(obs.latitude.min())) & (reference.latitude <= float(obs.latitude.max()))
        & (reference.longitude >= float(obs.longitude.min())) & (reference.longitude <= float(obs.longitude.max()))
    )
    inner = day.sel(latitude=slice(float(obs.latitude.min()), float(obs.latitude.max())),
                    longitude=slice(float(obs.longitude.min()), float(obs.longitude.max())))
    return obs, day.to_dataset(name="adt").drop_vars("adt"), reference, inner


def _grid_interp(method):
    def run(obs, grid):
        if "time" in obs.dims:
            raise ValueError("grid interpolation is for the regrid cases")
        return obs.interp(latitude=grid.latitude, longitude=grid.longitude, method=method)

    return run


def _scattered_cubic(obs, grid):
    """Clough-Tocher piecewise cubic (scipy ``griddata``) through the valid coarse points: a cubic that runs with coasts."""
    from scipy.interpolate import griddata

    if "time" in obs.dims:
        raise ValueError("grid interpolation is for the regrid cases")
    squeeze = np.cos(np.radians(float(obs.latitude.mean())))  # degrees of longitude to degrees of latitude
    lon, lat = np.meshgrid(obs.longitude.values, obs.latitude.values)
    ok = np.isfinite(obs.values)
    glon, glat = np.meshgrid(grid.longitude.values, grid.latitude.values)
    values = griddata(np.c_[lon[ok] * squeeze, lat[ok]], obs.values[ok], (glon * squeeze, glat), method="cubic")
    return xr.DataArray(values, coords={"latitude": grid.latitude, "longitude": grid.longitude},
                        dims=("latitude", "longitude"))


def methods(max_time, seed=0, specs=()):
    """The methods by name; each of ``specs`` not among them is read by :func:`osse.parse_method`."""
    fit = dict(max_time=max_time, progress=False, seed=seed)

    def inr(**kw):
        def run(obs, grid):
            fitted = obs.inr.fit(**{**fit, **kw}) if isinstance(obs, xr.DataArray) else obs.inr.fit("adt", **{**fit, **kw})
            osse_bench.LAST_SEARCH["record"] = getattr(fitted, "scale_search_", None)
            osse_bench.LAST_SEARCH["physics"] = getattr(fitted, "physics_choice_", None)
            osse_bench.LAST_SEARCH["members"] = getattr(fitted, "fill_members_", None)
            return fitted.predict(grid)

        return run

    def oi(**kw):
        def run(obs, grid):
            return baselines.OptimalInterpolation(progress=False, **kw).fit(obs, "adt").predict(grid)  # a clean table

        return run

    def linear(obs, grid):
        if "time" not in obs.dims or obs.time.ndim != 1 or "latitude" in obs.dims:
            return _grid_interp("linear")(obs, grid)
        return baselines.LinearInterpolator(window=4.0, fill="nearest").fit(obs, "adt").predict(grid)

    def box_scales(obs):
        """The scale rule before 2026-12-01: probes anywhere in the box (land counted as gap)."""  # noqa: D401
        from geoinr.coords import find_coords, points_from_xarray
        from geoinr.scales import default_scales

        ds = obs.to_dataset(name="adt") if isinstance(obs, xr.DataArray) else obs
        table, _ = points_from_xarray(ds, ["adt"], find_coords(ds))
        wl, per = default_scales(table.lon, table.lat, table.time, footprint=False)
        return {"min_wavelength": wl, "min_period": per}

    def inr_before(obs, grid):
        return inr(validation=0.1, **box_scales(obs))(obs, grid)

    table = {
        "linear": linear,
        "cubic (regrid only)": _grid_interp("cubic"),
        "cubic Clough-Tocher (regrid only)": _scattered_cubic,
        "OI": oi(),
        'OI, mean="global" (the default until 2026-12-05)': oi(mean="global"),
        "OI, broad=2 (a second, broad covariance)": oi(broad=2.0),
        "geoinr siren": inr(),
        'geoinr siren, min_wavelength="search"': inr(min_wavelength="search"),
        "geoinr siren tuner": inr(model_options={"init": "tuner"}),  # the default on 50,000+ observations
        "geoinr siren sitzmann": inr(model_options={"init": "siren"}),  # the default below, and before 2026-12-04
        "geoinr siren, defaults before 2026-12-01 (box scales, validation=0.1)": inr_before,
        "geoinr siren, patience=1000": inr(patience=1000),
        "geoinr siren, validation=0": inr(validation=0.0),
        'geoinr siren, optimizer="adam"': inr(optimizer="adam"),
        "geoinr siren, n_members=1": inr(n_members=1),
        "geoinr modulated_siren": inr(model="modulated_siren"),
        "geoinr modulated_siren tuner": inr(model="modulated_siren", model_options={"init": "tuner"}),
        "geoinr nif": inr(model="nif"),
        "geoinr ffn": inr(model="ffn"),
        "geoinr fourier_net": inr(model="fourier_net"),
        "geoinr gabor_net": inr(model="gabor_net"),
        "geoinr mlp": inr(model="mlp"),
        "geoinr siren, physics=qg": inr(physics="qg"),
        "geoinr siren, physics=qg, physics_weight=0.1": inr(physics="qg", physics_weight=0.1),
    }
    table.update({spec: inr(**parse_method(spec)) for spec in specs if spec not in table})
    return table


def zonal_band(full: xr.DataArray) -> slice:
    """The longitudes lambda_x is taken on: all of them, or the band with the most water where a coast crosses the box.

    ``effective_resolution_zonal`` drops every row with land. Where fewer than
    :data:`MIN_ZONAL_ROWS` rows are water all the way across (a sea with islands and
    peninsulas: the Mediterranean has none), the band of at least :data:`MIN_ZONAL_DEGREES`
    of longitude with the largest area of land-free rows (rows x columns) is taken instead.
    """
    water = np.isfinite(full.values).all(axis=tuple(range(full.ndim - 2)))  # (latitude, longitude), at every time
    nlat, nlon = water.shape
    if water.all(axis=1).sum() >= MIN_ZONAL_ROWS:
        return slice(None)
    step = float(np.abs(np.diff(full.longitude.values)).mean())
    width = max(2, int(round(MIN_ZONAL_DEGREES / step)))
    land = np.concatenate([np.zeros((nlat, 1), int), np.cumsum(~water, axis=1)], axis=1)  # land cells before column j
    best, band = 0, slice(None)
    for j0 in range(nlon - width + 1):
        rows = (land[:, j0 + width:] - land[:, j0:j0 + 1]) == 0  # (row, j1): row j0..j1-1 all water
        area = rows.sum(axis=0) * np.arange(width, nlon - j0 + 1)
        k = int(np.argmax(area))
        if area[k] > best and rows[:, k].sum() >= 2:
            best, band = int(area[k]), slice(j0, j0 + width + k)
    return band


def score(pred, reference, full):
    """mu and RMSE on the scored points (mu of the anomaly about their mean), lambda_x on the full maps."""
    pred = pred.broadcast_like(reference).transpose(*reference.dims)
    ok = np.isfinite(reference.values) & np.isfinite(pred.values)
    est, ref = pred.values[ok], reference.values[ok]
    ref_anom = ref - ref.mean()
    mu = 1.0 - np.sqrt(np.mean((est - ref) ** 2)) / np.sqrt(np.mean(ref_anom**2))
    try:
        cols = zonal_band(full)
        lam = metrics.effective_resolution_zonal(pred.where(np.isfinite(full)).isel(longitude=cols),
                                                 full.isel(longitude=cols)).resolution
    except ValueError:
        lam = float("nan")
    return {"mu": float(mu), "rmse_cm": 100.0 * float(np.sqrt(np.mean((est - ref) ** 2))), "lambda_x": float(lam),
            "coverage": float(ok.sum() / max(1, np.isfinite(reference.values).sum()))}


def summarize(rows) -> list[str]:
    """Markdown lines of one row per case and method over seeds: mean (min-max) of mu and lambda_x, and OI beaten.

    ``rows`` are dicts with ``case``, ``method``, ``seed``, ``mu`` and ``lambda_x`` (a failed
    run has NaN scores and counts in no mean). The last column counts the seeds where the
    method is ahead of ``OI`` (run on the same case and seed) on both mu and lambda_x; it
    reads "no OI" where OI was not run with that seed.

    Examples
    --------
    >>> rows = [dict(case="c", method=m, seed=s, mu=mu, lambda_x=lam) for m, s, mu, lam in
    ...         [("OI", 0, 0.84, 120.0), ("geoinr siren", 0, 0.86, 100.0),
    ...          ("OI", 1, 0.85, 110.0), ("geoinr siren", 1, 0.86, 115.0)]]
    >>> print("\\n".join(summarize(rows)[2:]))
    | c | OI | 2 | 0.845 (0.840-0.850) | 115 (110-120) | - |
    | c | geoinr siren | 2 | 0.860 (0.860-0.860) | 108 (100-115) | 1 of 2 |
    """
    lines = ["| case | method | seeds | mu: mean (min-max) | lambda_x km: mean (min-max) | ahead of OI on both |",
             "|---|---|---:|---|---|---|"]
    oi = {(r["case"], r["seed"]): r for r in rows if r["method"] == "OI"}
    groups: dict = {}
    for r in rows:
        groups.setdefault((r["case"], r["method"]), []).append(r)

    def spread(runs, key, fmt):
        v = np.array([r[key] for r in runs], dtype=float)
        v = v[np.isfinite(v)]
        partial = f"; {v.size} of {len(runs)} finite" if 0 < v.size < len(runs) else ""  # a failed seed is no mean
        return "failed" if not v.size else f"{v.mean():{fmt}} ({v.min():{fmt}}-{v.max():{fmt}}{partial})"

    for (case, method), runs in groups.items():
        ahead = "-"
        if method != "OI":
            pairs = [(r, oi.get((case, r["seed"]))) for r in runs]
            if any(o is None for _, o in pairs):
                ahead = "no OI"
            else:
                wins = sum(r["mu"] > o["mu"] and r["lambda_x"] < o["lambda_x"] for r, o in pairs)
                ahead = f"{wins} of {len(pairs)}"
        scores = f"{spread(runs, 'mu', '.3f')} | {spread(runs, 'lambda_x', '.0f')}"
        lines.append(f"| {case} | {method} | {len(runs)} | {scores} | {ahead} |")
    return lines


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", nargs="*", default=list(CASES))
    ap.add_argument("--methods", nargs="*", default=None)
    ap.add_argument("--max-time", type=float, default=60.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--seeds", type=int, nargs="+", default=None,
                    help="several seeds (each draws its own noise, grown record for months and drift cases, and "
                         "fits; the tracks depend on the dates only, so on four-day and regrid cases a seed varies "
                         "the noise and the fit, not the sampling): one row per seed, then a summary over seeds; "
                         "replaces --seed")
    args = ap.parse_args(argv)
    seeds = args.seeds or [args.seed]
    several = len(seeds) > 1
    warnings.simplefilter("ignore")
    torch.set_num_threads(max(1, torch.get_num_threads()))
    truth = load_truth()
    chosen = args.methods or list(methods(args.max_time, seeds[0]))
    print(f"# real_ssh.py: {platform.machine()} {platform.processor() or ''}, {os.cpu_count()} cores, torch "
          f"{torch.__version__} ({torch.get_num_threads()} threads), geoinr {geoinr.__version__}, "
          f"max_time={args.max_time:g} s, seed{'s' if several else ''} {', '.join(map(str, seeds))}")
    print("| case | kind | method |" + (" seed |" if several else "") + " mu | RMSE (cm) | lambda_x (km) | seconds |"
          + " scored |")
    print("|---|---|---|" + ("---:|" if several else "") + "---:|---:|---:|---:|---:|")
    rows = []
    for seed in seeds:
        table = methods(args.max_time, seed, args.methods or ())
        for name in args.cases:
            kind, region = CASES[name]
            obs, grid, reference, full = make_case(truth, kind, region, seed)
            for method in chosen:
                if kind != "regrid" and method.startswith("cubic"):
                    continue
                if kind == "regrid" and "physics" in method:
                    continue
                t0 = time.perf_counter()
                s = {"mu": float("nan"), "lambda_x": float("nan")}
                seconds, scored = float("nan"), ""
                try:
                    pred = table[method](obs, grid)
                    pred = pred.compute() if hasattr(pred, "compute") else pred
                    seconds = time.perf_counter() - t0  # fit and prediction, not the scoring
                    s = score(pred, reference, full)
                    row = f"{s['mu']:.3f} | {s['rmse_cm']:.2f} | {s['lambda_x']:.0f}"
                    scored = f"{100 * s['coverage']:.1f} %"  # of the reference's points: NaN predictions are not scored
                except Exception as err:  # a method that fails on a case is a result too
                    row = f"failed: {type(err).__name__}: {str(err)[:80]} | | "
                    seconds = time.perf_counter() - t0 if np.isnan(seconds) else seconds
                rows.append(dict(case=name, method=method, seed=seed, mu=s["mu"], lambda_x=s["lambda_x"]))
                print(f"| {name} | {kind} | {method} |" + (f" {seed} |" if several else "")
                      + f" {row} | {seconds:.1f} | {scored} |", flush=True)
                search = osse_bench.LAST_SEARCH.pop("record", None)
                if search:
                    print(f"<!-- {name} scale search: {osse_bench.scale_note(search)} -->", flush=True)
                choice = osse_bench.LAST_SEARCH.pop("physics", None)
                if choice:
                    print(f"<!-- {name} physics weight: {osse_bench.physics_note(choice)} -->", flush=True)
                members = osse_bench.LAST_SEARCH.pop("members", None)
                if members:
                    print(f"<!-- {name} networks averaged (time early stopping left): "
                          f"{osse_bench.members_note(members)} -->", flush=True)
    if several:
        print()
        print("\n".join(summarize(rows)))


if __name__ == "__main__":
    main()
