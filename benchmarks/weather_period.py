"""Hourly weather maps between the hours: the period a sub-daily grid's field is carried at against the rule's.

An atmospheric review (2026-12-07, ninth session) found that an hourly sea-level pressure whose lows travel 700 km
a day took the rule's period, the wavelength over a mesoscale drift of 10 km/day: 19 to 102 days over records of
one to three days, so the map hardly changed in time. A sub-daily grid without a cycle of its own now takes the
time its field needs to change by the shortest wavelength at the speed it is carried
(:func:`geoinr.scales.carried_period`).

Each case: ERA5-like sea-level pressure (Pa) of lows travelling east at 10 deg/day, on a regular grid, fitted on
the even hours; scored on the odd hours (never seen) by RMSE (Pa) against the truth. Side by side on the same
budget: the default, and the default with ``min_period`` set to the rule's (what it was before); linear
interpolation in time between the even hours as the floor.

    python benchmarks/weather_period.py                  # ~3 minutes on 2 cores
    python benchmarks/weather_period.py --max-time 60 --seeds 0 1
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
from geoinr.scales import DEFAULT_SPEED

CASES = {  # name: (west, east, south, north, resolution deg, days)
    "europe_1deg_2days": (-20.0, 40.0, 30.0, 70.0, 1.0, 2),
    "europe_2deg_1day": (-20.0, 40.0, 30.0, 70.0, 2.0, 1),
    "atlantic_0.5deg_2days": (-40.0, 0.0, 35.0, 65.0, 0.5, 2),
}


def lows(west, east, south, north, res, days, seed=0) -> xr.Dataset:
    """Sea-level pressure (Pa) of four lows of 15-35 hPa travelling east at 10 deg/day, hourly."""
    rng = np.random.default_rng(seed)
    lat, lon = np.arange(north, south - 1e-9, -res), np.arange(west, east + 1e-9, res)
    t = pd.date_range("2024-01-10", periods=24 * days, freq="1h")
    d = np.asarray((t - t[0]) / pd.Timedelta("1D"))[:, None, None]
    la, lo = lat[None, :, None], lon[None, None, :]
    msl = 101325.0 + 0.0 * d * la * lo
    for _ in range(4):
        c_lat, c_lon = rng.uniform(south + 5, north - 5), rng.uniform(west - 20, east - 10)
        depth, radius = rng.uniform(1500.0, 3500.0), rng.uniform(4.0, 8.0)
        dx = (lo - (c_lon + 10.0 * d)) * np.cos(np.radians(c_lat))
        msl = msl - depth * np.exp(-(dx ** 2 + (la - c_lat) ** 2) / (2 * radius ** 2))
    return xr.Dataset({"msl": (("time", "latitude", "longitude"), msl.astype("float32"),
                               {"units": "Pa", "standard_name": "air_pressure_at_mean_sea_level"})},
                      coords={"time": t, "latitude": lat, "longitude": lon})


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--max-time", type=float, default=30.0)
    parser.add_argument("--seeds", type=int, nargs="*", default=[0])
    parser.add_argument("--cases", nargs="*", default=list(CASES))
    args = parser.parse_args()
    print(f"{platform.machine()}, torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"max_time {args.max_time:g} s\n")
    print("| case | seed | method | min_wavelength km / min_period days | RMSE odd hours (Pa) | fit (s) |")
    print("|---|---:|---|---|---:|---:|")
    for name in args.cases:
        truth = lows(*CASES[name])
        seen, unseen = truth.isel(time=slice(0, None, 2)), truth.isel(time=slice(1, None, 2))
        linear = seen.msl.interp(time=unseen.time)  # (the last odd hour lies past the last even one: NaN)
        ok = np.isfinite(linear.values)
        rmse_linear = float(np.sqrt(np.mean((linear.values - unseen.msl.values)[ok] ** 2)))
        print(f"| {name} | - | linear in time | - | {rmse_linear:.1f} | - |")
        for seed in args.seeds:
            rule_period = None
            for method in ("default", "the rule's period"):
                kw = {} if method == "default" else {"min_period": rule_period}
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    t0 = time.perf_counter()
                    m = seen.inr.fit("msl", max_time=args.max_time, seed=seed, progress=False, **kw)
                    pred = m.predict(unseen)
                    took = time.perf_counter() - t0
                enc = m.encoding_config_
                rule_period = enc["min_wavelength"] / DEFAULT_SPEED
                err = float(np.sqrt(np.mean((pred.values - unseen.msl.values)[ok] ** 2)))
                print(f"| {name} | {seed} | {method} | {enc['min_wavelength']:.0f} / {enc['min_period']:.3g} "
                      f"| {err:.1f} | {took:.0f} |")


if __name__ == "__main__":
    main()
