"""Derived vorticity of a fitted Gaussian eddy against its analytic value, by fit budget.

The truth: a Gaussian eddy of sea-surface height, ``A exp(-r^2 / L^2)`` with
A = 30 cm and L = 60 km, centred at 35 N, on one day of a 0.1 deg grid 5 deg wide
(2,500 points, no noise). Each method fits the grid with ``ds.inr.fit("ssh", ...)``
and evaluates ``derive("relative_vorticity")`` on the same grid. The reference is
the same operator (:func:`geoinr.physics.derivatives`, spherical, in float64)
applied to the analytic height, so the error is the network's alone.

Scores: SSH error and vorticity error, each as RMS(error) / RMS(truth) over the
grid without its outer 0.5 deg (derivatives at a domain edge are extrapolations),
and the vorticity error at the eddy's centre relative to the central value.

    python benchmarks/eddy_vorticity.py                    # 30, 60 and 120 s, each method
    python benchmarks/eddy_vorticity.py --budgets 60 --methods "geoinr siren"
"""
from __future__ import annotations

import argparse
import math
import os
import platform
import time
import warnings

import numpy as np
import torch
import xarray as xr

import geoinr
from geoinr.physics import GRAVITY, OMEGA, coriolis, derivatives
from geoinr.physics.constants import EARTH_RADIUS_M as EARTH_RADIUS

AMPLITUDE = 0.30  # m
LENGTH = 60e3  # m, e-folding radius of exp(-r^2 / L^2)
CENTRE = (0.0, 35.0)  # deg east, deg north
HALF_WIDTH = 2.5  # deg
RESOLUTION = 0.1  # deg
EDGE = 0.5  # deg left out of the scores at each side


def eddy_height(lon, lat, backend=np):
    """SSH (m) of the eddy at lon/lat (deg); great-circle distance, so the eddy is round on the sphere."""
    d = math.pi / 180.0
    lon0, lat0 = CENTRE
    cosc = (backend.sin(lat * d) * math.sin(lat0 * d)
            + backend.cos(lat * d) * math.cos(lat0 * d) * backend.cos((lon - lon0) * d))
    r = EARTH_RADIUS * backend.arccos(backend.clip(cosc, -1.0, 1.0)) if backend is np else \
        EARTH_RADIUS * torch.arccos(torch.clamp(cosc, -1.0, 1.0 - 1e-15))
    return AMPLITUDE * backend.exp(-(r / LENGTH) ** 2)


def make_case() -> xr.Dataset:
    grid = geoinr.coords.regular_grid(
        (CENTRE[0] - HALF_WIDTH, CENTRE[0] + HALF_WIDTH, CENTRE[1] - HALF_WIDTH, CENTRE[1] + HALF_WIDTH),
        RESOLUTION, times=[np.datetime64("2020-01-01")])
    lon, lat = np.meshgrid(grid.lon.values, grid.lat.values)
    ssh = eddy_height(lon, lat)[None]
    grid["ssh"] = (("time", "lat", "lon"), ssh, {"units": "m", "long_name": "sea surface height"})
    return grid


def true_vorticity(grid: xr.Dataset) -> np.ndarray:
    """zeta = g/f lap(eta) - g beta/f^2 eta_y, the formula ``derive`` uses, on the analytic height (float64)."""
    lon, lat = np.meshgrid(grid.lon.values, grid.lat.values)
    raw = torch.tensor(np.stack([lon.ravel(), lat.ravel()], 1), dtype=torch.float64)
    d = derivatives(lambda r: eddy_height(r[:, 0], r[:, 1], backend=torch), raw)
    f = coriolis(raw[:, 1])
    beta = 2 * OMEGA * torch.cos(raw[:, 1] * math.pi / 180.0) / EARTH_RADIUS  # 1/(m s)
    zeta = GRAVITY / f * d["lap"] - GRAVITY * beta / f**2 * d["f_y"]
    return zeta.numpy().reshape(lon.shape)


def rel_rms(est, ref, mask):
    return float(np.sqrt(np.mean((est[mask] - ref[mask]) ** 2)) / np.sqrt(np.mean(ref[mask] ** 2)))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--budgets", nargs="*", type=float, default=[30.0, 60.0, 120.0])
    ap.add_argument("--methods", nargs="*", default=None)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    warnings.simplefilter("ignore")
    grid = make_case()
    zeta_true = true_vorticity(grid)
    lon, lat = np.meshgrid(grid.lon.values, grid.lat.values)
    inner = ((np.abs(lon - CENTRE[0]) < HALF_WIDTH - EDGE) & (np.abs(lat - CENTRE[1]) < HALF_WIDTH - EDGE))
    centre = np.unravel_index(np.argmax(np.abs(zeta_true) * inner), zeta_true.shape)
    ssh_true = grid.ssh.isel(time=0).values
    methods = {
        "geoinr siren": {},
        'geoinr siren, optimizer="adam"': {"optimizer": "adam"},
        "geoinr modulated_siren": {"model": "modulated_siren"},
        'geoinr modulated_siren, optimizer="adam"': {"model": "modulated_siren", "optimizer": "adam"},
        "geoinr nif": {"model": "nif"},
        "geoinr ffn": {"model": "ffn"},
        'geoinr ffn, optimizer="adam"': {"model": "ffn", "optimizer": "adam"},
    }
    chosen = args.methods or list(methods)
    print(f"# eddy_vorticity.py: {platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__} "
          f"({torch.get_num_threads()} threads), geoinr {geoinr.__version__}, seed {args.seed}; "
          f"{grid.sizes['lat']}x{grid.sizes['lon']} points, eddy A={AMPLITUDE * 100:.0f} cm L={LENGTH / 1e3:.0f} km "
          f"at {CENTRE[1]:.0f}N, central zeta/f = {zeta_true[centre] / float(coriolis(torch.tensor(CENTRE[1]))):.3f}")
    print("| method | budget (s) | SSH error (%) | vorticity error (%) | centre vorticity error (%) | seconds |")
    print("|---|---:|---:|---:|---:|---:|")
    for name in chosen:
        for budget in args.budgets:
            t0 = time.perf_counter()
            try:
                fitted = grid.inr.fit("ssh", max_time=budget, progress=False, seed=args.seed, **methods[name])
                pred = fitted.predict(grid)
                ssh = (pred.ssh if isinstance(pred, xr.Dataset) else pred).isel(time=0).values
                zeta = fitted.derive("relative_vorticity", grid).zeta.isel(time=0).values
                row = (f"{100 * rel_rms(ssh, ssh_true, inner):.2f} | {100 * rel_rms(zeta, zeta_true, inner):.1f} | "
                       f"{100 * abs(zeta[centre] - zeta_true[centre]) / abs(zeta_true[centre]):.1f}")
            except Exception as err:  # a failure is a result too
                row = f"failed: {type(err).__name__}: {str(err)[:80]} | | "
            print(f"| {name} | {budget:g} | {row} | {time.perf_counter() - t0:.1f} |", flush=True)


if __name__ == "__main__":
    main()
