"""Time before training: a fit's setup (reading, the repeats' check, the scales) against the record's length.

A review (2026-12-07, fifth session) found that ten years of daily 1-degree maps (1.46 million points) spent most
of a 20 s budget before training: the check for repeated coordinates sorted every point (``np.unique`` of rows)
and a grid's scales were measured three times over every point. The check now hashes the points (pandas) and the
scales are measured once. This script times, on one machine in one run:

- a one-epoch fit of a width-8 network (its time is almost all setup) on 1 month, 1 year and 10 years of a daily
  1-degree 20 x 20 deg grid of moving eddies, with the scales it chose;
- the repeats' check side by side: the old sort of every row (``np.unique(axis=0)``) against the package's;
- (``--scattered``) default fits with ``max_time`` of scattered records (random points over a 10 x 10 deg box and
  ten days, an analytic field): wall time against the budget, the training's share, and the rest (reading, checks,
  scales, the evaluation after training). On 2 million points the setup took ~8 s (2026-12-07, seventh session):
  the sampling gap measured twice over every point, a balanced k-d tree, three hash tables for the repeats' check.

    python benchmarks/setup_time.py                                  # ~1 minute on 2 cores
    python benchmarks/setup_time.py --days --scattered 20000 200000 2000000 --max-time 15   # ~1.5 minutes
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
from geoinr.observations import warn_duplicates


def daily_grid(days: int) -> xr.Dataset:
    """Daily 1-degree maps over 0-20 E, 30-50 N: a seasonal cycle and westward-drifting eddies (m)."""
    lon, lat = np.arange(0.5, 20, 1.0), np.arange(30.5, 50, 1.0)
    t = np.arange(days, dtype=float)
    T, Y, X = np.meshgrid(t, lat, lon, indexing="ij")
    field = 0.05 * np.cos(2 * np.pi * (T - 60) / 365.25)
    rng = np.random.default_rng(0)
    for _ in range(12):
        x0, y0, sign = rng.uniform(0, 20), rng.uniform(30, 50), rng.choice([-1.0, 1.0])
        xc = (x0 - 0.05 * T) % 20.0
        dx = ((X - xc + 10) % 20 - 10) * 111 * np.cos(np.radians(Y))
        field = field + sign * 0.08 * np.exp(-(dx ** 2 + ((Y - y0) * 111) ** 2) / (2 * 150.0 ** 2))
    return xr.Dataset({"sla": (("time", "lat", "lon"), field, {"units": "m"})},
                      coords={"time": pd.date_range("2010-01-01", periods=days), "lat": lat, "lon": lon})


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--days", type=int, nargs="*", default=[30, 365, 3650])
    parser.add_argument("--scattered", type=float, nargs="*", default=[], help="points of scattered records")
    parser.add_argument("--max-time", type=float, default=15.0, help="the scattered records' fits' budget (s)")
    args = parser.parse_args()
    print(f"{platform.machine()}, torch {torch.__version__}, {torch.get_num_threads()} threads\n")
    with warnings.catch_warnings():  # torch's first fit in a process (imports, threads) is not the record's
        warnings.simplefilter("ignore", UserWarning)
        daily_grid(5).inr.fit("sla", width=8, depth=1, epochs=1, max_time=None, seed=0, progress=False)
    if args.days:
        print("| record | points | one-epoch fit (s) | min_wavelength km / min_period days | repeats' check: sort every row (s) | package's (s) |")
        print("|---|---:|---:|---|---:|---:|")
    for days in args.days:
        ds = daily_grid(days)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            t0 = time.perf_counter()
            m = ds.inr.fit("sla", width=8, depth=1, epochs=1, max_time=None, seed=0, progress=False)
            fit_s = time.perf_counter() - t0
        table = geoinr.coords.PointTable(*(np.broadcast_to(a, ds.sla.shape).ravel() for a in (
            ds.lon.values[None, None, :], ds.lat.values[None, :, None],
            np.arange(days, dtype=float)[:, None, None])), values=ds.sla.values.reshape(-1, 1))
        t0 = time.perf_counter()
        np.unique(table.coordinates(), axis=0, return_inverse=True, return_counts=True)
        old_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        warn_duplicates(table)
        new_s = time.perf_counter() - t0
        enc = m.encoding_config_
        print(f"| {days} days | {ds.sla.size:,} | {fit_s:.1f} | {enc['min_wavelength']:.1f} / {enc['min_period']:.2f} "
              f"| {old_s:.2f} | {new_s:.2f} |")

    if args.scattered:
        print(f"\n| scattered points | max_time (s) | wall (s) | training (s) | the rest (s) | min_wavelength km / min_period days |")
        print("|---:|---:|---:|---:|---:|---|")
    for n in args.scattered:
        ds = scattered(int(n))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            t0 = time.perf_counter()
            m = ds.inr.fit("sla", max_time=args.max_time, seed=0, progress=False)
            wall = time.perf_counter() - t0
        enc = m.encoding_config_
        print(f"| {int(n):,} | {args.max_time:g} | {wall:.1f} | {m.fit_seconds_:.1f} | {wall - m.fit_seconds_:.1f} "
              f"| {enc['min_wavelength']:.1f} / {enc['min_period']:.2f} |")


def scattered(n: int) -> xr.Dataset:
    """``n`` random points over 0-10 E, 30-40 N and ten days of an analytic eddy field (m)."""
    rng = np.random.default_rng(0)
    lon, lat, days = rng.uniform(0, 10, n), rng.uniform(30, 40, n), rng.uniform(0, 10, n)
    t = np.datetime64("2020-01-01", "ns") + (days * 86400e9).astype("timedelta64[ns]")
    sla = geoinr.datasets.analytic_ssh(lon, lat, days)
    return xr.Dataset({"sla": ("obs", sla, {"units": "m"})},
                      coords={"lon": ("obs", lon), "lat": ("obs", lat), "time": ("obs", t)})


if __name__ == "__main__":
    main()
