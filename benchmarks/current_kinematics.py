"""Vorticity and divergence of HF-radar-like surface currents: a fitted pair's ``derive`` against finite differences.

An HF radar review (2026-12-07, eighth session) asked for the kinematics of a fitted current, the reason a coastal
oceanographer fits a smooth surrogate of hourly radar maps. This script builds radar-like "totals" with a known
truth and scores, against the analytic vorticity and divergence on the sphere:

- ``geoinr``: ``radar.inr.fit(["u", "v"], max_time=T)`` then ``derive("relative_vorticity")`` and
  ``derive("divergence")`` on the radar's own grid and hours (every sea cell, observed or not);
- ``finite differences``: centred differences of the observed hourly maps on the sphere (what a user computes from
  the files), defined only where a cell's four neighbours were observed that hour.

The flow (about 100 x 100 km off a coast at 36.5 N, 3 km cells, hourly, ``--days`` days): an anticyclonic eddy
(15 km, 25 cm/s) drifting west 3 km/day, a diurnally pulsing upwelling cell (divergent, 20 km), a southward coastal
jet (30 cm/s), a uniform inertial oscillation (10 cm/s) and an M2 tide (5 cm/s); land east of a wavy coast; each
hour two sites' range (90 +- 12 km) and a baseline hole limit the coverage, 8 % of cells drop at random and whole
hours are lost; 5 cm/s of noise (typical of radar totals); components in cm/s.

    python benchmarks/current_kinematics.py                 # ~1 minute on 2 cores
    python benchmarks/current_kinematics.py --max-time 60 --days 3 --seeds 0 1
    python benchmarks/current_kinematics.py --min-period 0.0833   # the 2 h period noise gave before (see RESULTS)
"""
import argparse
import platform
import time
import warnings

import numpy as np
import pandas as pd
import torch
import xarray as xr

import geoinr

R = 6371000.0  # m, the package's Earth radius (geoinr.physics.constants.EARTH_RADIUS_M)
DEG = np.pi / 180.0
LAT0, LON0 = 36.5, -122.0
F0 = 2 * 7.2921e-5 * np.sin(LAT0 * DEG)  # s-1, inertial frequency at the centre
M2 = 2 * np.pi / (12.4206 * 3600.0)  # rad/s


def _km(lon, lat):
    """km east and north of the centre."""
    return R * np.cos(lat * DEG) * (lon - LON0) * DEG / 1e3, R * (lat - LAT0) * DEG / 1e3


def flow(lon, lat, t):
    """(u, v) m/s at degrees ``lon``, ``lat`` and seconds ``t``."""
    x, y = _km(lon, lat)
    day = t / 86400.0
    xe, ye, le = -10.0 - 3.0 * day, 10.0, 15.0  # the eddy's centre (km, drifting west) and radius
    psi = -0.25 * le * 1e3 / 0.858 * np.exp(-((x - xe) ** 2 + (y - ye) ** 2) / le**2)  # m2/s, anticyclone
    u = 2 * (y - ye) / le**2 / 1e3 * psi  # -dpsi/dy
    v = -2 * (x - xe) / le**2 / 1e3 * psi  # dpsi/dx
    lu, pulse = 20.0, 0.6 + 0.4 * np.cos(2 * np.pi * day)
    phi = 0.10 * lu * 1e3 / 0.858 * pulse * np.exp(-((x - 15.0) ** 2 + (y + 20.0) ** 2) / lu**2)  # velocity potential
    u = u - 2 * (x - 15.0) / lu**2 / 1e3 * phi
    v = v - 2 * (y + 20.0) / lu**2 / 1e3 * phi
    v = v - 0.30 * np.exp(-(((x - 25.0) / 12.0) ** 2))  # the coastal jet
    u = u + 0.10 * np.cos(F0 * t) + 0.05 * np.cos(M2 * t)
    v = v - 0.10 * np.sin(F0 * t) + 0.03 * np.cos(M2 * t + 1.0)
    return u, v


def truth_kinematics(lon, lat, t, h=1.0):
    """Vorticity and divergence (s-1) on the sphere, by centred differences ``h`` metres apart of the analytic flow."""
    dlon, dlat = h / (R * np.cos(lat * DEG)) / DEG, h / R / DEG
    (ue, ve), (uw, vw) = flow(lon + dlon, lat, t), flow(lon - dlon, lat, t)
    (un, vn), (us, vs) = flow(lon, lat + dlat, t), flow(lon, lat - dlat, t)
    u, v = flow(lon, lat, t)
    metric = np.tan(lat * DEG) / R
    return ((ve - vw) - (un - us)) / (2 * h) + u * metric, ((ue - uw) + (vn - vs)) / (2 * h) - v * metric


