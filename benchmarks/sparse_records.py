"""One satellite's tracks of real DUACS maps: records too sparse to map, scored by distance from the tracks.

The four-day cases of ``real_ssh.py`` sample six altimeters; a user's one-day L3 file
holds one. Here the same real DUACS L4 maps (``../shared/data``) are sampled along the
ground tracks of ONE altimeter (``geoinr.osse.sample_along_track``, 1 Hz, 1 cm white
noise) over one or four days, in the boxes of ``real_ssh.CASES``. Every method maps the
tracks onto the days they cover and is scored there on ocean points: mu (1 - RMSE /
RMS of the truth's anomaly about its mean) and the RMSE by distance from the nearest
observation (of any day of the record: on four-day records a day's own tracks may lie
further). Between passes hundreds of kilometres apart no method maps the mesoscale;
what differs is what each puts in the gaps (``geoinr.scales.unresolved_share``
flags these records: the fit warns).

Methods: ``OI`` (``OptimalInterpolation()`` defaults), ``default`` (``fit(max_time=T)``:
``physics="auto"`` adds the smooth prior where the fit warns that the record is too sparse,
outside the tropics; the ``terms`` column says where; targets outside the observations' extent hold the value
of its nearest point), ``default, extrapolated`` (the same fit, when it ran just before, predicted with
``outside="extrapolate"``: the network's own values there, as until 2026-12-06; its seconds are the
prediction's), ``physics=None`` (never a prior: the default until 2026-12-06), ``smooth`` (``fit(physics="smooth", physics_weight=0.03,
max_time=T)``: the prior that prefers the flattest field the data allow between passes) and
``smooth 0.1``.

    python benchmarks/sparse_records.py --max-time 30 --seeds 0 1
    python benchmarks/sparse_records.py --records agulhas_saral_4d --methods OI default
    python benchmarks/sparse_records.py --methods OI default "default, extrapolated"

The box is the case's; one satellite's passes of one day may cover a small part of it (82 % of the
Kuroshio Sentinel-3A day's ocean points lie outside the passes' extent, 40 % of the Mediterranean
Jason-3 day's), so what a method puts beyond its data's extent counts.
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
import time
import warnings

import numpy as np
import torch
from scipy.spatial import cKDTree

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import real_ssh  # noqa: E402  (the truth, the boxes and the crop of the real-data benchmark)

import geoinr  # noqa: E402
from geoinr import baselines, geometry, osse  # noqa: E402
from geoinr.model.physics_weight import SMOOTH_WEIGHT  # noqa: E402  (the "smooth" row's weight: "auto"'s, the warning's)

# name: (box of real_ssh.CASES, altimeter, days of tracks)
RECORDS = {
    "agulhas_saral_4d": ("agulhas10", "saral", 4),
    "kuroshio_saral_4d": ("kuroshio20", "saral", 4),
    "gulfstream_jason3_4d": ("gulfstream10", "jason3", 4),
    "gulfstream_saral_4d": ("gulfstream10", "saral", 4),
    "tropics_s3a_1d": ("tropics20", "sentinel3a", 1),
    "acc_saral_4d": ("acc10", "saral", 4),
    "gulfstream_basin_jason3_1d": ("gulfstream_basin40", "jason3", 1),
    "mediterranean_jason3_1d": ("mediterranean40", "jason3", 1),
    "acc_s3a_1d": ("acc10", "sentinel3a", 1),
    "kuroshio_s3a_1d": ("kuroshio20", "sentinel3a", 1),
    "tropics_saral_1d": ("tropics20", "saral", 1),
    "gulfstream_basin_saral_1d": ("gulfstream_basin40", "saral", 1),
    "tropics_jason3_1d": ("tropics20", "jason3", 1),
    "agulhas_s3a_4d": ("agulhas10", "sentinel3a", 4),
}
DISTANCE_BANDS_KM = ((0, 25), (25, 50), (50, 100), (100, 200), (200, np.inf))  # from the nearest observation


def make_record(truth, name, seed=0):
    """(observations, target grid, reference maps on the days the tracks cover) of one record."""
    box, mission, days = RECORDS[name]
    field = real_ssh.crop(truth, real_ssh.CASES[box][1]).isel(time=slice(0, max(days, 2)))
    field.attrs.update(units="m")
    obs = osse.sample_along_track(field, missions=(mission,), white_noise=0.01, seed=seed)
    obs = obs.rename({"sla": "adt"}).drop_vars("sla_true", errors="ignore")
    if days == 1:  # the first day's tracks only
        t0 = field.time.values[0]
        obs = obs.where((obs.time >= t0) & (obs.time < t0 + np.timedelta64(1, "D")), drop=True)
    covered = set(np.unique(obs.time.values.astype("datetime64[D]")))
    reference = field.sel(time=[t for t in field.time.values if t.astype("datetime64[D]") in covered])
    return obs, reference.to_dataset(name="adt").drop_vars("adt"), reference


def score_by_distance(pred, reference, obs) -> dict:
    """mu on the scored points, and the RMSE (cm) and point count in each band of distance from the tracks."""
    lon, lat = np.meshgrid(reference.longitude.values, reference.latitude.values)
    tree = cKDTree(geometry.xyz_km(obs.longitude.values.ravel(), obs.latitude.values.ravel()))
    dist, _ = tree.query(geometry.xyz_km(lon.ravel(), lat.ravel()))
    dist = np.broadcast_to(dist.reshape(lon.shape), reference.shape)
    p = pred.broadcast_like(reference).transpose(*reference.dims).values
    r = reference.values
    ok = np.isfinite(p) & np.isfinite(r)
    anomaly = r[ok] - r[ok].mean()
    out = {"mu": 1.0 - np.sqrt(np.mean((p[ok] - r[ok]) ** 2)) / np.sqrt(np.mean(anomaly**2)),
           "std_cm": 100.0 * anomaly.std(), "bands": []}
    for lo, hi in DISTANCE_BANDS_KM:
        m = ok & (dist >= lo) & (dist < hi)
        out["bands"].append((int(m.sum()), 100.0 * float(np.sqrt(np.mean((p[m] - r[m]) ** 2))) if m.any() else np.nan))
    return out


LAST_TERMS = {}  # the terms the last geoinr fit trained with (physics_): the default adds the prior where it warns
LAST_DEFAULT = {}  # the default's last fit and the observations it was fitted to ("default, extrapolated" reuses it)


def methods(max_time, seed):
    """The methods by name: ``(obs, grid) -> map``."""
    fit = dict(max_time=max_time, seed=seed, progress=False)

    def inr(**kw):
        def run(obs, grid):
            fitted = obs.inr.fit("adt", **fit, **kw)
            LAST_TERMS["physics"] = fitted.physics_
            if not kw:
                LAST_DEFAULT.update(obs=obs, fitted=fitted)
            return fitted.predict(grid)

        return run

    def extrapolated(obs, grid):  # the default's own fit where it ran just before on these observations: same network
        fitted = LAST_DEFAULT["fitted"] if LAST_DEFAULT.get("obs") is obs else obs.inr.fit("adt", **fit)
        LAST_TERMS["physics"] = fitted.physics_
        return fitted.predict(grid, outside="extrapolate")

    def oi(obs, grid):
        LAST_TERMS["physics"] = None
        return baselines.OptimalInterpolation(progress=False).fit(obs, "adt").predict(grid)

    return {
        "OI": oi,
        "default": inr(),
        "default, extrapolated": extrapolated,  # outside the tracks' extent the network's own values (until 2026-12-06)
        "physics=None": inr(physics=None),  # the default until 2026-12-06's fifth session: never a prior
        "smooth": inr(physics="smooth", physics_weight=SMOOTH_WEIGHT),
        "smooth 0.1": inr(physics="smooth", physics_weight=0.1),
    }


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", nargs="*", default=list(RECORDS))
    ap.add_argument("--methods", nargs="*", default=["OI", "default", "smooth"])
    ap.add_argument("--max-time", type=float, default=30.0)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0], help="each draws the noise and seeds the fits")
    args = ap.parse_args(argv)
    warnings.simplefilter("ignore")
    truth = real_ssh.load_truth()
    bands = " | ".join(f"{lo}-{hi:g} km" for lo, hi in DISTANCE_BANDS_KM).replace("-inf km", "+ km")
    print(f"# sparse_records.py: {platform.machine()} {platform.processor() or ''}, {os.cpu_count()} cores, torch "
          f"{torch.__version__} ({torch.get_num_threads()} threads), geoinr {geoinr.__version__}, "
          f"max_time={args.max_time:g} s, seeds {', '.join(map(str, args.seeds))}")
    print(f"| record | observations | method | seed | terms | mu | RMSE (cm) by distance from the tracks: {bands} | "
          f"seconds |")
    print("|---|---:|---|---:|---|---:|---|---:|")
    rows = []
    for seed in args.seeds:
        table = methods(args.max_time, seed)
        for name in args.records:
            obs, grid, reference = make_record(truth, name, seed)
            for method in args.methods:
                t0 = time.perf_counter()
                pred = table[method](obs, grid)
                pred = pred["adt"] if hasattr(pred, "data_vars") else pred
                seconds = time.perf_counter() - t0
                s = score_by_distance(pred, reference, obs)
                rows.append((name, method, seed, s["mu"]))
                per_band = ", ".join(f"{rmse:.1f} ({n})" for n, rmse in s["bands"])
                terms = LAST_TERMS.get("physics") or "-"
                print(f"| {name} | {obs.sizes['time']} | {method} | {seed} | {terms} | {s['mu']:.3f} | {per_band} | "
                      f"{seconds:.1f} |", flush=True)
    if len(args.methods) > 1:
        print("\n| method | mean mu | ahead of OI | ahead of the default | ahead of physics=None |\n|---|---:|---|---|---|")
        by = {(r, m, s): mu for r, m, s, mu in rows}
        for method in args.methods:
            mine = [(r, s, mu) for r, m, s, mu in rows if m == method]
            mean = np.mean([mu for _, _, mu in mine])

            def ahead(other):
                pairs = [(mu, by[(r, other, s)]) for r, s, mu in mine if (r, other, s) in by]
                return f"{sum(a > b for a, b in pairs)} of {len(pairs)}" if pairs and other != method else "-"

            print(f"| {method} | {mean:.3f} | {ahead('OI')} | {ahead('default')} | {ahead('physics=None')} |")


if __name__ == "__main__":
    main()
