"""A dask-streamed fit on a time budget shorter than an epoch: does its map cover the whole record?

The four real global DUACS L4 days of ``../shared/data/duacs_global_l4_2019`` (read its README; land is an
undeclared int32 fill value), repeated three times as twelve days so that the record is past the 64 MiB at which
``fit`` streams it, opened lazily and chunked in latitude bands (``{"time": -1, "latitude": 60, "longitude": -1}``):
a ``max_time`` fit, then the RMS of its map of the second day against that day, by 15 deg latitude band. Until
2026-12-07 a streamed pass trained on whole groups of chunks one after another, so a budget shorter than an epoch
trained on a few bands; each pass now takes a share of every chunk (``geoinr.stream.BatchStream(share=)``).

    python benchmarks/stream_coverage.py --max-time 45
    PYTHONPATH=/path/to/an/older/checkout python benchmarks/stream_coverage.py   # the same case on other code

Skips (exit 0) where the data are absent.
"""
import argparse
import glob
import os
import platform
import sys
import time
import warnings

import numpy as np
import xarray as xr

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "data", "duacs_global_l4_2019")
BANDS = np.arange(-90, 91, 15)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--max-time", type=float, default=45.0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1, help="torch threads (1: as the review that found it)")
    args = p.parse_args()
    files = sorted(glob.glob(os.path.join(DATA, "*.nc")))
    if not files:
        print(f"no DUACS files under {DATA}: skipped")
        return 0
    import torch

    torch.set_num_threads(args.threads)
    import geoinr

    ds = xr.open_mfdataset(files, chunks={"time": 1})
    parts = [ds.assign_coords(time=ds.time + np.timedelta64(4 * k, "D")) for k in range(3)]
    record = xr.concat(parts, "time").chunk({"time": -1, "latitude": 60, "longitude": -1}).adt
    t0 = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fitted = record.inr.fit(max_time=args.max_time, progress=False, seed=args.seed)
    seconds = time.perf_counter() - t0
    truth = ds.adt.isel(time=1).load()
    truth = truth.where(np.abs(truth) < 100)
    err = fitted.predict(truth) - truth
    rms = ((err**2).groupby_bins("latitude", BANDS).mean(...) ** 0.5).to_series()
    print(f"{platform.machine()}, {os.cpu_count()} CPUs, torch {torch.__version__} on {args.threads} thread(s); "
          f"geoinr from {os.path.dirname(geoinr.__file__)}")
    print(f"fit {seconds:.0f} s, {int(fitted.history_['step'].max()):,} steps, {fitted.n_points_:,} points; "
          f"streamed {fitted.streamed_}; overall RMS {float((err**2).mean() ** 0.5):.3f} m")
    for w in caught:
        if "fill values" not in str(w.message):
            print("  warning:", str(w.message)[:300])
    print("\n| latitude band | RMS (m) |\n|---|---:|")
    for band, value in rms.items():
        print(f"| {band} | {value:.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
