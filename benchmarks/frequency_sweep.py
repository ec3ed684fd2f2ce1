"""How the SIREN bandwidth (w0) and the time scaling change gap-filling skill.

Fits the built-in synthetic along-track case (4 altimeters, 10 days, 1 cm noise,
10x10 degree box) with the same wall-clock budget for every setting and scores
the daily maps (0.1 degree) against the known truth. Time is scaled by a speed:
``min_period = min_wavelength / speed`` (here min_wavelength = 100 km), so one day
counts like ``speed`` km. This is the measurement behind the calibration of the
data-derived defaults (SIREN w0 = bandwidth / 8, speed 10 km/day).

    python benchmarks/frequency_sweep.py --max-time 20
"""
import argparse
import platform
import time
import warnings

import torch

import geoinr


def run(max_time=20.0, w0s=(1.5, 3.0, 10.0, 30.0), speeds=(2.5, 10.0, 40.0), seed=0, min_wavelength=100.0):
    tracks = geoinr.datasets.synthetic_tracks(days=10, noise=0.01, seed=seed)
    truth = geoinr.datasets.synthetic_grid(resolution=0.1, days=10, seed=seed)
    truth = truth.drop_vars("sla").rename(sla_true="sla").isel(time=slice(1, None))  # whole days inside the window
    rows = []
    for v in speeds:
        for w0 in w0s:
            t0 = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fitted = tracks.inr.fit(
                    "sla",
                    w0=w0,
                    min_wavelength=min_wavelength,
                    min_period=min_wavelength / v,
                    max_time=max_time,
                    seed=seed,
                    progress=False,
                )
            seconds = time.perf_counter() - t0
            s = fitted.scores(truth)
            rows.append((w0, v, s["rmse"] * 100, s["mu"], int(fitted.history.step.iloc[-1]), fitted.stop_reason_, seconds))
    return rows


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--max-time", type=float, default=20.0, help="training budget per fit, seconds")
    a = p.parse_args()
    print(f"machine: {platform.processor() or platform.machine()}, {torch.get_num_threads()} torch threads, "
          f"torch {torch.__version__}, geoinr {geoinr.__version__}, budget {a.max_time:.0f} s per fit")
    print("| w0 | speed (km/day) | RMSE (cm) | mu | steps | stopped | seconds |")
    print("|---:|---:|---:|---:|---:|---|---:|")
    for w0, v, r, mu, steps, why, sec in run(a.max_time):
        print(f"| {w0:g} | {v:g} | {r:.2f} | {mu:.3f} | {steps} | {why} | {sec:.1f} |")
