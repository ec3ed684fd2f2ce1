"""Data-parallel fitting on several GPUs (or CPU processes) with torchrun.

Launch one process per GPU; each fits on its own shard of the training points
(in-memory data) or of the dask blocks (``xr.open_mfdataset``/``open_zarr`` data),
gradients are averaged by PyTorch DistributedDataParallel, and every rank ends
with the same weights. Rank 0 writes the model.

    torchrun --nproc_per_node 4 examples/distributed_fit.py --out dist_output
    torchrun --nproc_per_node 2 examples/distributed_fit.py --out /tmp/dist --quick   # CPU, gloo

geoinr joins the process group itself when it sees torchrun's environment
(NCCL on GPUs, gloo on CPUs); a script that initializes it first is fine too.
"""
import argparse
import json
import os

import torch.distributed as dist

import geoinr


def main(out="dist_output", quick=False, max_time=120.0):
    os.makedirs(out, exist_ok=True)
    # %% every rank opens the same data; with a dask-backed Dataset each rank reads only its blocks
    tracks = geoinr.datasets.synthetic_tracks(days=4 if quick else 10, noise=0.01, seed=0)
    kw = dict(max_time=max_time, seed=0, progress=False)
    if quick:
        kw.update(width=32, depth=2, epochs=30, max_time=None, batch_size=256, lr=1e-3)
    fitted = tracks.inr.fit("sla", **kw)

    # %% all ranks hold identical weights; rank 0 saves, every rank reports a checksum
    rank = dist.get_rank() if dist.is_initialized() else 0
    checksum = float(sum(p.detach().double().sum() for p in fitted.field_.parameters()))
    with open(os.path.join(out, f"rank{rank}.json"), "w") as f:
        json.dump({"checksum": checksum, "steps": int(fitted.history_.step.iloc[-1]),
                   "val_loss": fitted.best_val_loss_}, f)
    if rank == 0:
        fitted.save(os.path.join(out, "sla.geoinr"))
        print(fitted)
    if dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()
    return fitted


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default="dist_output")
    p.add_argument("--quick", action="store_true")
    p.add_argument("--max-time", type=float, default=120.0)
    a = p.parse_args()
    main(a.out, a.quick, a.max_time)
