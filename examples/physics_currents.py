"""Physics-informed fit of along-track sea level, and the geostrophic currents it implies.

Copy it cell by cell into a notebook, or run it:

    python examples/physics_currents.py --out currents_output         # ~1 minute on 2 CPU cores
    python examples/physics_currents.py --out /tmp/currents --quick   # ~15 s, for the tests

A 1.5-layer quasi-geostrophic ocean is simulated (``geoinr.osse.simulate``,
Rossby radius 40 km, 35N) and sampled along the tracks of four altimeters with
1 cm noise (``geoinr.osse.sample_along_track``). Two SIRENs are fitted to the
tracks: one to the data alone, one with the QG potential-vorticity residual as
an extra loss (``physics="qg"``). Geostrophic currents follow from each fitted
field by automatic differentiation (``fitted.derive("geostrophic_velocity", grid)``)
and are scored against the geostrophic currents of the simulated sea level.
Writes ``currents_maps.png`` (speed and arrows: truth, both fits, errors, with
the day's tracks), ``currents_ssh.png`` and ``currents_history.png``. Nothing is
downloaded.
"""
import argparse
import os

import numpy as np
import xarray as xr

import geoinr
import geoinr.plot
from geoinr import osse
from geoinr.physics import EARTH_RADIUS_M, GRAVITY, OMEGA


def geostrophic_currents(ssh: xr.DataArray) -> xr.Dataset:
    """u = -g/f d(eta)/dy, v = g/f d(eta)/dx of a gridded (time, lat, lon) sea level, by centred differences."""
    lat = np.radians(ssh.lat.values)
    lon = np.radians(ssh.lon.values)
    f = 2 * OMEGA * np.sin(lat)[:, None]
    deta_dy = np.gradient(ssh.values, lat, axis=-2) / EARTH_RADIUS_M
    deta_dx = np.gradient(ssh.values, lon, axis=-1) / (EARTH_RADIUS_M * np.cos(lat)[:, None])
    attrs = {"units": "m s-1"}
    return xr.Dataset(
        {
            "ugos": (ssh.dims, -GRAVITY / f * deta_dy, dict(attrs, long_name="eastward geostrophic velocity")),
            "vgos": (ssh.dims, GRAVITY / f * deta_dx, dict(attrs, long_name="northward geostrophic velocity")),
        },
        coords=ssh.coords,
    )


def speed(uv: xr.Dataset) -> xr.DataArray:
    return np.hypot(uv.ugos, uv.vgos).assign_attrs(long_name="geostrophic current speed", units="m s-1")


