"""Fits of real gridded maps by size and noise: Adam against L-BFGS and a mean of networks.

Truth: the real daily DUACS L4 maps in ``../shared/data/duacs_global_l4_2019/`` (0.25 deg; see
``benchmarks/real_ssh.py``). Two kinds of case, each scored with mu = 1 - RMSE / std(truth) on the
points that were not fitted:

- **checkerboard**: every second grid point (a checkerboard) of ``days`` days over a box is fitted,
  the other half is scored. Sizes from a few thousand to about 50,000 fitted points, to see where
  the full-batch L-BFGS of ``optimizer="auto"`` stops paying within the budget;
- **noisy gaps**: 1 cm of white noise is added to two days over a 30 x 15 deg box, and 50 % or 80 %
  of the points are dropped at random (a cloudy L3-like grid); the dropped points are scored
  against the noise-free truth.

Each case runs the defaults (``optimizer="auto"``: the choice and the number of networks are
printed) and the explicit variants, with the same ``max_time``.

    python benchmarks/grid_fits.py                               # every case, 60 s per fit
    python benchmarks/grid_fits.py --cases checkerboard_7k --variants auto adam --max-time 30
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
import xarray as xr

import geoinr

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from real_ssh import crop, load_truth  # noqa: E402

# name -> (kind, (west, east, south, north), days, noise (m), dropped fraction)
CASES = {
    "checkerboard_7k": ("checkerboard", (290.0, 320.0, 30.0, 45.0), 2, 0.0, 0.5),
    "checkerboard_53k": ("checkerboard", (280.0, 340.0, 20.0, 50.0), 4, 0.0, 0.5),
    "noisy_gaps_50": ("random", (290.0, 320.0, 30.0, 45.0), 2, 0.01, 0.5),
    "noisy_gaps_80": ("random", (290.0, 320.0, 30.0, 45.0), 2, 0.01, 0.8),
}
VARIANTS = {
    "auto": {},
    "adam": {"optimizer": "adam"},
    "lbfgs, one network": {"optimizer": "lbfgs", "n_members": 1},
    "lbfgs, mean of 4": {"optimizer": "lbfgs", "n_members": 4},
}


def make_case(truth, kind, region, days, noise, dropped, seed=0):
    """(fitted grid with NaN where dropped, noise-free truth, mask of the scored points)."""
    field = crop(truth, region).isel(time=slice(0, days))
    field.attrs.update(units="m", long_name="absolute dynamic topography")
    rng = np.random.default_rng(seed)
    if kind == "checkerboard":
        la, lo = np.meshgrid(np.arange(field.sizes["latitude"]), np.arange(field.sizes["longitude"]), indexing="ij")
        drop = np.broadcast_to(((la + lo) % 2 == 1)[None], field.shape)
    else:
        drop = rng.random(field.shape) < dropped
    noisy = field + noise * rng.standard_normal(field.shape) if noise else field
    obs = noisy.where(~drop).rename("adt")
    return obs, field, drop & np.isfinite(field.values)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", nargs="*", default=list(CASES))
    ap.add_argument("--variants", nargs="*", default=list(VARIANTS))
    ap.add_argument("--max-time", type=float, default=60.0)
    args = ap.parse_args(argv)
    warnings.simplefilter("ignore")
    truth = load_truth()
    print(f"# grid_fits.py: {platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__} "
          f"({torch.get_num_threads()} threads), geoinr {geoinr.__version__}, max_time={args.max_time:g} s")
    print("| case | fitted points | variant | chosen | mu | RMSE (cm) | seconds |")
    print("|---|---:|---|---|---:|---:|---:|")
    for name in args.cases:
        obs, field, scored = make_case(truth, *CASES[name])
        target = field.to_dataset(name="adt").drop_vars("adt")
        for variant in args.variants:
            t0 = time.perf_counter()
            try:
                fitted = obs.inr.fit(max_time=args.max_time, progress=False, seed=0, **VARIANTS[variant])
                pred = fitted.predict(target)
                pred = (pred.adt if isinstance(pred, xr.Dataset) else pred).transpose(*field.dims).values
                est, ref = pred[scored], field.values[scored]
                ok = np.isfinite(est)
                rmse = float(np.sqrt(np.mean((est[ok] - ref[ok]) ** 2)))
                row = (f"{fitted.n_points_:,} | {variant} | {fitted.optimizer_}, {fitted.members_} network(s) | "
                       f"{1 - rmse / float(np.std(ref[ok])):.4f} | {100 * rmse:.2f}")
            except Exception as err:  # a failure is a result too
                row = f" | {variant} | failed: {type(err).__name__}: {str(err)[:80]} | | "
            print(f"| {name} | {row} | {time.perf_counter() - t0:.1f} |", flush=True)


if __name__ == "__main__":
    main()
