"""Prediction onto a 10-million-point grid: throughput and peak memory.

Evaluation is batched (``predict(batch_size=...)``), so memory grows with the
output array (4 bytes a point) and not with the network's activations.

    python benchmarks/predict_large.py --points 10_000_000
    python benchmarks/predict_large.py --points 2_000_000 --precisions   # a bfloat16 fit, predicted both ways
"""
import argparse
import platform
import time
import warnings

import numpy as np
import torch

import geoinr


def peak_rss_mb():
    from geoinr.machine import peak_rss_mib

    return peak_rss_mib()


def main(points=10_000_000, batch_size=None):
    tracks = geoinr.datasets.synthetic_tracks(days=10, seed=0)
    fitted = tracks.inr.fit("sla", epochs=1, max_time=None, progress=False)  # default width/depth; weights don't matter here
    ndays = 10
    side = int(np.sqrt(points / ndays))
    grid = geoinr.coords.regular_grid((0, 10, 30, 40), 10.0 / side, times=fitted.target_grid(1.0).time.values[:ndays])
    n = grid.sizes["time"] * grid.sizes["lat"] * grid.sizes["lon"]
    before = peak_rss_mb()
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = fitted.predict(grid, batch_size=batch_size)
    sec = time.perf_counter() - t0
    after = peak_rss_mb()
    return n, sec, before, after, out.nbytes / 2**20


def precisions(points, rounds=3):
    """A bfloat16 fit predicted as fitted and with ``precision="float32"``, alternating: seconds of each round."""
    tracks = geoinr.datasets.synthetic_tracks(days=10, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted = tracks.inr.fit("sla", epochs=1, max_time=None, progress=False, precision="bfloat16")
    side = int(np.sqrt(points / 10))
    grid = geoinr.coords.regular_grid((0, 10, 30, 40), 10.0 / side, times=fitted.target_grid(1.0).time.values[:10])
    n = grid.sizes["time"] * grid.sizes["lat"] * grid.sizes["lon"]
    seconds = {None: [], "float32": []}
    for _ in range(rounds):
        for prec in seconds:
            t0 = time.perf_counter()
            fitted.predict(grid, precision=prec)
            seconds[prec].append(time.perf_counter() - t0)
    return n, seconds


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--points", type=int, default=10_000_000)
    p.add_argument("--batch-size", type=int, default=None, help="default: the model's (4096 on CPU)")
    p.add_argument("--precisions", action="store_true",
                   help="a bfloat16 fit predicted as fitted and in float32 (predict(precision='float32')), side by side")
    a = p.parse_args()
    if a.precisions:
        n, seconds = precisions(a.points)
        print(f"machine: {platform.machine()}, {torch.get_num_threads()} torch threads, torch {torch.__version__}, "
              f"default SIREN (width 256, depth 3) fitted with precision='bfloat16', {n:,} points, median of 3 rounds")
        print("| predict precision | seconds | points/s | float32 / bfloat16 time |")
        print("|---|---:|---:|---:|")
        med = {k: float(np.median(v)) for k, v in seconds.items()}
        for k, v in med.items():
            print(f"| {k or 'as fitted (bfloat16)'} | {v:.1f} | {n / v:,.0f} | {v / med[None]:.2f} |")
        raise SystemExit
    n, sec, before, after, out_mb = main(a.points, a.batch_size)
    print(f"machine: {platform.machine()}, {torch.get_num_threads()} torch threads, torch {torch.__version__}, "
          f"default SIREN (width 256, depth 3), batch {a.batch_size or 'default'}")
    print("| points | seconds | points/s | output (MiB) | peak RSS before (MiB) | peak RSS after (MiB) |")
    print("|---:|---:|---:|---:|---:|---:|")
    print(f"| {n:,} | {sec:.1f} | {n / sec:,.0f} | {out_mb:.0f} | {before:.0f} | {after:.0f} |")
