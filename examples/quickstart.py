"""Gap-fill synthetic satellite tracks into daily sea-level maps with a SIREN.

Copy it cell by cell into a notebook, or run it:

    python examples/quickstart.py --out demo_output            # ~1 minute on a laptop CPU
    python examples/quickstart.py --out /tmp/quick --quick     # a few seconds, for the tests

It writes ``sla_maps.nc`` (daily maps, CF attributes) and ``sla_map.png`` (truth,
reconstruction, error, with the tracks of that day) and prints the scores
against the known truth. Nothing is downloaded: the tracks are simulated from an
analytic eddy field (``geoinr.datasets``).
"""
import argparse
import os

import numpy as np

import geoinr


def main(out="demo_output", quick=False, max_time=60.0):
    os.makedirs(out, exist_ok=True)
    # %% 1. Along-track observations: 4 altimeters, 10 days, a 10x10 degree box
    days = 4 if quick else 10
    tracks = geoinr.datasets.synthetic_tracks(days=days, noise=0.01, seed=0)
    print(f"{tracks.sizes['time']} along-track observations of sla")

    # %% 2. Fit (the `.inr` accessor appears when geoinr is imported)
    fit_kwargs = dict(max_time=max_time, seed=0)
    if quick:
        # a fixed number of steps (not seconds), so the quick run is the same on any machine
        fit_kwargs.update(width=64, depth=2, epochs=300, max_time=None, batch_size=1024, lr=1e-3, progress=False)
    fitted = tracks.inr.fit("sla", **fit_kwargs)
    print(fitted)
    print(fitted.history.tail(3).to_string())

    # %% 3. Daily maps on a 0.1 degree grid, scored against the truth
    maps = fitted.grid(resolution=0.1, time_step="1D")
    truth = geoinr.datasets.synthetic_grid(resolution=0.1, days=days, seed=0).sel(time=maps.time)
    # the maps keep the names of the track file's coordinates (latitude, longitude)
    truth = truth.drop_vars("sla").rename(sla_true="sla", lat="latitude", lon="longitude")
    truth = truth.reindex_like(maps, method="nearest", tolerance=1e-6)
    scores = fitted.scores(truth)
    print(f"daily maps vs truth: RMSE = {scores['rmse'] * 100:.2f} cm, mu = {scores['mu']:.3f}")
    true = truth["sla"].variable.copy()  # its values alone: the truth's coordinates name other cell bounds
    true.attrs["long_name"] = "true sea level anomaly (synthetic)"
    maps["sla_true"] = true
    nc_path = os.path.join(out, "sla_maps.nc")
    maps.to_netcdf(nc_path)
    print(f"wrote {nc_path}")

    # %% 4. A picture of one day: truth, reconstruction, error, and that day's tracks
    png_path = os.path.join(out, "sla_map.png")
    plot_day(maps, tracks, day=len(maps.time) // 2, path=png_path)
    print(f"wrote {png_path}")

    # %% 5. Save the fitted model and load it back
    model_path = os.path.join(out, "sla.geoinr")
    fitted.save(model_path)
    again = geoinr.load(model_path)
    assert np.array_equal(again.predict(maps.isel(time=[0])).values, maps["sla"].isel(time=[0]).values)
    print(f"wrote {model_path}")
    return scores


def plot_day(maps, tracks, day, path):
    """Truth / reconstruction / error maps for one day with the observations of +-12 h."""
    import matplotlib.pyplot as plt

    import geoinr.plot

    m = maps.isel(time=day)
    t0 = m.time.values
    near = tracks.where(abs(tracks.time - t0) <= np.timedelta64(12, "h"), drop=True)
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.3), constrained_layout=True)
    vmax = float(abs(m.sla_true).max())
    panels = [
        (m.sla_true, "truth", "RdBu_r", vmax),
        (m.sla, "geoinr SIREN", "RdBu_r", vmax),
        (m.sla - m.sla_true, "error", "PuOr_r", vmax / 4),
    ]
    for ax, (field, title, cmap, v) in zip(axes, panels):
        field.plot(ax=ax, cmap=cmap, vmin=-v, vmax=v, cbar_kwargs={"label": "m"})
        ax.scatter(near.longitude, near.latitude, s=0.3, c="k", alpha=0.6)
        ax.set_title(f"{title}, {str(t0)[:10]}")
    geoinr.plot.savefig(fig, path, dpi=80)  # a 256-colour PNG: a third of the size, same look
    plt.close(fig)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="demo_output", help="output folder (default: demo_output)")
    parser.add_argument("--quick", action="store_true", help="tiny model, 300 epochs (a few seconds on any machine), for tests")
    parser.add_argument("--max-time", type=float, default=60.0, help="training budget in seconds (default 60)")
    args = parser.parse_args()
    main(args.out, args.quick, args.max_time)
