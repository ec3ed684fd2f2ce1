"""Simulate a forced-dissipative 1.5-layer quasi-geostrophic ocean and write daily SSH maps.

    python data_recipes/qg_simulation.py qg_ssh.nc                 # default run, < 1 min on 2 cores
    python data_recipes/qg_simulation.py qg_quick.nc --quick       # small run for tests, a few s

A command-line front to :func:`geoinr.osse.simulate`: the model (a forced-dissipative
1.5-layer QG ocean, pseudo-spectral on a doubly periodic square, mapped onto a lat/lon
box) is described in :mod:`geoinr.osse.qg`; in a notebook, call it directly. The
result is a CF-1.8 ``(time, lat, lon)`` variable ``ssh``.
"""
from __future__ import annotations

import argparse
import time as _time

import xarray as xr

from geoinr.geometry import EARTH_RADIUS_M
# Re-exported for the scripts and benchmarks that load this file by path.
from geoinr.osse import QUICK, QGModel, beta_plane, simulate  # noqa: F401
from geoinr.osse.orbits import EARTH_ROTATION  # noqa: F401
from geoinr.osse.qg import G_QG_SIMULATION

__all__ = ["QGModel", "simulate", "beta_plane", "QUICK", "EARTH_RADIUS", "EARTH_ROTATION", "GRAVITY", "main"]

EARTH_RADIUS = EARTH_RADIUS_M  # m, the package's one Earth radius (geoinr.geometry)
GRAVITY = G_QG_SIMULATION  # m s-2, 9.81: the value the recorded OSSE truth used (not the standard 9.80665)


def main(argv=None) -> xr.Dataset:
    """Command-line entry point: parse ``argv``, simulate, write netCDF; returns the Dataset."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("path", help="output netCDF file")
    p.add_argument("--days", type=int, default=None, help="daily snapshots written (default 90; 10 with --quick)")
    p.add_argument("--n", type=int, default=None, help="grid points per side (default 128; 64 with --quick)")
    p.add_argument("--spinup-days", type=float, default=None, help="spin-up length (default 300; 60 with --quick)")
    p.add_argument("--length-km", type=float, default=1000.0, help="side of the square domain in km (default 1000)")
    p.add_argument("--lat0", type=float, default=35.0, help="central latitude (default 35)")
    p.add_argument("--lon0", type=float, default=-40.0, help="central longitude (default -40)")
    p.add_argument("--rossby-radius-km", type=float, default=40.0, help="deformation radius in km (default 40)")
    p.add_argument("--ssh-std", type=float, default=0.15, help="target SSH standard deviation in m (default 0.15)")
    p.add_argument("--start", default="2020-01-01", help="date of the first snapshot (default 2020-01-01)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--quick", action="store_true", help="small, fast run (64x64, 60-day spin-up, 10 days)")
    a = p.parse_args(argv)
    base = dict(QUICK) if a.quick else {}
    for key in ("days", "n", "spinup_days"):
        if getattr(a, key) is not None:
            base[key] = getattr(a, key)
    t0 = _time.perf_counter()
    ds = simulate(
        length_km=a.length_km,
        lat0=a.lat0,
        lon0=a.lon0,
        rossby_radius_km=a.rossby_radius_km,
        ssh_std=a.ssh_std,
        start=a.start,
        seed=a.seed,
        progress=True,
        **base,
    )
    ds.to_netcdf(a.path)
    print(
        f"wrote {a.path}: ssh {dict(ds.ssh.sizes)}, std {float(ds.ssh.std()):.3f} m, "
        f"{_time.perf_counter() - t0:.1f} s"
    )
    return ds


if __name__ == "__main__":
    main()
