"""Two variables fitted together where one is observed far less than the other: each one's error against a fit of
it alone.

A review of multi-variable fits (2026-12-07, ninth session) found a sea level observed at 5 % of the cells fitted
beside a temperature observed at 60 % 25-40 % worse jointly than alone: the loss pooled every observed entry, so
the sparse variable had 8 % of it. Each variable now weighs alike (``geoinr.training.per_variable_weights``).

Each case: an eddy field (``sla``, m) and a front with a warming trend (``sst``, K) on a 0.5 deg grid over six days,
each observed at random cells; the fits run a fixed number of epochs (``max_time=None``: a comparison of the
weighting, not of the machine's load), and each variable is scored by RMSE over every cell it was not observed at.

    python benchmarks/joint_weighting.py --seeds 0           # ~6 minutes on 2 cores
    PYTHONPATH=<an older checkout> python benchmarks/joint_weighting.py   # the same table before the change
"""
import argparse
import platform
import warnings

import numpy as np
import pandas as pd
import torch
import xarray as xr

import geoinr

CASES = {"sla 5 %, sst 60 %": (0.05, 0.60), "sla 15 %, sst 60 %": (0.15, 0.60), "both 30 %": (0.30, 0.30)}


def truth() -> xr.Dataset:
    lat, lon, t = np.arange(30.0, 40.0, 0.5), np.arange(-70.0, -60.0, 0.5), pd.date_range("2019-01-01", periods=6)
    tt, y, x = np.meshgrid(np.arange(6.0), lat, lon, indexing="ij")
    rng = np.random.default_rng(42)  # eight eddies of 60-100 km drifting west at 5 km/day
    sla = np.zeros_like(x)
    for _ in range(8):
        x0, y0, r, a = rng.uniform(-70, -60), rng.uniform(30, 40), rng.uniform(0.6, 1.0), rng.choice([-0.15, 0.15])
        sla += a * np.exp(-(((x - x0 + 0.05 * tt) * np.cos(np.radians(y0))) ** 2 + (y - y0) ** 2) / (2 * r ** 2))
    sst = 290 + 0.5 * (40 - y) + 2.0 * np.tanh((y - 35 - 0.5 * np.sin(2 * np.pi * x / 5)) / 1.0) + 0.2 * tt
    return xr.Dataset({"sla": (("time", "lat", "lon"), sla, {"units": "m"}),
                       "sst": (("time", "lat", "lon"), sst, {"units": "K"})}, coords={"time": t, "lat": lat, "lon": lon})


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="*", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=600)
    args = parser.parse_args()
    print(f"{platform.machine()}, torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"{args.epochs} epochs, Adam\n")
    print("| case | seed | sla RMSE joint / alone (cm) | sst RMSE joint / alone (K) |")
    print("|---|---:|---:|---:|")
    full = truth()
    kw = dict(epochs=args.epochs, max_time=None, progress=False, optimizer="adam", min_wavelength=120.0,
              min_period=3.0)
    for name, (share_sla, share_sst) in CASES.items():
        for seed in args.seeds:
            rng = np.random.default_rng(seed)
            seen = {"sla": rng.random(full.sla.shape) < share_sla, "sst": rng.random(full.sst.shape) < share_sst}
            obs = full.assign({v: full[v].where(seen[v]) for v in seen})
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                joint = obs.inr.fit(["sla", "sst"], seed=seed, **kw).predict(full)
                alone = {v: obs.inr.fit(v, seed=seed, **kw).predict(full) for v in seen}

            def rmse(pred, v):
                miss = ~seen[v]
                return float(np.sqrt(np.mean((pred.values[miss] - full[v].values[miss]) ** 2)))

            print(f"| {name} | {seed} | {100 * rmse(joint['sla'], 'sla'):.2f} / {100 * rmse(alone['sla'], 'sla'):.2f} "
                  f"| {rmse(joint['sst'], 'sst'):.3f} / {rmse(alone['sst'], 'sst'):.3f} |")


if __name__ == "__main__":
    main()