def radar(days: int, seed: int, noise: float = 0.05, lost_hours: int = 4):
    """(observed Dataset in cm/s, sea mask (lat, lon), truth vorticity and divergence (time, lat, lon))."""
    rng = np.random.default_rng(seed)
    lat = np.arange(LAT0 - 0.45, LAT0 + 0.45 + 1e-9, 3.0 / (R * DEG / 1e3))
    lon = np.arange(LON0 - 0.55, LON0 + 0.55 + 1e-9, 3.0 / (R * np.cos(LAT0 * DEG) * DEG / 1e3))
    times = pd.date_range("2026-06-01", periods=24 * days, freq="h")
    t = (times - times[0]).total_seconds().to_numpy()
    T, LA, LO = np.meshgrid(t, lat, lon, indexing="ij")
    u, v = flow(LO, LA, T)
    x, y = _km(LO[0], LA[0])
    sea = x < 35.0 + 8.0 * np.sin(4 * (LA[0] - LAT0))  # land east of a wavy coast
    sites = [(35.0 + 8.0 * np.sin(4 * (la - LAT0)), (la - LAT0) * R * DEG / 1e3) for la in (LAT0 - 0.3, LAT0 + 0.3)]
    dist = [np.hypot(x - sx, y - sy) for sx, sy in sites]
    bearing = [np.arctan2(y - sy, x - sx) for sx, sy in sites]
    crossing = np.abs(np.angle(np.exp(1j * (bearing[0] - bearing[1]))))
    geometry_ok = (crossing > np.radians(25)) & (crossing < np.radians(155))  # no total along the baseline
    cover = np.zeros(u.shape, dtype=bool)
    for k in range(t.size):
        reach = 90.0 + 12.0 * np.sin(2 * np.pi * k / 24) + rng.normal(0.0, 5.0)
        cover[k] = sea & geometry_ok & (dist[0] < reach) & (dist[1] < reach) & (rng.random(sea.shape) > 0.08)
    cover[rng.choice(t.size, lost_hours, replace=False)] = False
    obs = {}
    for name, comp, way in (("u", u, "eastward"), ("v", v, "northward")):
        values = 100.0 * (comp + noise * rng.standard_normal(comp.shape))
        values[~cover] = np.nan
        obs[name] = (("time", "lat", "lon"), values.astype(np.float32),
                     {"units": "cm s-1", "standard_name": f"surface_{way}_sea_water_velocity"})
    ds = xr.Dataset(obs, coords={"time": times, "lat": ("lat", lat, {"units": "degrees_north"}),
                                 "lon": ("lon", lon, {"units": "degrees_east"})})
    zeta, div = truth_kinematics(LO, LA, T)
    return ds, sea, zeta, div


def finite_differences(ds):
    """Vorticity and divergence (s-1) of the observed maps by centred differences on the sphere (NaN where a
    neighbour is missing)."""
    lat, lon = ds.lat.values, ds.lon.values
    u, v = ds.u.values.astype(np.float64) / 100.0, ds.v.values.astype(np.float64) / 100.0
    dx = R * np.cos(lat * DEG)[:, None] * (lon[2:] - lon[:-2])[None, :] * DEG  # (lat, lon - 2): twice the step
    dy = R * (lat[2:] - lat[:-2])[:, None] * DEG  # (lat - 2, 1)

    def ddx(a):
        out = np.full_like(a, np.nan)
        out[..., 1:-1] = (a[..., 2:] - a[..., :-2]) / dx
        return out

    def ddy(a):
        out = np.full_like(a, np.nan)
        out[:, 1:-1, :] = (a[:, 2:, :] - a[:, :-2, :]) / dy
        return out

    dvdx, dudy, dudx, dvdy = ddx(v), ddy(u), ddx(u), ddy(v)
    metric = (np.tan(lat * DEG) / R)[None, :, None]
    return dvdx - dudy + u * metric, dudx + dvdy - v * metric


def score(est, truth, sea):
    """RMSE in units of f, correlation and coverage over the sea cells (the grid's edge rows and columns left out)."""
    mask = np.broadcast_to(sea, truth.shape).copy()
    mask[:, [0, -1], :] = False
    mask[:, :, [0, -1]] = False
    ok = mask & np.isfinite(est)
    e, t = est[ok], truth[ok]
    return {"rmse_f": float(np.sqrt(np.mean((e - t) ** 2)) / F0), "corr": float(np.corrcoef(e, t)[0, 1]),
            "coverage": float(ok.sum() / mask.sum())}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--max-time", type=float, default=30.0)
    ap.add_argument("--days", type=int, default=2)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0])
    ap.add_argument("--min-period", type=float, default=None, help="days (default: the fit's own choice)")
    args = ap.parse_args()
    print(f"# current_kinematics.py: {platform.machine()}, torch {torch.__version__} ({torch.get_num_threads()} "
          f"threads), geoinr {geoinr.__version__}, max_time={args.max_time:g} s, {args.days} days hourly\n")
    print("| seed | method | quantity | RMSE (f) | correlation | sea cells scored | seconds |")
    print("|---:|---|---|---:|---:|---:|---:|")
    periods = []
    for seed in args.seeds:
        ds, sea, zeta, div = radar(args.days, seed)
        t0 = time.perf_counter()
        z_fd, d_fd = finite_differences(ds)
        fd_s = time.perf_counter() - t0
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t0 = time.perf_counter()
            fitted = ds.inr.fit(["u", "v"], max_time=args.max_time, seed=seed, progress=False,
                                min_period=args.min_period)
            periods.append(fitted.encoding_config_["min_period"])
            z_fit = fitted.derive("relative_vorticity", ds).zeta.values
            d_fit = fitted.derive("divergence", ds).div.values
            fit_s = time.perf_counter() - t0
        for method, (z, dv), seconds in (("finite differences of the hourly maps", (z_fd, d_fd), fd_s),
                                         ("geoinr fit, derive", (z_fit, d_fit), fit_s)):
            for quantity, est, truth in (("vorticity", z, zeta), ("divergence", dv, div)):
                s = score(est, truth, sea)
                print(f"| {seed} | {method} | {quantity} | {s['rmse_f']:.3f} | {s['corr']:.2f} | "
                      f"{100 * s['coverage']:.0f} % | {seconds:.1f} |")
    print("\nmin_period of the fits (hours): " + ", ".join(f"{24 * p:.1f}" for p in periods))


if __name__ == "__main__":
    main()
