"""Time of the std's calibration on whole held-out passes, against the fit it follows.

An ``uncertainty=`` fit ends by calibrating its std on the held-out passes' likelihood
(:func:`geoinr.uncertainty.calibration.calibrate_gap` with the passes as groups: a Gaussian
likelihood of each pass's correlated residuals, maximised by Nelder-Mead after a profile over
a grid of the error's correlation length). This script fits the built-in along-track case,
keeps the inputs the fit handed to the calibration, and times the calibration alone on them
(the best of ``--repeats``), so that runs at two commits compare the calibration on the same
inputs (the fits run an epochs budget). It prints one row per case and method with the calibrated
parameters, which two commits that calibrate alike print alike.

    python benchmarks/calibration_speed.py --epochs 100 --days 10 20
"""
import argparse
import os
import platform
import time
import warnings

import numpy as np
import torch

import geoinr
from geoinr.uncertainty import calibrated


def captured_calibration(days: float, method: str, epochs: int, seed: int):
    """Fit ``synthetic_tracks(days)`` with ``uncertainty=method`` for ``epochs``; the arguments of its calibration and
    the fit's seconds. An epochs budget, not a time budget: the same weights at every commit that trains alike."""
    calls = []
    real = calibrated.calibrate_gap

    def spy(*args, **kwargs):
        calls.append((args, kwargs))
        return real(*args, **kwargs)

    tracks = geoinr.datasets.synthetic_tracks(days=days, noise=0.01, seed=seed)
    calibrated.calibrate_gap = spy
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fitted = tracks.inr.fit("sla", uncertainty=method, epochs=epochs, max_time=None, seed=seed,
                                    progress=False)
    finally:
        calibrated.calibrate_gap = real
    if not calls:
        raise RuntimeError(f"the {method} fit of {days} days did not calibrate on held-out passes")
    return calls[-1], fitted.fit_seconds_


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", type=float, nargs="+", default=[10.0, 20.0], help="records of the built-in case")
    parser.add_argument("--methods", nargs="+", default=["bayes_last_layer", "ensemble"])
    parser.add_argument("--epochs", type=int, default=100, help="epochs of each fit (default 100)")
    parser.add_argument("--repeats", type=int, default=3, help="calibrations timed on the same inputs (best kept)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(f"machine: {platform.machine()} {platform.processor() or ''}, {os.cpu_count()} CPUs, torch "
          f"{torch.__version__}, {torch.get_num_threads()} threads, numpy {np.__version__}")
    print("| record | method | held-out points | passes | fit (s) | calibration (s, best of "
          f"{args.repeats}) | c | error length (km) | floor b |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for days in args.days:
        for method in args.methods:
            (cal_args, cal_kwargs), fit_seconds = captured_calibration(days, method, args.epochs, args.seed)
            seconds = []
            for _ in range(args.repeats):
                t0 = time.perf_counter()
                cal = calibrated.calibrate_gap(*cal_args, **cal_kwargs)
                seconds.append(time.perf_counter() - t0)
            n = np.size(cal_args[0])
            passes = len(np.unique(cal_kwargs["groups"])) if cal_kwargs.get("groups") is not None else 0
            print(f"| {days:g} days | {method} | {n} | {passes} | {fit_seconds:.1f} | {min(seconds):.2f} | "
                  f"{cal['variance_scale']:.4f} | {cal.get('error_length_km', float('nan')):.2f} | "
                  f"{cal.get('error_floor', float('nan')):.3g} |", flush=True)


if __name__ == "__main__":
    main()
