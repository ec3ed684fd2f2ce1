"""Cost of a physics-informed (QG residual) training step, by derivative method, against a data-only step.

The default SIREN (width 256, depth 3) of a fit of ``synthetic_tracks``, one Adam step on a
data batch of 4096 points, with and without the 1.5-layer QG residual at 1024 collocation
points (resampled every step, as in ``INRModel(physics="qg")``). The residual's derivatives
(up to third order) by each method of :func:`geoinr.physics.qg.qg_residual`:

- ``autograd``: nested reverse mode (the method before the jets existed);
- ``jvp``: nested forward mode, ``torch.func.jvp`` (three levels, six nestings);
- ``taylor``: one forward pass of 12 Taylor streams per unit (value, 3 first, 5 second,
  3 third-order Laplacian-gradient streams), one matmul per layer over all streams;
- ``hybrid``: forward Laplacian (4 streams) + one hand-written reverse pass for grad q
  (the default, ``method="auto"``, for SIREN fields).

Steps are interleaved (one step of each method per round, the order rotated every round) so
that load from other processes hits all methods alike; the table gives the median step time
and the median over rounds of the ratio to the data-only step of the same round. All in
float32.

    python benchmarks/physics_step.py --repeats 20
"""
import argparse
import os
import platform
import time
import warnings

import numpy as np
import torch

import geoinr
from geoinr.physics.jets import FieldOutput
from geoinr.physics.qg import qg_residual
from geoinr.model.fitting import model_physics_loss

METHODS = ("autograd", "jvp", "taylor", "hybrid")


def setup(batch=4096, collocation=1024, seed=0):
    """A default-SIREN model fitted for one epoch, a data batch, and residual-loss closures by method."""
    tracks = geoinr.datasets.synthetic_tracks(days=5, seed=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = tracks.inr.fit("sla", physics="qg", n_collocation=collocation, epochs=1, max_time=None, progress=False)
    field = m.field_
    g = torch.Generator().manual_seed(seed)
    x = torch.stack([torch.rand(batch, generator=g) * 10, 30 + torch.rand(batch, generator=g) * 10,
                     torch.rand(batch, generator=g) * 5], 1)
    y = torch.randn(batch, 1, generator=g)
    # the same residual as geoinr.model.fitting.model_physics_loss, with the method made explicit
    plane, scale, offset, res_scale, sample = _physics_parts(m, collocation)
    eta = FieldOutput(field, 0, scale, offset)

    def residual_loss(method):
        return lambda: torch.mean((qg_residual(eta, sample(), plane, method=method) / res_scale) ** 2)

    losses = {method: residual_loss(method) for method in METHODS}
    losses["model (auto)"] = model_physics_loss(m, torch.device("cpu"))
    return m, field, x, y, losses, (eta, plane, sample)


def _physics_parts(m, n):
    import math

    from geoinr.physics import GRAVITY
    from geoinr.physics.qg import BetaPlane, LocalPlanes

    west, east, south, north = m.region_
    t0, t1 = m.time_range_
    scale, offset = m.std_[0], m.mean_[0]  # synthetic_tracks: metres
    plane = LocalPlanes()  # what the fitting loss uses: each point's own tangent plane
    centre = BetaPlane(0.5 * (west + east), 0.5 * (south + north))  # f and beta of the residual's scale
    length = m.encoding_config_["min_wavelength"] * 1e3 / (2 * math.pi)
    res_scale = GRAVITY * scale / abs(centre.f0) * centre.beta0 / length
    gen = torch.Generator().manual_seed(1)
    lo = torch.tensor([west, south, t0])
    span = torch.tensor([east - west, north - south, t1 - t0])
    return plane, scale, offset, res_scale, lambda: lo + span * torch.rand(n, 3, generator=gen)


def agreement(eta, plane, sample, methods=METHODS):
    """Max |r_method - r_autograd| / max |r_autograd| at one set of collocation points, and of the parameter gradients."""
    raw = sample()
    params = [p for p in eta.parameters() if p.requires_grad]
    out = {}
    for method in methods:
        r = qg_residual(eta, raw, plane, method=method)
        grads = torch.autograd.grad((r**2).mean(), params, allow_unused=True)
        out[method] = (r.detach(), torch.cat([(g if g is not None else torch.zeros_like(p)).flatten() for g, p in zip(grads, params)]))
    ref_r, ref_g = out["autograd"]
    return {
        m: (float((r - ref_r).abs().max() / ref_r.abs().max()), float((g - ref_g).abs().max() / ref_g.abs().max()))
        for m, (r, g) in out.items()
    }


def step_times(field, x, y, losses, repeats=10, warmup=2, methods=None):
    """Seconds per Adam step, data only and data + residual by method, interleaved; per-round ratios."""
    opt = torch.optim.Adam(field.parameters(), lr=1e-6)
    names = ["data only"] + [m for m in (methods or losses)]
    times = {k: [] for k in names}
    ratios = {k: [] for k in names}
    for i in range(repeats + warmup):
        row = {}
        for name in names[i % len(names):] + names[: i % len(names)]:  # rotated: no method always follows another
            t0 = time.perf_counter()
            loss = torch.mean((field(x) - y) ** 2)
            if name != "data only":
                loss = loss + losses[name]()
            opt.zero_grad()
            loss.backward()
            opt.step()
            row[name] = time.perf_counter() - t0
        if i >= warmup:
            for name in names:
                times[name].append(row[name])
                ratios[name].append(row[name] / row["data only"])
    return {k: (float(np.median(times[k])), float(np.median(ratios[k]))) for k in names}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repeats", type=int, default=10)
    p.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    p.add_argument("--methods", default=",".join(METHODS + ("model (auto)",)))
    p.add_argument("--batch", type=int, default=4096)
    p.add_argument("--collocation", type=int, default=1024)
    a = p.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    m, field, x, y, losses, (eta, plane, sample) = setup(a.batch, a.collocation)
    methods = [s.strip() for s in a.methods.split(",") if s.strip()]
    print(f"machine: {platform.machine()} {platform.processor() or ''}, {os.cpu_count()} cpus, "
          f"{torch.get_num_threads()} torch threads, torch {torch.__version__}; "
          f"network {type(field.network).__name__} width {m.width or 256} depth {m.depth or 3}, "
          f"batch {a.batch}, {a.collocation} collocation points")
    load0 = os.getloadavg()
    res = step_times(field, x, y, losses, a.repeats, methods=methods)
    load1 = os.getloadavg()
    print(f"load average (1 min) before / after: {load0[0]:.1f} / {load1[0]:.1f}")
    print("\n| step | ms per step (median) | ratio to data only (median of rounds) |\n|---|---:|---:|")
    for name, (s, ratio) in res.items():
        label = name if name == "data only" else f"data + qg residual, {name}"
        print(f"| {label} | {s * 1e3:.1f} | {ratio:.2f} |")
    print("\n| method | residual rel. diff. to autograd | parameter-gradient rel. diff. |\n|---|---:|---:|")
    for name, (dr, dg) in agreement(eta, plane, sample, [mm for mm in METHODS]).items():
        print(f"| {name} | {dr:.1e} | {dg:.1e} |")


if __name__ == "__main__":
    main()
