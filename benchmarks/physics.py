"""Physics-informed fits: cost of a QG-residual step, and whether physics="qg" fills gaps better.

1. Step cost: the default SIREN (width 256, depth 3, batch 4096) with and without the
   1.5-layer QG residual at 1024 collocation points (the model's default derivative method,
   ``"hybrid"`` jets for a SIREN; every method side by side: ``benchmarks/physics_step.py``);
   median of 10 steps after 2 warm-up steps, same process.
2. Gap filling: an exact 1.5-layer Rossby wave (300 km x 500 km wavelengths, 10 cm,
   Ld 40 km, 35N) sampled along 4 altimeters' tracks over 20 days; daily 0.1-degree maps
   scored against the wave, data-only vs physics="qg" at several weights, same budget.

    python benchmarks/physics.py --max-time 30
"""
import argparse
import math
import platform
import time
import warnings

import numpy as np
import torch

import geoinr
from geoinr.physics.qg import BetaPlane, rossby_wave_frequency
from geoinr.model.fitting import model_physics_loss

REGION = (0.0, 10.0, 30.0, 40.0)


def step_cost(repeats=10, batch=4096, collocation=1024):
    """Seconds per optimizer step, data loss only vs data + QG residual, default SIREN."""
    tracks = geoinr.datasets.synthetic_tracks(days=5, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = tracks.inr.fit("sla", physics="qg", n_collocation=collocation, epochs=1, max_time=None, progress=False)
    field = m.field_
    physics = model_physics_loss(m, torch.device("cpu"))
    opt = torch.optim.Adam(field.parameters(), lr=1e-5)
    g = torch.Generator().manual_seed(0)
    x = torch.stack([torch.rand(batch, generator=g) * 10, 30 + torch.rand(batch, generator=g) * 10,
                     torch.rand(batch, generator=g) * 5], 1)
    y = torch.randn(batch, 1, generator=g)
    rows = []
    for name, with_physics in (("data only", False), ("data + qg residual (default: hybrid jets)", True)):
        times = []
        for i in range(repeats + 2):
            t0 = time.perf_counter()
            loss = torch.mean((field(x) - y) ** 2)
            if with_physics:
                loss = loss + physics()
            opt.zero_grad()
            loss.backward()
            opt.step()
            if i >= 2:  # warm-up steps excluded
                times.append(time.perf_counter() - t0)
        rows.append((name, float(np.median(times))))
    return rows


def rossby_case():
    plane = BetaPlane(5.0, 35.0, rossby_radius=40e3)
    k, l = 2 * math.pi / 300e3, 2 * math.pi / 500e3
    omega = rossby_wave_frequency(k, l, plane)
    mx, my = plane.metres_per_degree

    def eta(lon, lat, t_days):
        x = (np.asarray(lon) - plane.lon0) * mx
        y = (np.asarray(lat) - plane.lat0) * my
        return 0.1 * np.cos(k * x + l * y - omega * np.asarray(t_days) * 86400.0)

    return eta, plane


def gap_filling(max_time, weights=(None, 0.1, 1.0, 10.0)):
    eta, plane = rossby_case()
    days = 20
    tracks = geoinr.datasets.synthetic_tracks(region=REGION, days=days, seed=0, field=eta)
    grid = geoinr.coords.regular_grid(REGION, 0.1, times=np.datetime64("2020-01-01", "ns") + np.arange(1, days).astype("timedelta64[D]"))
    t = (grid.time.values - np.datetime64("2020-01-01", "ns")) / np.timedelta64(1, "D")
    truth = eta(grid.lon.values[None, None, :], grid.lat.values[None, :, None], t[:, None, None])
    rows = []
    for w in weights:
        kw = dict(max_time=max_time, progress=False, seed=0)
        if w is not None:
            kw.update(physics="qg", physics_weight=w, rossby_radius=40.0)
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m = tracks.inr.fit("sla", **kw)
        sec = time.perf_counter() - t0
        pred = m.predict(grid.rename(lat="latitude", lon="longitude")).values
        rmse = float(np.sqrt(np.mean((pred - truth) ** 2)))
        mu = 1 - rmse / float(np.sqrt(np.mean(truth**2)))
        rows.append(("data only" if w is None else f"qg, weight {w:g}", rmse * 100, mu, int(m.history.step.iloc[-1]), sec))
    return rows


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--max-time", type=float, default=30.0)
    a = p.parse_args()
    print(f"machine: {platform.machine()}, {torch.get_num_threads()} torch threads, torch {torch.__version__}")
    rows = step_cost()
    base = rows[0][1]
    print("\n| step | ms per step | ratio to data only |\n|---|---:|---:|")
    for name, s in rows:
        print(f"| {name} | {s * 1e3:.1f} | {s / base:.2f} |")
    print(f"\n| fit ({a.max_time:.0f} s budget) | RMSE (cm) | mu | steps | seconds |\n|---|---:|---:|---:|---:|")
    for name, r, mu, steps, sec in gap_filling(a.max_time):
        print(f"| {name} | {r:.2f} | {mu:.3f} | {steps} | {sec:.1f} |")
