"""Out-of-core fitting: peak memory while the data grows 10x.

Along-track-like observations (random positions in a 10 x 10 degree box over 60 days,
the analytic eddy field of :mod:`geoinr.datasets` plus 1 cm noise) are written as
netCDF files of 1,000,000 points each, then fitted three ways, each in a fresh
process so that its peak resident memory (``ru_maxrss``) is its own:

* streamed: ``xr.open_mfdataset(files, chunks=...)`` -> ``fit`` (dask-backed, blocks
  streamed by a background thread), for N and 10 N points;
* in memory: the same files ``.load()``-ed first, for N and 10 N points.

Every fit gets the same training budget (``--seconds``), default SIREN.

    python benchmarks/out_of_core.py --points 1_000_000 --seconds 60
"""
import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

import numpy as np
import pandas as pd
import xarray as xr

FILE_POINTS = 1_000_000


def write_files(folder, n_points, seed=0):
    import geoinr

    rng = np.random.default_rng(seed)
    paths = []
    for i, start in enumerate(range(0, n_points, FILE_POINTS)):
        n = min(FILE_POINTS, n_points - start)
        t = np.sort(rng.uniform(0, 60, n))
        lon, lat = rng.uniform(0, 10, n), rng.uniform(30, 40, n)
        sla = geoinr.datasets.analytic_ssh(lon, lat, t) + 0.01 * rng.standard_normal(n)
        times = np.datetime64("2020-01-01", "ns") + (t * 86400e9).astype("timedelta64[ns]")
        ds = xr.Dataset(
            {"sla": ("time", sla.astype(np.float32), {"units": "m", "long_name": "sea level anomaly"})},
            coords={"time": times, "latitude": ("time", lat), "longitude": ("time", lon)},
        )
        path = os.path.join(folder, f"tracks_{i:04d}.nc")
        ds.to_netcdf(path)
        paths.append(path)
    return paths


def child(mode, paths, seconds):
    import warnings

    import geoinr
    from geoinr.model import fitting

    fitting.STREAM_MIN_BYTES = 0  # this benchmark measures the streamed path, whatever the size
    warnings.simplefilter("ignore")
    t0 = time.perf_counter()
    ds = xr.open_mfdataset(paths, combine="nested", concat_dim="time", chunks={"time": 250_000})
    if mode == "in memory":
        ds = ds.load()
    t_open = time.perf_counter() - t0
    n = ds.sizes["time"]
    t0 = time.perf_counter()
    m = geoinr.INRModel(max_time=float(seconds), progress=False).fit(ds, variables="sla")
    t_fit = time.perf_counter() - t0
    from geoinr.machine import peak_rss_mib

    return {
        "mode": mode,
        "points": n,
        "steps": int(m.history_.step.iloc[-1]),
        "open_s": t_open,
        "fit_s": t_fit,
        "peak_rss_mib": peak_rss_mib(),
    }


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--points", type=int, default=2_000_000, help="N; the large case has 10 N")
    p.add_argument("--seconds", type=int, default=60, help="training budget of each fit")
    p.add_argument("--child", nargs="*", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        mode, seconds, *paths = args.child
        print(json.dumps(child(mode, paths, int(seconds))))
        return
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        paths = write_files(tmp, 10 * args.points)
        print(f"wrote {len(paths)} files ({10 * args.points:,} points) in {time.perf_counter() - t0:.0f} s", flush=True)
        small = paths[: max(1, args.points // FILE_POINTS)]
        for mode in ("streamed", "in memory"):
            for files in (small, paths):
                out = subprocess.run(
                    [sys.executable, __file__, "--child", mode, str(args.seconds), *files], capture_output=True, text=True
                )
                if out.returncode:
                    print(out.stderr[-3000:])
                    raise SystemExit(out.returncode)
                rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
                print(rows[-1], flush=True)
    df = pd.DataFrame(rows)
    print(f"\n{platform.machine()}, {os.cpu_count()} CPUs; default SIREN, batch 4096, {args.seconds} s of training each\n")
    print("| mode | points | steps | open (s) | fit (s) | peak RSS (MiB) |")
    print("|---|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['mode']} | {r['points']:,} | {r['steps']} | {r['open_s']:.1f} | {r['fit_s']:.1f} | {r['peak_rss_mib']:,.0f} |")
    s = df[df["mode"] == "streamed"]["peak_rss_mib"].to_numpy()
    m = df[df["mode"] == "in memory"]["peak_rss_mib"].to_numpy()
    print(f"\npeak memory, 10x the data: streamed {s[1] / s[0]:.2f}x, in memory {m[1] / m[0]:.2f}x")


if __name__ == "__main__":
    main()
