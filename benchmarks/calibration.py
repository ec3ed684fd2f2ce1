"""Is the predictive standard deviation calibrated? Coverage of +-1 and +-2 std on a known truth.

Built-in along-track case (4 altimeters, 10 days, 1 cm noise); each uncertainty
method fitted with the same budget; daily 0.1-degree maps compared with the
noise-free truth field. A calibrated std puts 68.3% of the true values within
+-1 std and 95.4% within +-2 std. The map points are also split by their
distance to the nearest observation (space and time in one metric, as the
calibration measures it; the same split for every row): a std that only fits on average would cover too much
near the tracks and too little between them. The "distance-only oracle" is the best std that depends on
that distance alone (the true RMS error in each of 20 distance bins): errors with heavier tails than a
Gaussian's put it above 68% within 1 std while it stays near 95% within 2.

    python benchmarks/calibration.py --max-time 30 --seeds 0 1

With ``--cases`` (four-day cases of ``benchmarks/real_ssh.py``, real DUACS maps along six altimeters) it fits
each method and the default without error bars on every case and seed, and prints the map's scores beside the
coverage, overall and by distance from the tracks (0-25, 25-60, over 60 km): a std is only useful on a map as good
as the one a fit without it draws.

    python benchmarks/calibration.py --cases gulfstream10 agulhas10 --max-time 60 --seeds 0 1

With ``--derived`` it also scores ``derive("geostrophic_velocity", ..., return_std=True)``: the coverage of
the currents' standard deviation against the truth's geostrophic currents (fourth-order centred differences of
the true height on its grid; the table gives their difference from the same differences of the fitted map, the
share of the error that is the grid's and not the network's).
"""
import argparse
import platform
import time
import warnings

import numpy as np
import torch

import geoinr
from geoinr.geometry import EARTH_RADIUS_M
from geoinr.geometry import space_time_km as _coords_km
from geoinr.physics.constants import GRAVITY, OMEGA
from geoinr.uncertainty import DataDistance


def coverage(truth, mean, std):
    z = np.abs(np.asarray(truth) - np.asarray(mean)) / np.asarray(std)
    ok = np.isfinite(z)
    return float(np.mean(z[ok] <= 1.0)), float(np.mean(z[ok] <= 2.0)), z


def within(z, where, k=1.0):
    """Fraction of the finite z in ``where`` that are <= k (as coverage() counts)."""
    z = np.asarray(z)[where]
    z = z[np.isfinite(z)]
    return float(np.mean(z <= k))


def distance_to_data(fitted, tracks, times, lats, lons):
    """Distance (km) of every point of the (time, lat, lon) maps to the nearest observation of ``tracks``
    (space-time metric of the model's calibration)."""
    speed = fitted.calibration_["speed_km_per_day"]
    days = fitted.time_axis_.to_days
    obs = np.column_stack([tracks.longitude.values, tracks.latitude.values, days(tracks.time.values)])
    T, LAT, LON = np.meshgrid(days(np.asarray(times)), np.asarray(lats), np.asarray(lons), indexing="ij")
    pts = np.column_stack([LON.ravel(), LAT.ravel(), T.ravel()])
    return DataDistance(_coords_km(obs, speed))(_coords_km(pts, speed)).reshape(T.shape)


def fit_and_predict(data, variable, target, with_std, **kw):
    """Fit ``variable`` of ``data`` with ``kw`` (warnings off) and predict ``target``: (fitted, mean, std or None,
    seconds of both)."""
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted = data.inr.fit(variable, **kw)
        mean, std = fitted.predict(target, return_std=True) if with_std else (fitted.predict(target), None)
    return fitted, mean, std, time.perf_counter() - t0


def oracle_coverage(err, d, bins=20):
    """Coverage of the best std that depends on distance alone: the true RMS error in each of ``bins``
    distance quantiles. Errors heavier-tailed than a Gaussian put it above 68% within 1 std."""
    err = np.asarray(err)
    edges = np.quantile(d, np.linspace(0.0, 1.0, bins + 1))
    b = np.clip(np.searchsorted(edges, d) - 1, 0, bins - 1)
    rms = np.array([np.sqrt(np.nanmean(err[b == i] ** 2)) for i in range(bins)])
    z = np.abs(err) / rms[b]
    ok = np.isfinite(z)
    return float(np.mean(z[ok] <= 1.0)), float(np.mean(z[ok] <= 2.0))




