"""How the QG residual is weighted against the data: by the network's own time-varying fraction, or otherwise.

``physics="qg"`` removes the temporal mean from the residual and multiplies the term by the fitted field's
time-varying fraction of variance (``geoinr.physics.losses._varying_fraction``), so that a large steady mean (a
mean dynamic topography) does not tilt ``physics_weight`` against the data. That fraction is the network's own:
about 2e-5 at initialisation. A review asked whether weighting by the data's fraction instead (here the truth's,
an oracle no fit has) would let the residual act on short budgets. Each variant patches the weight and fits the
40-day QG OSSE (``benchmarks/osse.py``'s case, seed 0) with ``physics="qg", rossby_radius=40,
physics_weight=0.1``, ``validation=0`` and a fixed number of epochs (load-independent), beside the data-only fit:

- ``net``: the package (the network's own fraction, recorded at the first, middle and last physics step);
- ``truth``: the truth's fraction (mean over sites of the variance in time, over the total variance), a constant;
- ``one``: no weighting (the term at full weight).

``--mdt`` adds a steady dome of that amplitude (m) to the truth and the tracks (the case the weighting is for).

    python benchmarks/physics_fraction.py --epochs 30 100 --mdt 0 0.7     # ~15 minutes on 2 cores
"""
import argparse
import json
import os
import platform
import sys
import time
import warnings

import numpy as np
import torch
import xarray as xr

import geoinr
import geoinr.physics.losses as losses

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from osse import make_case, score  # noqa: E402

VARIANTS = ("data only", "net", "truth", "one")


def with_dome(truth, obs, amplitude):
    """The case with a steady dome of ``amplitude`` metres added to the truth and to the tracks."""
    if not amplitude:
        return truth.ssh, obs
    ssh = truth.ssh
    x = np.linspace(0, 2 * np.pi, ssh.sizes["lon"])
    y = np.linspace(0, np.pi, ssh.sizes["lat"])
    dome = xr.DataArray(amplitude * np.sin(y)[:, None] * np.cos(x)[None, :], dims=("lat", "lon"),
                        coords={"lat": ssh.lat, "lon": ssh.lon})
    obs = obs.copy()
    obs["sla"] = obs.sla + dome.interp(lat=obs.latitude, lon=obs.longitude)
    return ssh + dome, obs


def run_variant(variant, truth, obs, epochs, seed):
    fraction = float(truth.var("time").mean() / truth.var())
    original, seen = losses._varying_fraction, []

    def recorded(field, raw, k):
        value = original(field, raw, k)
        seen.append(float(value))
        return value

    patched = {"net": recorded, "truth": lambda field, raw, k: torch.tensor(fraction),
               "one": lambda field, raw, k: torch.tensor(1.0)}
    losses._varying_fraction = patched.get(variant, original)
    physics = {} if variant == "data only" else dict(physics="qg", rossby_radius=40.0, physics_weight=0.1)
    reference = truth.isel(time=slice(5, truth.sizes["time"] - 5))
    grid = reference.to_dataset(name="ssh").drop_vars("ssh")
    t0 = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fitted = obs.inr.fit("sla", epochs=epochs, max_time=None, progress=False, seed=seed, validation=0.0,
                                 **physics)
            maps = fitted.predict(grid)
    finally:
        losses._varying_fraction = original
    s = score(maps.sla if hasattr(maps, "data_vars") else maps, reference)
    steps = [seen[0], seen[len(seen) // 2], seen[-1]] if seen else None
    return {"variant": variant, "epochs": epochs, "truth_fraction": round(fraction, 3), "rmse_cm": s["rmse_cm"],
            "mu": s["mu"], "lambda_x_km": s["lambda_x_km"], "network_fraction": steps,
            "seconds": time.perf_counter() - t0}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, nargs="+", default=[30, 100])
    p.add_argument("--mdt", type=float, nargs="+", default=[0.0, 0.7], help="steady dome amplitudes (m)")
    p.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=VARIANTS)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    truth0, obs0 = make_case(days=40, seed=args.seed)
    rows = []
    for amplitude in args.mdt:
        truth, obs = with_dome(truth0, obs0, amplitude)
        for epochs in args.epochs:
            for variant in args.variants:
                row = {"mdt_m": amplitude, **run_variant(variant, truth, obs, epochs, args.seed)}
                rows.append(row)
                print(json.dumps(row), flush=True)
    print(f"\n{platform.machine()}, {os.cpu_count()} CPUs, torch {torch.__version__}; 40-day QG OSSE, seed {args.seed}\n")
    print("| dome (m) | epochs | weight | RMSE (cm) | mu | lambda_x (km) | network's fraction (first, middle, last) |")
    print("|---:|---:|---|---:|---:|---:|---|")
    for r in rows:
        net = "" if r["network_fraction"] is None else ", ".join(f"{v:.2g}" for v in r["network_fraction"])
        print(f"| {r['mdt_m']:g} | {r['epochs']} | {r['variant']} | {r['rmse_cm']:.3f} | {r['mu']:.4f} | "
              f"{r['lambda_x_km']:.0f} | {net} |")


if __name__ == "__main__":
    main()
