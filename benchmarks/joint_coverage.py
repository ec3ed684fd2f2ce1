"""The standard deviation of a sparse variable fitted beside a dense one: how many of its gaps' errors it covers.

A review of fits of several variables (2026-12-07, sixth session) found that a variable held out at fewer than 20
points of its own (a salinity observed at 5 % of the cells, fitted beside a sea level observed everywhere) was
calibrated on those few points in silence: its std came out far too small. It now gets the fallback of a fit with
too few held-out points (the network's spread, scaled up to its few held-out errors, plus the variogram's gap term),
with a warning. This script fits the synthetic case both ways (jointly with the sea level, and alone) with each
uncertainty method and prints, over the salinity's gaps, the RMSE, the mean std and the share of errors within one
and two std (0.68 and 0.95 for a calibrated Gaussian error).

    python benchmarks/joint_coverage.py          # ~2 minutes on 2 cores (four fits of 200 epochs)
"""
import argparse
import platform
import warnings

import numpy as np
import pandas as pd
import torch
import xarray as xr

import geoinr
from geoinr.datasets import analytic_ssh

REGION = (0.0, 10.0, 30.0, 40.0)


def case(days: int = 4, resolution: float = 0.5, share: float = 0.05, seed: int = 2):
    """A dense sea level and a salinity following it (35 + 2 x the sea level in m), observed at ``share`` of the
    cells; the truth of both."""
    lon = np.arange(REGION[0] + resolution / 2, REGION[1], resolution)
    lat = np.arange(REGION[2] + resolution / 2, REGION[3], resolution)
    t = np.arange(days, dtype=float)
    ssh = analytic_ssh(lon[None, None, :], lat[None, :, None], t[:, None, None], seed=0, region=REGION)
    dims = ("time", "lat", "lon")
    truth = xr.Dataset(
        {"zos": (dims, ssh, {"units": "m", "standard_name": "sea_surface_height_above_geoid"}),
         "sos": (dims, 35.0 + 2.0 * ssh, {"units": "1e-3", "standard_name": "sea_surface_salinity"})},
        coords={"time": pd.date_range("2020-01-01", periods=days), "lat": lat, "lon": lon})
    rng = np.random.default_rng(seed)
    return truth, truth.assign(sos=truth.sos.where(rng.random(truth.sos.shape) < share))


def coverage(mean: xr.DataArray, std: xr.DataArray, truth: xr.DataArray, gaps: xr.DataArray) -> dict:
    err = (mean - truth).where(gaps)
    sd = std.where(gaps)
    return {"gap RMSE": float(np.sqrt((err**2).mean())), "mean std": float(sd.mean()),
            "within 1 std": float((abs(err) < sd).where(gaps).mean()),
            "within 2 std": float((abs(err) < 2 * sd).where(gaps).mean())}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=200)
    args = parser.parse_args()
    torch.set_num_threads(2)
    truth, obs = case()
    gaps = obs.sos.isnull()
    print(f"# {platform.machine()} {platform.processor() or ''}, torch {torch.__version__}, {torch.get_num_threads()} "
          f"threads; salinity observed at {int(obs.sos.notnull().sum())} of {obs.sos.size} cells, sea level at all")
    print("| uncertainty | fit | gap RMSE | mean std | within 1 std | within 2 std | warned of few held-out points |")
    print("|---|---|---:|---:|---:|---:|---|")
    kw = dict(width=64, depth=2, epochs=args.epochs, max_time=None, progress=False, seed=0)
    for method in ("bayes_last_layer", "ensemble"):
        for how, data, variables in (("joint", obs, ["zos", "sos"]), ("alone", obs[["sos"]], ["sos"])):
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                fitted = data.inr.fit(variables, uncertainty=method, **kw)
            mean, std = fitted.predict(truth, return_std=True)
            mean = mean["sos"] if isinstance(mean, xr.Dataset) else mean
            std = std["sos_std"] if isinstance(std, xr.Dataset) else std
            c = coverage(mean, std, truth.sos, gaps)
            warned = any("held-out points" in str(w.message) for w in caught)
            print(f"| {method} | {how} | {c['gap RMSE']:.4f} | {c['mean std']:.4f} | {c['within 1 std']:.2f} | "
                  f"{c['within 2 std']:.2f} | {'yes' if warned else 'no'} |")


if __name__ == "__main__":
    main()