def geostrophic_fd(ssh, lat_name, lon_name):
    """Geostrophic currents (u, v) in m/s of a gridded height (m) by fourth-order centred differences; NaN within
    two cells of an edge or of land."""
    lat = np.asarray(ssh[lat_name], dtype=float)
    lon = np.asarray(ssh[lon_name], dtype=float)
    a = ssh.transpose(..., lat_name, lon_name).values

    def d4(values, axis, step):
        out = np.full(values.shape, np.nan)
        v = np.moveaxis(values, axis, -1)
        o = np.moveaxis(out, axis, -1)
        o[..., 2:-2] = (-v[..., 4:] + 8 * v[..., 3:-1] - 8 * v[..., 1:-3] + v[..., :-4]) / (12 * step)
        return out

    rad = np.pi / 180.0
    dy = EARTH_RADIUS_M * rad * float(np.mean(np.diff(lat)))
    dx = EARTH_RADIUS_M * rad * float(np.mean(np.diff(lon))) * np.cos(lat * rad)[:, None]
    f = 2 * OMEGA * np.sin(lat * rad)[:, None]
    return -GRAVITY / f * d4(a, a.ndim - 2, dy), GRAVITY / f * d4(a, a.ndim - 1, 1.0) / dx


def derived_scores(fitted, target, truth, lat_name, lon_name, mean_map):
    """Coverage of ``derive("geostrophic_velocity", return_std=True)`` against the truth's currents (u and v
    pooled): RMSE and mean std (cm/s), within 1 / 2 std, and the RMS difference between the differenced truth and
    the differenced map's error, as a share of the error (the grid's part)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        uv = fitted.derive("geostrophic_velocity", target, return_std=True)
    dims = tuple(truth.dims)
    got = [uv[k].transpose(*dims).values for k in ("ugos", "vgos")]
    sd = [uv[k].transpose(*dims).values for k in ("ugos_std", "vgos_std")]
    true = geostrophic_fd(truth, lat_name, lon_name)
    differenced = geostrophic_fd(mean_map.transpose(*dims), lat_name, lon_name)
    err = np.concatenate([(g - t).ravel() for g, t in zip(got, true)])
    grid_err = np.concatenate([(d - t).ravel() for d, t in zip(differenced, true)])
    std = np.concatenate([s.ravel() for s in sd])
    ok = np.isfinite(err) & np.isfinite(std) & np.isfinite(grid_err)
    z = np.abs(err[ok]) / std[ok]
    rmse = float(np.sqrt(np.mean(err[ok] ** 2)))
    return dict(u_rmse=rmse * 100, u_std=float(np.mean(std[ok])) * 100, u1=float(np.mean(z <= 1)),
                u2=float(np.mean(z <= 2)), grid=float(np.sqrt(np.mean((err[ok] - grid_err[ok]) ** 2))) / rmse)


def run(max_time=30.0, seed=0, methods=(("ensemble", 5), ("bayes_last_layer", None)), validation=None,
        derived=False):
    tracks = geoinr.datasets.synthetic_tracks(days=10, noise=0.01, seed=seed)
    truth = geoinr.datasets.synthetic_grid(resolution=0.1, days=10, seed=seed)
    truth = truth.drop_vars("sla").rename(sla_true="sla").isel(time=slice(1, None))
    true = truth.sla.transpose("time", "lat", "lon")
    rows = []
    near = dist = None
    for method, members in methods:
        kw = dict(uncertainty=method, max_time=max_time, seed=seed, progress=False)
        if validation is not None:
            kw["validation"] = validation
        if members:
            kw["n_members"] = members
        fitted, mean, std, sec = fit_and_predict(tracks, "sla", truth, True, **kw)
        mean, std = mean.transpose("time", "lat", "lon"), std.transpose("time", "lat", "lon")
        c1, c2, z = coverage(true, mean, std)
        cal = fitted.calibration_
        if near is None:  # one split for every row: map points closer to an observation than the median
            dist = distance_to_data(fitted, tracks, truth.time.values, truth.lat.values, truth.lon.values)
            near = dist <= np.median(dist)
        o1, o2 = oracle_coverage(np.asarray(mean) - np.asarray(true), dist)
        rmse = float(np.sqrt(((mean - truth.sla) ** 2).mean()))
        b = (cal.get("error_floor") or [None])[0]
        rows.append(dict(
            method=method, members=members or "", seed=seed, rmse=rmse * 100, std=float(std.mean()) * 100,
            c1=c1, c2=c2, near1=within(z, near), far1=within(z, ~near), o1=o1, o2=o2,
            scale=cal["variance_scale"][0], gap=cal["gap_variance"][0] * fitted.std_[0] ** 2 * 1e4,
            length=f"{cal['gap_length_km'][0]:.0f} ({cal.get('gap_length_from', ['likelihood'])[0]})", on=cal["on"],
            lam=(cal.get("error_length_km") or [None])[0],
            floor=None if b is None else float(np.sqrt(b)) * fitted.std_[0] * 100,
            seconds=sec,
        ))
        if derived:
            rows[-1].update(derived_scores(fitted, truth, true, "lat", "lon", mean))
    # what users have today: optimal interpolation's formal mapping error (DUACS-like default scales)
    t0 = time.perf_counter()
    oi = geoinr.baselines.OptimalInterpolation().fit(tracks, "sla")
    mean, std = oi.predict(truth, return_std=True)
    sec = time.perf_counter() - t0
    mean, std = mean.transpose("time", "lat", "lon"), std.transpose("time", "lat", "lon")
    c1, c2, z = coverage(true, mean, std)
    o1, o2 = oracle_coverage(np.asarray(mean) - np.asarray(true), dist)
    rows.append(dict(
        method="OI formal error", o1=o1, o2=o2, members="", seed=seed, rmse=float(np.sqrt(((mean - truth.sla) ** 2).mean())) * 100,
        std=float(std.mean()) * 100, c1=c1, c2=c2, near1=within(z, near), far1=within(z, ~near),
        scale=float("nan"), gap=float("nan"), length="", lam=None, floor=None, on="(prior)", seconds=sec,
    ))
    return rows


DISTANCE_BINS_KM = (0.0, 25.0, 60.0, np.inf)  # real cases: coverage near the tracks, between them, far from them


def run_real(case, max_time=60.0, seed=0, methods=(None, "bayes_last_layer", "ensemble"), validation=None,
             derived=False):
    """Rows of map scores and coverage by distance on a four-day case of ``benchmarks/real_ssh.py``."""
    import os
    import sys

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import real_ssh

    kind, region = real_ssh.CASES[case]
    if kind != "tracks":
        raise SystemExit(f"--cases takes the four-day along-track cases of real_ssh.py; {case!r} is {kind!r}")
    obs, target, reference, full = real_ssh.make_case(real_ssh.load_truth(), kind, region, seed)
    rows = []
    for method in methods:
        kw = dict(max_time=max_time, seed=seed, progress=False)
        if method:
            kw["uncertainty"] = method
        if validation is not None and method:
            kw["validation"] = validation
        fitted, mean, std, sec = fit_and_predict(obs, "adt", target, bool(method), **kw)
        row = dict(case=case, seed=seed, method=method or "default (no std)", seconds=sec,
                   **real_ssh.score(mean, reference, full))
        if std is not None:
            ref = reference.transpose("time", "latitude", "longitude")
            m, sd = (a.broadcast_like(ref).transpose(*ref.dims).values for a in (mean, std))
            d = distance_to_data(fitted, obs, ref.time.values, ref.latitude.values, ref.longitude.values)
            ref = ref.values
            err = m - ref
            z = np.abs(err) / sd
            ok = np.isfinite(z)
            row.update(c1=float(np.mean(z[ok] <= 1)), c2=float(np.mean(z[ok] <= 2)),
                       corr=float(np.corrcoef(np.abs(err[ok]), sd[ok])[0, 1]),
                       bins=[(float(np.mean(z[b] <= 1)), float(np.mean(z[b] <= 2)), int(b.sum()))
                             for lo, hi in zip(DISTANCE_BINS_KM[:-1], DISTANCE_BINS_KM[1:])
                             for b in [ok & (d >= lo) & (d < hi)]])
            if derived:
                ref = reference.transpose("time", "latitude", "longitude")
                row.update(derived_scores(fitted, target, ref, "latitude", "longitude",
                                          mean.broadcast_like(ref).transpose(*ref.dims)))
        rows.append(row)
    return rows


def print_real(a):
    bins = [f"{lo:.0f}-{hi:.0f} km" if np.isfinite(hi) else f"over {lo:.0f} km"
            for lo, hi in zip(DISTANCE_BINS_KM[:-1], DISTANCE_BINS_KM[1:])]
    print("| case | seed | method | mu | RMSE (cm) | lambda_x (km) | seconds | within 1 / 2 std | "
          + " | ".join(f"{b}: within 1 / 2 std (points)" for b in bins) + " | corr(abs(error), std) |")
    print("|---|---:|---|---:|---:|---:|---:|---:|" + "---:|" * len(bins) + "---:|")
    allrows = []
    for case in a.cases:
        for seed in a.seeds:
            for r in run_real(case, a.max_time, seed, methods=a.methods, validation=a.validation, derived=a.derived):
                allrows.append(r)
                cov = "" if "c1" not in r else f"{r['c1']:.0%} / {r['c2']:.0%}"
                per = [f"{c1:.0%} / {c2:.0%} ({n})" for c1, c2, n in r.get("bins", [])] or [""] * len(bins)
                corr = f"{r['corr']:.2f}" if "corr" in r else ""
                print(f"| {r['case']} | {r['seed']} | {r['method']} | {r['mu']:.3f} | {r['rmse_cm']:.2f} | "
                      f"{r['lambda_x']:.0f} | {r['seconds']:.0f} | {cov} | " + " | ".join(per) + f" | {corr} |",
                      flush=True)
    print_derived(allrows)


def print_derived(rows):
    """The table of ``--derived``: the geostrophic currents' error and the coverage of their std."""
    rows = [r for r in rows if "u1" in r]
    if not rows:
        return
    print("\nGeostrophic currents, derive(\"geostrophic_velocity\", return_std=True), u and v pooled:\n")
    print("| case | seed | method | RMSE (cm/s) | mean std (cm/s) | within 1 std | within 2 std | grid's share of the error |")
    print("|---|---:|---|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r.get('case', 'built-in')} | {r['seed']} | {r['method']} | {r['u_rmse']:.2f} | {r['u_std']:.2f} | "
              f"{r['u1']:.1%} | {r['u2']:.1%} | {r['grid']:.1%} |", flush=True)


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--max-time", type=float, default=30.0)
    p.add_argument("--seeds", type=int, nargs="+", default=[0])
    p.add_argument("--validation", type=float, default=None, help="held-out fraction (default: the model's)")
    p.add_argument("--cases", nargs="+", default=None,
                   help="four-day real cases of benchmarks/real_ssh.py (gulfstream10, agulhas10, acc10, ...)")
    p.add_argument("--methods", nargs="+", default=["default", "bayes_last_layer", "ensemble"],
                   help="with --cases: 'default' (no std), 'bayes_last_layer', 'ensemble'")
    p.add_argument("--derived", action="store_true",
                   help="also score the geostrophic currents' std (derive(..., return_std=True))")
    a = p.parse_args()
    print(f"machine: {platform.machine()}, {torch.get_num_threads()} torch threads, torch {torch.__version__}, "
          f"budget {a.max_time:.0f} s per fit, validation {a.validation or 'default'}")
    if a.cases:
        a.methods = [None if m == "default" else m for m in a.methods]
        print_real(a)
        raise SystemExit(0)
    print("| method | members | seed | RMSE (cm) | mean std (cm) | within 1 std | within 2 std | "
          "within 1 std, near half | within 1 std, far half | distance-only oracle, within 1 / 2 std | c | a (cm^2) | l (km) | error length (km) | floor sqrt(b) (cm) | calibrated on | seconds |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|")
    allrows = []
    for seed in a.seeds:
        for r in run(a.max_time, seed, validation=a.validation, derived=a.derived):
            allrows.append(r)
            print(f"| {r['method']} | {r['members']} | {r['seed']} | {r['rmse']:.2f} | {r['std']:.2f} | {r['c1']:.1%} | "
                  f"{r['c2']:.1%} | {r['near1']:.1%} | {r['far1']:.1%} | {r['o1']:.1%} / {r['o2']:.1%} | {r['scale']:.3g} | {r['gap']:.3g} | "
                  f"{r['length']} | {'' if r['lam'] is None else format(r['lam'], '.0f')} | {'' if r['floor'] is None else format(r['floor'], '.2f')} | {r['on']} | {r['seconds']:.1f} |", flush=True)
    if len(a.seeds) > 1:
        for method in sorted({r["method"] for r in allrows}):
            c1 = [r["c1"] for r in allrows if r["method"] == method]
            c2 = [r["c2"] for r in allrows if r["method"] == method]
            o1 = [r["o1"] for r in allrows if r["method"] == method]
            o2 = [r["o2"] for r in allrows if r["method"] == method]
            print(f"{method}: within 1 std {min(c1):.1%}-{max(c1):.1%} (mean {np.mean(c1):.1%}), within 2 std "
                  f"{min(c2):.1%}-{max(c2):.1%} (mean {np.mean(c2):.1%}); distance-only oracle {np.mean(o1):.1%} / "
                  f"{np.mean(o2):.1%} (means) over seeds {a.seeds}")
    print_derived(allrows)
