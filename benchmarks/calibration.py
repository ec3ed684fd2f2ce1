"""Is the predictive standard deviation calibrated? Coverage of +-1 and +-2 std on a known truth.

Built-in along-track case (4 altimeters, 10 days, 1 cm noise); each uncertainty
method fitted with the same budget; daily 0.1-degree maps compared with the truth
field. A calibrated std puts 68.3% of the true values within +-1 std and 95.4%
within +-2 std.

    python benchmarks/calibration.py --max-time 30
"""
import argparse
import platform
import time
import warnings

import numpy as np
import torch

import geoinr


def coverage(truth, mean, std):
    z = np.abs(np.asarray(truth) - np.asarray(mean)) / np.asarray(std)
    z = z[np.isfinite(z)]
    return float(np.mean(z <= 1.0)), float(np.mean(z <= 2.0)), float(np.median(z))


def run(max_time=30.0, seed=0, methods=(("ensemble", 5), ("bayes_last_layer", None))):
    tracks = geoinr.datasets.synthetic_tracks(days=10, noise=0.01, seed=seed)
    truth = geoinr.datasets.synthetic_grid(resolution=0.1, days=10, seed=seed)
    truth = truth.drop_vars("sla").rename(sla_true="sla").isel(time=slice(1, None))
    rows = []
    for method, members in methods:
        kw = dict(uncertainty=method, max_time=max_time, seed=seed, progress=False)
        if members:
            kw["n_members"] = members
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fitted = tracks.inr.fit("sla", **kw)
            mean, std = fitted.predict(truth, return_std=True)
        sec = time.perf_counter() - t0
        c1, c2, zmed = coverage(truth.sla, mean, std)
        rmse = float(np.sqrt(((mean - truth.sla) ** 2).mean()))
        rows.append((method, members or "", rmse * 100, float(std.mean()) * 100, c1, c2, zmed,
                     fitted.calibration_["variance_scale"][0], sec))
    return rows


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--max-time", type=float, default=30.0)
    a = p.parse_args()
    print(f"machine: {platform.machine()}, {torch.get_num_threads()} torch threads, torch {torch.__version__}, "
          f"budget {a.max_time:.0f} s per fit")
    print("| method | members | RMSE (cm) | mean std (cm) | within 1 std | within 2 std | median abs z | variance scale | seconds |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for m, k, r, sd, c1, c2, z, c, sec in run(a.max_time):
        print(f"| {m} | {k} | {r:.2f} | {sd:.2f} | {c1:.1%} | {c2:.1%} | {z:.2f} | {c:.3g} | {sec:.1f} |")
