"""Regrid a coarse daily 1° sea-level product onto a 0.1° grid with a SIREN.

Copy it cell by cell into a notebook, or run it:

    python examples/regrid.py --out regrid_output          # ~30 s on 2 CPU cores
    python examples/regrid.py --out /tmp/regrid --quick    # a few seconds, for the tests

A SIREN is fitted to every value of the coarse ``(time, lat, lon)`` field, then
evaluated on the fine grid. The fine-grid truth is known (an analytic eddy field,
``geoinr.datasets``), so the result is scored against it, next to linear and
cubic interpolation of the coarse grid. Writes ``regrid_maps.png`` (truth,
SIREN and linear interpolation with their errors, coarse grid points as dots),
``regrid_history.png`` (training curves) and ``regrid_0.1deg.nc``. Nothing is
downloaded.
"""
import argparse
import os

import numpy as np

import geoinr
import geoinr.plot


def main(out="regrid_output", quick=False):
    os.makedirs(out, exist_ok=True)
    # %% 1. A coarse product: daily maps on a 1 degree grid (10 x 10 cells over 10 x 10 degrees)
    days = 4 if quick else 10
    coarse = geoinr.datasets.synthetic_grid(resolution=1.0, days=days, seed=0)["sla"]
    print(f"coarse grid: {dict(coarse.sizes)}")

    # %% 2. Fit a SIREN to it. Left to its default, min_wavelength is two grid spacings (~200 km
    # here): the model would represent nothing finer than the coarse grid already resolves. The
    # eddies we expect are ~80 km across, so we ask for that; the eddies drift from day to day,
    # and the space-time fit places them between grid points. A small network is plenty for
    # 100 values a day, and a fixed number of epochs gives the same result on every machine.
    fitted = coarse.inr.fit(
        min_wavelength=80.0, width=64, depth=2, epochs=300 if quick else 3000,
        batch_size=1024, lr=1e-3, max_time=None, seed=0, progress=not quick,
    )
    print(fitted)

    # %% 3. Evaluate on a 0.1 degree grid: any grid works, here one over the same box and days
    target = geoinr.coords.regular_grid((0.0, 10.0, 30.0, 40.0), 0.1, times=coarse.time.values)
    fine = fitted.predict(target)
    print(f"fine grid: {dict(fine.sizes)}; one line does steps 2-3: coarse.inr.regrid(target, ...)")

    # %% 4. Scores against the 0.1 degree truth, next to linear and cubic interpolation
    # (interpolation leaves the half cell along the edges empty: every method is scored inside)
    truth = geoinr.datasets.synthetic_grid(resolution=0.1, days=days, seed=0)["sla_true"]
    estimates = {
        "SIREN": fine,
        "linear interpolation": coarse.interp(lat=target.lat, lon=target.lon),
        "cubic interpolation": coarse.interp(lat=target.lat, lon=target.lon, method="cubic"),
    }
    inside = np.isfinite(estimates["linear interpolation"])
    scores = {}
    for name, est in estimates.items():
        est = est.where(inside)
        ref = truth.where(inside)  # the same points for every method
        scores[name] = {"rmse": geoinr.metrics.rmse(est, ref), "mu": geoinr.metrics.nrmse_score(est, ref)}
        print(f"{name:>22}: RMSE {scores[name]['rmse'] * 100:.2f} cm, mu = {scores[name]['mu']:.3f}")

    # %% 5. Pictures: truth, SIREN, linear interpolation and their errors, with the coarse grid points
    paths = {"maps": os.path.join(out, "regrid_maps.png"), "history": os.path.join(out, "regrid_history.png")}
    fig, _ = geoinr.plot.plot_maps(
        truth, {"SIREN": fine, "linear interpolation": estimates["linear interpolation"]},
        tracks=coarse, labels={"truth": "truth (0.1°)"}, panel_size=3.6,
    )
    geoinr.plot.savefig(fig, paths["maps"], dpi=80)
    ax = fitted.plot_history()
    geoinr.plot.savefig(ax.figure, paths["history"], dpi=80)
    import matplotlib.pyplot as plt

    plt.close("all")

    # %% 6. Save the fine grid (CF attributes: units, long_name, source)
    paths["netcdf"] = os.path.join(out, "regrid_0.1deg.nc")
    fine.to_netcdf(paths["netcdf"])
    for p in paths.values():
        print(f"wrote {p}")
    return {"scores": scores, "paths": paths, "fit_seconds": fitted.fit_seconds_}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="regrid_output", help="output folder (default: regrid_output)")
    parser.add_argument("--quick", action="store_true", help="4 days, 300 epochs: a few seconds, for the tests")
    args = parser.parse_args()
    main(args.out, args.quick)
