"""The scales the default fit gives gridded records: real DUACS boxes and synthetic fine grids, daily or hourly.

For each record: the rule's space-time wavelength and period (:func:`geoinr.scales.default_scales` with the
times), the grid's own wavelength (the same without them), and the ``min_wavelength`` / ``min_period`` a default
fit takes (``encoding_config_`` of a one-epoch fit, :func:`geoinr.model.fitting._gridded_scales`). The real
cases are four daily DUACS L4 maps (``../shared/data/duacs_global_l4_2019``, skipped without them) in five boxes
at 0.25 deg and 0.5 deg (every second point); the synthetic ones are four daily maps of a smooth field at 1/4,
1/12, 1/40 and 1/120 deg in a 1 deg (2 deg for 1/4 deg) box, and 48 hourly maps at 1/4 deg.

    python benchmarks/gridded_scales.py      # ~1 minute on 2 cores
"""
import glob
import os
import platform
import warnings

import numpy as np
import torch
import xarray as xr

import geoinr
from geoinr.scales import FINE_GRID_SHARE, default_scales

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "data", "duacs_global_l4_2019")
BOXES = {
    "Gulf Stream 280-300 E, 30-45 N": (280, 300, 30, 45),
    "Mediterranean 0-35 E, 30-46 N": (0, 35, 30, 46),
    "ACC 20-40 E, 45-55 S": (20, 40, -55, -45),
    "Kuroshio 140-160 E, 30-40 N": (140, 160, 30, 40),
    "Equator 230-250 E, 10 S-10 N": (230, 250, -10, 10),
}


def duacs_cases():
    files = sorted(glob.glob(os.path.join(DATA, "dt_global_allsat_phy_l4_*.nc")))[:4]
    if len(files) < 4:
        return {}
    maps = xr.open_mfdataset(files, combine="by_coords").adt.load()
    maps = maps.assign_coords(longitude=maps.longitude % 360).sortby("longitude")
    cases = {}
    for name, (w, e, s, n) in BOXES.items():
        box = maps.sel(longitude=slice(w, e), latitude=slice(s, n))
        cases[f"{name}, 0.25 deg"] = box
        cases[f"{name}, 0.5 deg"] = box.isel(longitude=slice(None, None, 2), latitude=slice(None, None, 2))
    return cases


def synthetic(step_deg, span_deg, times, hours=False):
    lat = np.arange(40.0, 40.0 + span_deg, step_deg)
    lon = np.arange(5.0, 5.0 + span_deg, step_deg)
    unit = "h" if hours else "D"
    t = np.datetime64("2020-01-01") + np.arange(times).astype(f"timedelta64[{unit}]")
    k = np.arange(times)[:, None, None]
    field = 0.1 * np.sin(np.radians(lon)[None, None, :] * 300 + 0.1 * k) * np.cos(np.radians(lat)[None, :, None] * 200)
    return xr.DataArray(field, dims=("time", "lat", "lon"), coords={"time": t, "lat": lat, "lon": lon}, name="sla",
                        attrs={"units": "m"})


def scales(da):
    ok = np.isfinite(da.values)
    names = geoinr.coords.find_coords(da)
    la, lo, t = (c.transpose(*da.dims) for c in xr.broadcast(da[names.lat], da[names.lon], da[names.time]))
    lon, lat = lo.values.astype(float)[ok], la.values.astype(float)[ok]
    days = (t.values[ok] - t.values[ok].min()) / np.timedelta64(1, "D")
    rule = default_scales(lon, lat, days)
    space = default_scales(lon, lat)[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted = da.inr.fit(width=8, depth=1, epochs=1, max_time=None, progress=False)
    enc = fitted.encoding_config_
    return rule, space, enc["min_wavelength"], enc.get("min_period")


def main():
    torch.set_num_threads(2)
    cases = duacs_cases()
    for step, name in ((0.25, "1/4"), (1 / 12, "1/12"), (1 / 40, "1/40"), (1 / 120, "1/120")):
        cases[f"synthetic, {name} deg, daily"] = synthetic(step, 2.0 if step == 0.25 else 1.0, 4)
    cases["synthetic, 1/4 deg, hourly (48 h)"] = synthetic(0.25, 2.0, 48, hours=True)
    print(f"{platform.machine()}, torch {torch.__version__}; FINE_GRID_SHARE = {FINE_GRID_SHARE}\n")
    print("| record | rule: wavelength km / period days | grid's own wavelength km (ratio) | fit: min_wavelength km / "
          "min_period days |")
    print("|---|---|---|---|")
    for name, da in cases.items():
        (wl, per), space, fit_wl, fit_per = scales(da)
        print(f"| {name} | {wl:.1f} / {per:.2f} | {space:.1f} ({space / wl:.2f}) | {fit_wl:.1f} / {fit_per:.2f} |",
              flush=True)


if __name__ == "__main__":
    main()
