"""A modulated SIREN as a continuous-time surrogate of model snapshots, evaluated between them.

Copy it cell by cell into a notebook, or run it:

    python examples/surrogate.py --out surrogate_output             # ~1.5 minutes on 2 CPU cores
    python examples/surrogate.py --out /tmp/surrogate --quick       # ~20 s, for the tests
    python examples/surrogate.py --out nif_output --model nif       # Neural Implicit Flow instead

A 1.5-layer quasi-geostrophic ocean (``geoinr.osse.simulate``) is
saved every second day on every second grid point (31 km), as a model run's
output often is. A modulated SIREN (a SIREN of space whose layers are scaled and
shifted by a network of time) is fitted to these snapshots and evaluated on the
full grid at the odd days it never saw. Scored against the simulation there,
next to linear interpolation in time and space of the snapshots, and to the
nearest snapshot. Writes ``surrogate_maps.png`` (truth, surrogate, linear
interpolation and errors on one unseen day), ``surrogate_rmse.png`` (error day
by day: seen and unseen days) and ``surrogate_history.png``. No data are downloaded (with the ``maps`` extra,
cartopy fetches its coastlines once).
"""
import argparse
import os

import numpy as np

import geoinr
import geoinr.plot
from geoinr import osse


def main(out="surrogate_output", quick=False, model="modulated_siren"):
    os.makedirs(out, exist_ok=True)
    # %% 1. A QG ocean, 64 x 64 points (15.6 km) over 1000 km; snapshots every 2nd day and point
    days = 10 if quick else 20
    truth = osse.simulate(n=64, spinup_days=60 if quick else 200, days=days + 1, seed=0).ssh
    snapshots = truth.isel(time=slice(0, None, 2), lat=slice(0, None, 2), lon=slice(0, None, 2))
    print(f"snapshots: {dict(snapshots.sizes)} ({snapshots.size} values)")

    # %% 2. Fit the surrogate: "modulated_siren" or "nif" (Neural Implicit Flow); a fixed number
    # of epochs, so that the result is the same on every machine. Batches of 256 values: four times the steps
    # of 1024 for 10 % more time (RMSE on the unseen days 0.50 cm against 0.67; --quick: 0.49 against 0.97)
    options = {"width": 64, "batch_size": 256, "lr": 1e-3, "epochs": 150 if quick else 400}
    if model == "nif":  # a narrower ShapeNet than its default 256 units, and twice the epochs
        options.update(width=32, epochs=options["epochs"] * 2)
    fitted = snapshots.inr.fit(model=model, max_time=None, seed=0, progress=not quick, **options)
    print(fitted)
    print(f"{fitted.n_parameters_} parameters for {snapshots.size} values")

    # %% 3. Evaluate on the full grid at every day, seen (even) and unseen (odd): one call
    grid = truth.isel(lat=slice(2, -2), lon=slice(2, -2))  # inside the snapshots' grid, for the baselines
    surrogate = fitted.predict(grid)
    linear = snapshots.interp(time=grid.time, lat=grid.lat, lon=grid.lon)  # linear in time and space
    nearest = snapshots.sel(time=grid.time, method="nearest").assign_coords(time=grid.time)
    nearest = nearest.interp(lat=grid.lat, lon=grid.lon)  # the nearest snapshot in time, linear in space
    unseen = (np.arange(grid.sizes["time"]) % 2 == 1)
    estimates = {fitted.model: surrogate, "linear interpolation": linear, "nearest snapshot": nearest}
    scores = {}
    for name, est in estimates.items():
        scores[name] = {
            "rmse_unseen": geoinr.metrics.rmse(est.isel(time=unseen), grid.isel(time=unseen)),
            "rmse_seen": geoinr.metrics.rmse(est.isel(time=~unseen), grid.isel(time=~unseen)),
            "mu_unseen": geoinr.metrics.nrmse_score(est.isel(time=unseen), grid.isel(time=unseen)),
        }
        s = scores[name]
        print(f"{name:>22}: unseen days RMSE {s['rmse_unseen'] * 100:.2f} cm (mu {s['mu_unseen']:.3f}), "
              f"snapshot days {s['rmse_seen'] * 100:.2f} cm")

    # %% 4. Pictures: maps of one unseen day, the error day by day, the training curves
    import matplotlib.pyplot as plt

    paths = {k: os.path.join(out, f"surrogate_{k}.png") for k in ("maps", "rmse", "history")}
    day = grid.time.values[int(np.flatnonzero(unseen)[len(np.flatnonzero(unseen)) // 2])]
    fig, _ = geoinr.plot.plot_maps(
        grid, {fitted.model: surrogate, "linear interpolation": linear}, time=day, panel_size=3.6
    )
    fig.suptitle(f"{str(day)[:10]}: a day between snapshots")
    geoinr.plot.savefig(fig, paths["maps"], dpi=80)
    fig, ax = plt.subplots(figsize=(8.0, 3.6), layout="constrained")
    for name, est in estimates.items():
        err = np.sqrt(((est - grid) ** 2).mean(("lat", "lon"))) * 100
        err.plot(ax=ax, marker="o", ms=4, label=name)
    for t in grid.time.values[~unseen]:
        ax.axvline(t, color="0.85", lw=4, zorder=0)
    ax.set_ylabel("RMSE [cm]")
    ax.set_title("error per day (grey: days with a snapshot)")
    ax.legend(frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    geoinr.plot.savefig(fig, paths["rmse"], dpi=80)
    ax = fitted.plot_history()
    geoinr.plot.savefig(ax.figure, paths["history"], dpi=80)
    plt.close("all")
    for p in paths.values():
        print(f"wrote {p}")
    return {"scores": scores, "paths": paths, "model": fitted.model, "fit_seconds": fitted.fit_seconds_}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="surrogate_output", help="output folder (default: surrogate_output)")
    parser.add_argument("--quick", action="store_true", help="10 days, 150 epochs: ~10 s, for the tests")
    parser.add_argument("--model", default="modulated_siren", choices=["modulated_siren", "nif"])
    args = parser.parse_args()
    main(args.out, args.quick, args.model)