def main(out="currents_output", quick=False):
    os.makedirs(out, exist_ok=True)
    # %% 1. A QG ocean (64 x 64 points over 1000 km at 35N) and four altimeters with 1 cm noise
    days = 10 if quick else 20
    truth = osse.simulate(n=64, spinup_days=60 if quick else 200, days=days, seed=0)
    tracks = osse.sample_along_track(
        truth.ssh, missions=("jason3", "sentinel3a", "sentinel3b", "saral"), white_noise=0.01, seed=0
    )
    print(f"{tracks.sizes['time']} along-track observations over {days} days; Rossby radius "
          f"{truth.attrs['rossby_radius'] / 1e3:.0f} km")

    # %% 2. Two fits with the same network and budget: data alone, and data + QG residual.
    # physics="qg" adds the 1.5-layer QG potential-vorticity residual at random collocation points
    # of the space-time box, every 8th step. The simulated ocean is forced and damped, so the free QG
    # equation holds only approximately: a weak, occasional residual (weight 0.1) steers the fit
    # between tracks without fighting the data (benchmarks/osse.py compares). Here the weight is
    # given, to show the residual's effect; by default (physics_weight="auto") the fit would train a
    # data-only network, then one with the residual, and keep what predicts held-out passes best: either
    # network or their mean (geoinr.model.physics_weight).
    fit = {"width": 64, "depth": 3, "epochs": 100 if quick else 200, "batch_size": 2048, "lr": 1e-3,
           "max_time": None, "seed": 0, "progress": not quick}
    fits = {
        "SIREN": tracks.inr.fit("sla", **fit),
        "SIREN + QG": tracks.inr.fit(
            "sla", physics="qg", physics_weight=0.1, rossby_radius=40.0,
            n_collocation=256 if quick else 512, **fit,
        ),
    }
    for name, fitted in fits.items():
        print(f"--- {name}\n{fitted}")

    # %% 3. Currents by automatic differentiation, on the simulation's grid, for the middle days
    # (the first and last days see the fewest tracks)
    ssh_true = truth.ssh.isel(time=slice(days // 4, days - days // 4))
    uv_true = geostrophic_currents(ssh_true)
    rms_uv = float(np.sqrt((uv_true.ugos**2 + uv_true.vgos**2).mean()))
    scores = {}
    uv, ssh = {}, {}
    for name, fitted in fits.items():
        uv[name] = fitted.derive("geostrophic_velocity", ssh_true)  # ugos, vgos in m s-1, CF attributes
        ssh[name] = fitted.predict(ssh_true)
        err = float(np.sqrt(((uv[name].ugos - uv_true.ugos) ** 2 + (uv[name].vgos - uv_true.vgos) ** 2).mean()))
        scores[name] = {
            "ssh_rmse": geoinr.metrics.rmse(ssh[name], ssh_true),
            "ssh_mu": geoinr.metrics.nrmse_score(ssh[name], ssh_true),
            "uv_rmse": err,
            "uv_mu": 1.0 - err / rms_uv,
            "fit_seconds": fitted.fit_seconds_,
        }
        s = scores[name]
        print(f"{name:>11}: sea level RMSE {s['ssh_rmse'] * 100:.2f} cm (mu {s['ssh_mu']:.3f}); currents RMSE "
              f"{s['uv_rmse'] * 100:.1f} cm/s (mu {s['uv_mu']:.3f}, true RMS {rms_uv * 100:.1f} cm/s); "
              f"fit {s['fit_seconds']:.1f} s")

    # %% 4. Maps of current speed with arrows (truth, both fits, errors), and of sea level
    paths = {k: os.path.join(out, f"currents_{k}.png") for k in ("maps", "ssh", "history")}
    day = ssh_true.time.values[len(ssh_true.time) // 2]
    fig, axes = geoinr.plot.plot_maps(
        speed(uv_true), {name: speed(v) for name, v in uv.items()}, tracks=tracks, time=day, panel_size=3.6,
    )
    arrows = {"truth": uv_true, **uv}
    for key, ax in axes.items():  # the axes are ordinary matplotlib axes: add arrows to the maps
        if key in arrows:
            a = arrows[key].sel(time=day).isel(lat=slice(2, None, 6), lon=slice(2, None, 6))
            q = ax.quiver(a.lon, a.lat, a.ugos, a.vgos, scale=6.0, width=0.006, color="w",
                          edgecolor="k", linewidth=0.4)
    ax.quiverkey(q, 0.75, 1.06, 0.5, "0.5 m/s", labelpos="E")
    geoinr.plot.savefig(fig, paths["maps"], dpi=80)
    fig, _ = geoinr.plot.plot_maps(ssh_true, ssh, tracks=tracks, time=day, panel_size=3.6)
    geoinr.plot.savefig(fig, paths["ssh"], dpi=80)
    ax = fits["SIREN + QG"].plot_history()  # training, validation and physics-residual losses
    geoinr.plot.savefig(ax.figure, paths["history"], dpi=80)
    import matplotlib.pyplot as plt

    plt.close("all")
    for p in paths.values():
        print(f"wrote {p}")
    return {"scores": scores, "paths": paths, "rms_true_uv": rms_uv}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="currents_output", help="output folder (default: currents_output)")
    parser.add_argument("--quick", action="store_true", help="10 days, 100 epochs: ~15 s, for the tests")
    args = parser.parse_args()
    main(args.out, args.quick)
