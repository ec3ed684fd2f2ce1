"""SWOT-like swaths of a real DUACS field, fitted in their own 2-D layout and flattened to points.

A review of SWOT KaRIn inputs (2026-12-07, seventh session) found that a swath file's 2-D latitude/longitude
(``num_lines`` x ``num_pixels``, a time per line) made geoinr read it as a grid: its scales came from the 2 km
pixels, it held nothing out and it took a grid's optimiser and sizes. Since then data whose time runs along a
dimension of its coordinates are scattered observations. This script samples the real DUACS ADT of
``../shared/data`` (four days, interpolated in space and time) along synthetic passes with a 20 km nadir gap and
1 cm noise, fits the 2-D file and the same points flattened with the same budget, and scores both on the DUACS
maps of the passes' days over the box (mu on the anomaly about the truth's mean, RMSE).

    python benchmarks/swath_layout.py              # ~3 minutes on 2 cores (two 60 s fits)
    python benchmarks/swath_layout.py --max-time 30 --passes 8
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
BOX = (290.0, 300.0, 33.0, 43.0)  # Gulf Stream, degrees east / north
PIXEL_KM, HALF_SWATH_KM, NADIR_GAP_KM = 2.0, 60.0, 10.0  # KaRIn-like: 2 km pixels, 10-60 km either side of nadir
EARTH_KM = 6371.0  # km


def passes(n_passes: int, days: float, seed: int = 0):
    """(lon, lat, time in days) arrays (lines, pixels) of ``n_passes`` straight passes across the box."""
    rng = np.random.default_rng(seed)
    x = np.arange(-HALF_SWATH_KM, HALF_SWATH_KM + 0.1, PIXEL_KM)
    out = []
    for p in range(n_passes):
        heading = np.radians(12.0 if p % 2 == 0 else 168.0)
        lat0 = BOX[2] if p % 2 == 0 else BOX[3]
        lon0 = rng.uniform(BOX[0] + 1.0, BOX[1] - 1.0)
        s = np.arange(0.0, 1200.0, PIXEL_KM)  # km along track
        lat_c = lat0 + np.degrees(s * np.cos(heading) / EARTH_KM)
        lon_c = lon0 + np.degrees(s * np.sin(heading) / (EARTH_KM * np.cos(np.radians(lat_c))))
        across = heading + np.pi / 2
        lat = lat_c[:, None] + np.degrees(x[None, :] * np.cos(across) / EARTH_KM)
        lon = lon_c[:, None] + np.degrees(x[None, :] * np.sin(across) / (EARTH_KM * np.cos(np.radians(lat))))
        t = rng.uniform(0.0, days - 0.01) + s / (6.5 * 86400.0)  # 6.5 km/s along track
        inside = (lat_c > BOX[2]) & (lat_c < BOX[3])
        out.append((lon[inside], lat[inside], np.broadcast_to(t[inside, None], lat[inside].shape), x))
    return out


def swath_file(truth: xr.DataArray, n_passes: int, noise_m: float, seed: int = 0) -> xr.Dataset:
    """A CF-like swath Dataset (num_lines, num_pixels) of ``truth`` sampled along :func:`passes`, with noise."""
    days = (truth.time.values - truth.time.values[0]) / np.timedelta64(1, "D")
    rng = np.random.default_rng(seed + 1)
    lons, lats, times, x = zip(*passes(n_passes, float(days[-1]), seed))
    lon, lat, t = (np.concatenate(a) for a in (lons, lats, times))
    stamps = truth.time.values[0] + (t[:, 0] * 86400e9).astype("timedelta64[ns]")
    values = truth.interp(time=xr.DataArray(np.broadcast_to(stamps[:, None], lon.shape), dims=("num_lines", "num_pixels")),
                          latitude=xr.DataArray(lat, dims=("num_lines", "num_pixels")),
                          longitude=xr.DataArray(lon, dims=("num_lines", "num_pixels"))).values
    values = values + noise_m * rng.standard_normal(values.shape)
    values[:, np.abs(x[0]) < NADIR_GAP_KM] = np.nan
    dims = ("num_lines", "num_pixels")
    return xr.Dataset(
        {"ssha": (dims, values, {"units": "m", "long_name": "sea surface height (DUACS ADT along swaths)"})},
        coords={"latitude": (dims, lat, {"units": "degrees_north", "standard_name": "latitude"}),
                "longitude": (dims, lon, {"units": "degrees_east", "standard_name": "longitude"}),
                "time": ("num_lines", stamps, {"standard_name": "time"})})


def flattened(ds: xr.Dataset) -> xr.Dataset:
    """The same observations as 1-D points along ``obs`` (NaN pixels dropped)."""
    flat = ds.stack(obs=("num_lines", "num_pixels")).reset_index("obs").drop_vars(["num_lines", "num_pixels"])
    time = flat.time.values
    flat = flat.drop_vars("time").assign_coords(time=("obs", time))
    return flat.isel(obs=np.flatnonzero(np.isfinite(flat.ssha.values)))


def score(model, truth: xr.DataArray) -> tuple[float, float]:
    """(mu on the anomaly about the truth's mean, RMSE cm) of the model's maps at the truth's points."""
    est = model.predict(truth.to_dataset(name="ssha"), outside="hold")
    ok = np.isfinite(truth.values) & np.isfinite(est.values)
    ref = truth.values[ok] - truth.values[ok].mean()
    err = est.values[ok] - truth.values[ok]
    rmse = float(np.sqrt(np.mean(err ** 2)))
    return 1.0 - rmse / float(np.sqrt(np.mean(ref ** 2))), 100.0 * rmse


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-time", type=float, default=60.0, help="seconds per fit")
    parser.add_argument("--passes", type=int, default=8)
    parser.add_argument("--noise", type=float, default=0.01, help="m")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(2)
    files = sorted(glob.glob(os.path.join(DATA, "*.nc")))
    if not files:
        raise SystemExit(f"No DUACS files in {DATA}: this benchmark needs ../shared/data.")
    duacs = xr.open_mfdataset(files, combine="by_coords").load()
    truth = duacs.adt.where(duacs.adt > -100).sel(longitude=slice(BOX[0] - 1, BOX[1] + 1),
                                                  latitude=slice(BOX[2] - 1, BOX[3] + 1))
    ds = swath_file(truth, args.passes, args.noise, args.seed)
    scored = truth.sel(longitude=slice(BOX[0], BOX[1]), latitude=slice(BOX[2], BOX[3]))
    print(f"# {platform.machine()} {platform.processor() or ''}, torch {torch.__version__}, geoinr "
          f"{geoinr.__version__}, {torch.get_num_threads()} threads; {args.passes} passes, "
          f"{int(np.isfinite(ds.ssha.values).sum()):,} pixels, noise {args.noise} m, max_time {args.max_time} s")
    print("| layout | held out | min_wavelength (km) | min_period (days) | optimizer | mu | RMSE (cm) | training (s) |")
    print("|---|---:|---:|---:|---|---:|---:|---:|")
    for name, data in (("2-D swath file", ds), ("flattened points", flattened(ds))):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = geoinr.INRModel(max_time=args.max_time, seed=args.seed, progress=False).fit(data, "ssha")
            mu, rmse = score(model, scored)
        enc = model.encoding_config_
        print(f"| {name} | {model.validation_:g} | {enc['min_wavelength']:.1f} | {enc.get('min_period') or 0:.2f} | "
              f"{model.optimizer_} | {mu:.3f} | {rmse:.2f} | {model.fit_seconds_:.0f} |")


if __name__ == "__main__":
    main()
