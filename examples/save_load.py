"""Save a fitted model, load it back, and predict on a colleague's curvilinear grid.

Copy it cell by cell into a notebook, or run it:

    python examples/save_load.py --out save_load_output           # ~30 s on 2 CPU cores
    python examples/save_load.py --out /tmp/save_load --quick     # a few seconds, for the tests

A SIREN is fitted to simulated along-track sea level (``geoinr.datasets``) and
saved to one file (safetensors weights + JSON config: no pickle, safe to share).
The file is loaded back, as a colleague would, and evaluated on their grid: a
NEMO-style curvilinear grid, rotated 25 degrees, with 2-D ``nav_lat``/``nav_lon``
on ``(y, x)`` and a ``time_counter`` axis. No renaming is needed: the
coordinates are found from their CF attributes and names. The loaded model
predicts exactly what the original does. Writes ``sla.geoinr`` (the model),
``colleague_grid_sla.nc`` (the prediction on their grid), ``save_load_maps.png``
(truth, prediction and error on the rotated grid, with the tracks) and
``save_load_history.png`` (the training curves, which travel in the file).
No data are downloaded (with the ``maps`` extra,
cartopy fetches its coastlines once).
"""
import argparse
import os

import numpy as np
import xarray as xr

import geoinr
import geoinr.plot


def colleague_grid(times, center=(5.0, 35.0), shape=(60, 80), spacing=0.08, angle=25.0) -> xr.Dataset:
    """A NEMO-style curvilinear grid: 2-D nav_lat/nav_lon on (y, x), rotated by ``angle`` degrees."""
    ny, nx = shape
    j, i = np.meshgrid(np.arange(ny) - ny / 2, np.arange(nx) - nx / 2, indexing="ij")
    a = np.radians(angle)
    east, north = (i * np.cos(a) - j * np.sin(a)) * spacing, (i * np.sin(a) + j * np.cos(a)) * spacing
    lat = center[1] + north
    lon = center[0] + east / np.cos(np.radians(lat))
    return xr.Dataset(
        coords={
            "time_counter": ("time_counter", np.asarray(times, "datetime64[ns]"), {"standard_name": "time"}),
            "nav_lat": (("y", "x"), lat, {"standard_name": "latitude", "units": "degrees_north"}),
            "nav_lon": (("y", "x"), lon, {"standard_name": "longitude", "units": "degrees_east"}),
        },
        attrs={"title": "a colleague's model grid (NEMO-style, curvilinear)"},
    )


def main(out="save_load_output", quick=False):
    os.makedirs(out, exist_ok=True)
    # %% 1. Fit a SIREN to 4 altimeters' tracks (1 cm noise); a fixed number of epochs
    days = 4 if quick else 10
    tracks = geoinr.datasets.synthetic_tracks(days=days, noise=0.01, seed=0)
    fitted = tracks.inr.fit(
        "sla", width=64 if quick else 128, depth=2 if quick else 3, epochs=300 if quick else 1500,
        batch_size=1024, lr=1e-3 if quick else 2e-4, max_time=None, seed=0, progress=not quick,
    )

    # %% 2. Save: one file, weights + JSON config (parameters, normalization, coordinate names,
    # time reference, region, training history)
    model_path = os.path.join(out, "sla.geoinr")
    fitted.save(model_path)
    print(f"wrote {model_path} ({os.path.getsize(model_path) / 1e3:.0f} kB)")

    # %% 3. ... on the colleague's side: load (reads JSON and raw tensors only, nothing is unpickled)
    model = geoinr.load(model_path)
    print(model)  # in a notebook, `model` on a cell's last line shows this as a table

    # %% 4. Their grid: curvilinear, other names, times at noon inside the fitted window
    times = np.datetime64("2020-01-01T12:00", "ns") + np.arange(1, days - 1) * np.timedelta64(1, "D")
    grid = colleague_grid(times)
    sla = model.predict(grid)  # dims (time_counter, y, x), their nav_lat/nav_lon, CF attributes
    print(f"prediction: dims {sla.dims}, coords {sorted(sla.coords)}, units {sla.attrs['units']!r}")
    same = bool(np.array_equal(sla.values, fitted.predict(grid).values))
    print(f"loaded model predicts exactly what the original does: {same}")
    nc_path = os.path.join(out, "colleague_grid_sla.nc")
    sla.to_netcdf(nc_path)

    # %% 5. The truth is known everywhere (an analytic field): score on their grid
    t_days = (grid.time_counter.values - np.datetime64("2020-01-01")) / np.timedelta64(1, "D")
    truth = xr.DataArray(
        geoinr.datasets.analytic_ssh(grid.nav_lon.values, grid.nav_lat.values, t_days[:, None, None], seed=0),
        coords=sla.coords, dims=sla.dims, name="sla", attrs={"units": "m", "long_name": "true sea level anomaly"},
    )
    scores = model.scores(truth)
    print(f"on the colleague's grid: RMSE {scores['rmse'] * 100:.2f} cm, mu = {scores['mu']:.3f}")

    # %% 6. Pictures on the rotated grid (xarray draws 2-D coordinates), and the training curves
    paths = {"model": model_path, "netcdf": nc_path}
    paths["maps"] = os.path.join(out, "save_load_maps.png")
    fig, _ = geoinr.plot.plot_maps(truth, sla, tracks=tracks, labels={"estimate": "loaded model"}, panel_size=3.6)
    geoinr.plot.savefig(fig, paths["maps"], dpi=80)
    paths["history"] = os.path.join(out, "save_load_history.png")
    ax = model.plot_history()  # the history was saved with the weights
    geoinr.plot.savefig(ax.figure, paths["history"], dpi=80)
    import matplotlib.pyplot as plt

    plt.close("all")
    for p in paths.values():
        print(f"wrote {p}")
    return {"scores": scores, "identical": same, "paths": paths}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="save_load_output", help="output folder (default: save_load_output)")
    parser.add_argument("--quick", action="store_true", help="4 days, tiny model, 300 epochs: for the tests")
    args = parser.parse_args()
    main(args.out, args.quick)
