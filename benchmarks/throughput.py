"""Training and prediction throughput of the default SIREN against a plain PyTorch SIREN and GEMM.

Measured side by side in one process, on the CPU and (when present) on a GPU:

* GEMM: float32 (and bfloat16) ``(batch x 256) @ (256 x 256)`` products, GFLOP/s;
* reference: a straightforward PyTorch SIREN of the same width, depth and batch
  (``nn.Sequential`` of ``nn.Linear`` + ``torch.sin(w0 * x)``, Adam);
* geoinr: one step of geoinr's own training loop (:meth:`geoinr.training.Trainer.train_step`,
  encoding + network + masked loss + Adam) on the default SIREN, float32 and
  ``precision="bfloat16"``;
* prediction: :meth:`geoinr.INRModel.predict` onto a 1,000,000-point grid;
* three networks trained together (the default on scattered data under ``max_time`` where the budget affords
  them; ``n_members`` and ``uncertainty="ensemble"``): a step of the three-member ensemble by its batched products
  (:meth:`geoinr.nn.Siren.forward_stacked`, the default for SIRENs since 2026-12-06 and for modulated SIRENs
  since the second session of that day) and by ``torch.func.vmap`` (before), points/s per member
  (``--members-only``: this table alone).

Rounds alternate the methods (reference, geoinr float32, geoinr bfloat16, ...) and the
table gives medians over rounds, so a busy neighbour slows them alike. The model FLOP
count is 6 multiply-adds x 2 per weight per point (forward, input and weight gradients),
the first layer without an input gradient.

    python benchmarks/throughput.py            # ~1 minute on 2 CPU cores
    python benchmarks/throughput.py --rounds 5 --steps 20
"""
import argparse
import math
import platform
import statistics
import time
import warnings

import numpy as np
import torch
from torch import nn

import geoinr
from geoinr.training import TrainConfig, Trainer


class Sine(nn.Module):
    def __init__(self, w0):
        super().__init__()
        self.w0 = w0

    def forward(self, x):
        return torch.sin(self.w0 * x)


def reference_siren(n_in, width, depth, w0=3.0, w0_hidden=30.0):
    layers, n = [], n_in
    for i in range(depth):
        layers += [nn.Linear(n, width), Sine(w0 if i == 0 else w0_hidden)]
        n = width
    layers.append(nn.Linear(n, 1))
    return nn.Sequential(*layers)


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def gemm_rate(device, dtype, batch, width, reps=30):
    a = torch.randn(batch, width, device=device).to(dtype)
    b = torch.randn(width, width, device=device).to(dtype)
    for _ in range(5):
        a @ b
    sync(device)
    t0 = time.perf_counter()
    for _ in range(reps):
        a @ b
    sync(device)
    return 2.0 * batch * width * width * reps / (time.perf_counter() - t0) / 1e9


def time_steps(step, device, steps):
    for _ in range(3):  # warm-up
        step()
    sync(device)
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    sync(device)
    return (time.perf_counter() - t0) / steps


def model_flops(n_in, width, depth):
    """FLOPs per point of one training step (forward + both gradients; no input gradient at layer 1)."""
    first = n_in * width
    hidden = (depth - 1) * width * width
    head = width
    return 2 * (3 * (hidden + head) + 2 * first)


def training_data(device, batch=4096):
    """The built-in tracks and one batch of raw positions (lon, lat, days) with random targets."""
    tracks = geoinr.datasets.synthetic_tracks(days=10, seed=0)
    gen = torch.Generator().manual_seed(0)
    raw = torch.stack(
        [torch.rand(batch, generator=gen) * 10, 30 + torch.rand(batch, generator=gen) * 10, torch.rand(batch, generator=gen) * 10], 1
    ).to(device)
    return tracks, raw, torch.randn(batch, 1, generator=gen).to(device)


