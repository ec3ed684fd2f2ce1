"""Peak memory and time of the outputs a large-target user makes: OI's map, sample's draws, regrid's lazy graph.

A review of large outputs (2026-12-07, tenth session) measured bytes a target point beyond the output itself:
OptimalInterpolation's predict about 400 (12 GB for a month of a 1/4 degree globe), sample about 9 s a million
points a draw, and a lazy 1/12 degree regrid of a global DUACS day with its land masked 796 MB before any compute.
Each case runs in a process of its own (peak resident memory is a process's), one after another:

    python benchmarks/large_outputs.py                      # all cases, this checkout
    python benchmarks/large_outputs.py --cases oi --points 3 12
    PYTHONPATH=/tmp/old python benchmarks/large_outputs.py  # another checkout's package (git worktree), side by side

Cases: ``oi`` (OptimalInterpolation().predict of synthetic tracks on 8 daily maps of 0-10 E, 30-40 N at
``--points`` million points), ``sample`` (three draws of a ``bayes_last_layer`` fit on 500,000 points),
``regrid`` (a lazy ``regrid(1/12, land="missing", chunks={"time": 1})`` of the first global DUACS day in
``../shared/data``, skipped without it: memory before any compute, seconds with its 3 s fit). The extra peak
memory is the process's peak resident set after the case minus before it, over the target's points (sample's
stays under its fit's peak: its seconds only).
"""
import argparse
import glob
import os
import platform
import subprocess
import sys
import time
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
DUACS = os.path.join(HERE, "..", "..", "shared", "data", "duacs_global_l4_2019")


def _peak_mib():
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


def case_oi(million: float):
    import numpy as np
    import pandas as pd
    import xarray as xr

    import geoinr

    oi = geoinr.baselines.OptimalInterpolation(progress=False).fit(geoinr.datasets.synthetic_tracks(), "sla")
    side = int(round(np.sqrt(million * 1e6 / 8)))
    grid = xr.Dataset(coords={"time": pd.date_range("2020-01-02", periods=8), "latitude": np.linspace(30, 40, side),
                              "longitude": np.linspace(0, 10, side)})
    return grid, lambda: oi.predict(grid)


def case_sample(_):
    import numpy as np
    import pandas as pd
    import xarray as xr

    import geoinr

    tracks = geoinr.datasets.synthetic_tracks(days=10, seed=0)
    fitted = tracks.inr.fit("sla", uncertainty="bayes_last_layer", width=32, depth=2, epochs=20, max_time=None,
                            progress=False, seed=0)
    grid = xr.Dataset(coords={"time": pd.date_range("2020-01-02", periods=8), "latitude": np.linspace(30, 40, 250),
                              "longitude": np.linspace(0, 10, 250)})
    return grid, lambda: fitted.sample(grid, n=3)


def case_regrid(_):
    import xarray as xr

    import geoinr  # noqa: F401 (the .inr accessor)

    files = sorted(glob.glob(os.path.join(DUACS, "*.nc")))
    if not files:
        return None, None
    day = xr.open_dataset(files[0]).load()
    adt = day.adt.where(day.adt > -100)

    def run():
        return adt.inr.regrid(1 / 12, width=16, depth=2, max_time=3, progress=False, land="missing",
                              chunks={"time": 1})
    return "output", run


def one(name: str, million: float):
    """Run one case in this process and print its line."""
    import torch

    torch.set_num_threads(2)
    warnings.simplefilter("ignore")
    target, run = {"oi": case_oi, "sample": case_sample, "regrid": case_regrid}[name](million)
    if run is None:
        print(f"{name}: skipped (no DUACS sample in ../shared/data)")
        return
    before = _peak_mib()
    t0 = time.perf_counter()
    out = run()
    sec = time.perf_counter() - t0
    extra = _peak_mib() - before
    n = int(out.size) if isinstance(target, str) else int(target.sizes["time"] * target.sizes["latitude"]
                                                          * target.sizes["longitude"])
    memory = (f"{extra:,.0f} | {extra * 2**20 / n:,.0f}" if name != "sample"
              else "(under the fit's peak) | -")  # (the fit ran in this process first)
    print(f"| {name} | {n / 1e6:.2f} | {memory} | {sec:.1f} |", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", nargs="+", default=["oi", "sample", "regrid"])
    parser.add_argument("--points", nargs="+", type=float, default=[3.0, 12.0], help="OI's targets, millions")
    parser.add_argument("--one", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        one(args.one[0], float(args.one[1]))
        return
    import geoinr

    print(f"geoinr from {os.path.dirname(geoinr.__file__)}; {platform.machine()}, {os.cpu_count()} CPUs, "
          f"python {platform.python_version()}")
    print("| case | target points (M) | extra peak MiB | bytes a point | seconds |")
    print("|---|---:|---:|---:|---:|")
    for name in args.cases:
        for million in (args.points if name == "oi" else [0.0]):
            subprocess.run([sys.executable, os.path.abspath(__file__), "--one", name, str(million)], check=True)


if __name__ == "__main__":
    main()
