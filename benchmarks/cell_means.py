"""Coarsening regrids of real DUACS days: each cell's centre (``area="point"``) against its mean (``area="mean"``).

A review of CF cell semantics (2026-12-07, fifth session) found that ``regrid`` to a coarser grid returns the field
at the new cells' centres, while the coarse cells a user compares with (a model's, a coarser product's) hold means
over their area. ``regrid(resolution, area="mean")`` averages the fitted field over 4 x 4 points inside each cell,
weighted by the cosine of latitude, over the points at sea. Both are scored here against the area-weighted mean of
the real 0.25 deg map over each cell (``coarsen``), on cells whose 0.25 deg points are all at sea (coasts have no
clean truth).

    python benchmarks/cell_means.py                 # ~5 minutes on 2 cores (two 30 s fits per case)
"""
import argparse
import glob
import os
import platform
import warnings

import numpy as np
import torch
import xarray as xr

import geoinr

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "data", "duacs_global_l4_2019")
CASES = {  # name: (lon slice, lat slice) of the 0.25 deg map, whole degrees so that the cells tile it
    "Gulf Stream 295-305 E, 33-43 N": (slice(295, 305), slice(33, 43)),
    "Mediterranean 0-20 E, 34-44 N (coasts)": (slice(0, 20), slice(34, 44)),
}


def cell_means(field: xr.DataArray, factor: int) -> tuple[xr.DataArray, xr.DataArray]:
    """The area-weighted mean of ``field`` over blocks of ``factor`` x ``factor`` points, and whether every point
    of the block is at sea."""
    weight = np.cos(np.radians(field.latitude))
    window = {"latitude": factor, "longitude": factor}
    total = (field.fillna(0.0) * weight).coarsen(window, boundary="trim").sum()
    share = (field.notnull() * weight).coarsen(window, boundary="trim").sum()
    full = field.notnull().coarsen(window, boundary="trim").min()
    return total / share, full


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--max-time", type=float, default=30.0)
    parser.add_argument("--resolutions", type=float, nargs="+", default=[1.0, 0.5])
    args = parser.parse_args()
    files = sorted(glob.glob(os.path.join(DATA, "*.nc")))
    if not files:
        raise SystemExit(f"No DUACS maps in {DATA} (see ../shared/data/README.md).")
    day = xr.open_dataset(files[0])
    print(f"{platform.machine()}, torch {torch.__version__}, {torch.get_num_threads()} threads; "
          f"{os.path.basename(files[0])}; max_time={args.max_time:g} s, seed 0\n")
    print("| case | resolution (deg) | cells scored | centre (area=\"point\") RMSE (cm) | mean (area=\"mean\") RMSE (cm) |")
    print("|---|---:|---:|---:|---:|")
    for name, (lon, lat) in CASES.items():
        box = day.sel(longitude=lon, latitude=lat).load()
        for resolution in args.resolutions:
            factor = int(round(resolution / 0.25))
            sea = geoinr.sentinels.without_fills(box.adt.isel(time=0), warn=False)  # (land: DUACS's undeclared fill)
            truth, full = cell_means(sea, factor)
            scores = []
            for area in ("point", "mean"):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", UserWarning)
                    out = box.inr.regrid(resolution, "adt", area=area, max_time=args.max_time, seed=0, progress=False)
                out = out.isel(time=0) if "time" in out.dims else out
                est, ref = xr.align(out, truth.where(full), join="inner")
                error = (est - ref).values
                scores.append(100 * float(np.sqrt(np.nanmean(error ** 2))))
                cells = int(np.isfinite(error).sum())
            print(f"| {name} | {resolution:g} | {cells} | {scores[0]:.2f} | {scores[1]:.2f} |")


if __name__ == "__main__":
    main()