def run(device, batch=4096, rounds=3, steps=10, predict_points=1_000_000):
    tracks, raw, y = training_data(device, batch)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted = {
            prec: tracks.inr.fit("sla", epochs=1, max_time=None, progress=False, precision=prec, device=str(device))
            for prec in ("float32", "bfloat16")
        }
    ref_model = fitted["float32"]
    width, depth = 256, 3
    n_enc = ref_model.field_.encoding.out_features
    enc = ref_model.field_.encoding(raw).detach()

    ref = reference_siren(n_enc, width, depth).to(device)
    ref_opt = torch.optim.Adam(ref.parameters(), lr=1e-4)

    def ref_step():
        loss = torch.mean((ref(enc) - y) ** 2)
        ref_opt.zero_grad(set_to_none=True)
        loss.backward()
        ref_opt.step()

    trainers = {}
    for prec, m in fitted.items():
        cfg = TrainConfig(batch_size=batch, epochs=1, max_time=None, validation=0.0, progress=False, precision=prec)
        trainers[prec] = Trainer(m.field_, raw, y, None, cfg, device)

    results = {"reference": [], "float32": [], "bfloat16": []}
    for _ in range(rounds):
        results["reference"].append(batch / time_steps(ref_step, device, steps))
        for prec, tr in trainers.items():
            results[prec].append(batch / time_steps(lambda tr=tr: tr.train_step(raw, y), device, steps))
    gemm32 = statistics.median(gemm_rate(device, torch.float32, batch, width) for _ in range(rounds))
    gemm16 = statistics.median(gemm_rate(device, torch.bfloat16, batch, width) for _ in range(rounds))

    side = int(math.sqrt(predict_points / 4))
    grid = geoinr.coords.regular_grid((0, 10, 30, 40), 10.0 / side, times=ref_model.target_grid(1.0).time.values[:4])
    n_pred = grid.sizes["time"] * grid.sizes["lat"] * grid.sizes["lon"]
    pred = {}
    for prec, m in fitted.items():
        m.predict(grid.isel(time=slice(0, 1)))  # warm-up
        times = []
        for _ in range(rounds):
            t0 = time.perf_counter()
            m.predict(grid)
            times.append(time.perf_counter() - t0)
        pred[prec] = n_pred / statistics.median(times)
    a = fitted["float32"].predict(grid.isel(time=slice(0, 1))).values
    fitted["bfloat16"].field_.load_state_dict(fitted["float32"].field_.state_dict())
    b = fitted["bfloat16"].predict(grid.isel(time=slice(0, 1))).values
    bf16_err = float(np.sqrt(np.nanmean((a - b) ** 2)) / np.nanstd(a))

    flops = model_flops(n_enc, width, depth)
    med = {k: statistics.median(v) for k, v in results.items()}
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else f"{platform.processor() or platform.machine()}, {torch.get_num_threads()} threads"
    print(f"\n### {device.type}: {name}; torch {torch.__version__}; batch {batch}, width {width}, depth {depth}\n")
    print(f"GEMM ({batch}x{width} @ {width}x{width}): float32 {gemm32:,.0f} GFLOP/s, bfloat16 {gemm16:,.0f} GFLOP/s\n")
    print("| training step | points/s | vs reference | model GFLOP/s | % of float32 GEMM |")
    print("|---|---:|---:|---:|---:|")
    for key, label in (("reference", "reference PyTorch SIREN (float32)"), ("float32", "geoinr siren, float32"), ("bfloat16", 'geoinr siren, precision="bfloat16"')):
        rate = med[key]
        print(f"| {label} | {rate:,.0f} | {rate / med['reference']:.2f}x | {rate * flops / 1e9:,.0f} | {100 * rate * flops / 1e9 / gemm32:.0f} % |")
    print(f"\nprediction onto {n_pred:,} grid points: float32 {pred['float32']:,.0f} points/s, "
          f"bfloat16 {pred['bfloat16']:,.0f} points/s (bfloat16 - float32 RMS difference: {100 * bf16_err:.2f} % of the field's std)")
    print("rounds (points/s): " + "; ".join(f"{k}: " + ", ".join(f"{v:,.0f}" for v in vals) for k, vals in results.items()))
    members_table(tracks, raw, y, device, batch, rounds, steps)
    return med, pred, gemm32


# (model, precision) of the members table: bfloat16 is implemented for the SIREN only
MEMBER_ROWS = (("siren", "float32"), ("siren", "bfloat16"), ("modulated_siren", "float32"))


def members_table(tracks, raw, y, device, batch, rounds, steps, members=3):
    """Steps of ``members`` networks trained together: batched products against ``torch.func.vmap``."""
    import copy

    trainers = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for model, prec in MEMBER_ROWS:
            m = tracks.inr.fit("sla", model=model, epochs=1, max_time=None, progress=False, precision=prec,
                               n_members=members, device=str(device))
            for way in ("batched", "vmap"):
                field = copy.deepcopy(m.field_)
                field.network.use_stacked = way == "batched"
                cfg = TrainConfig(batch_size=batch, epochs=1, max_time=None, validation=0.0, progress=False,
                                  precision=prec)
                trainers[model, prec, way] = Trainer(field, raw, y, None, cfg, device)
    rates = {key: [] for key in trainers}
    for _ in range(rounds):
        for key, tr in trainers.items():
            rates[key].append(members * batch / time_steps(lambda tr=tr: tr.train_step(raw, y), device, steps))
    med = {key: statistics.median(v) for key, v in rates.items()}
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else f"{platform.processor() or platform.machine()}, {torch.get_num_threads()} threads"
    print(f"\n{members} networks trained together (n_members={members}) on {device.type} ({name}), batch {batch}, "
          f"{steps} steps x {rounds} rounds, points/s per member:\n")
    print("| model | precision | batched products (default) | torch.func.vmap (before) | ratio |")
    print("|---|---|---:|---:|---:|")
    for model, prec in MEMBER_ROWS:
        a, b = med[model, prec, "batched"], med[model, prec, "vmap"]
        print(f"| {model} | {prec} | {a:,.0f} | {b:,.0f} | {a / b:.2f}x |")
    print("rounds (points/s per member): " + "; ".join(f"{m} {p} {w}: " + ", ".join(f"{v:,.0f}" for v in vals)
                                                         for (m, p, w), vals in rates.items()))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--batch", type=int, default=4096)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--predict-points", type=int, default=1_000_000)
    p.add_argument("--members-only", action="store_true", help="only the table of networks trained together")
    args = p.parse_args()
    devices = [torch.device("cpu")] + ([torch.device("cuda")] if torch.cuda.is_available() else [])
    for dev in devices:
        if args.members_only:
            tracks, raw, y = training_data(dev, args.batch)
            members_table(tracks, raw, y, dev, args.batch, args.rounds, args.steps)
        else:
            run(dev, args.batch, args.rounds, args.steps, args.predict_points)


if __name__ == "__main__":
    main()
