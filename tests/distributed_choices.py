"""Launched by tests/test_distributed.py under torchrun (2 ranks, gloo): a fit's random and timed choices agree.

Each rank writes what its fits chose to ``<out>/choices<rank>.json``. Fits with ``seed=None``:

- in memory under a time budget, with the precision's timed passes forced to disagree (rank 1 "measures"
  bfloat16 twice as fast, rank 0 no faster): every rank must train in rank 0's choice;
- dask-backed (streamed), where the sample the scales come from and the held-out blocks are drawn with the
  seed: every rank must read the same sample (the same encoding) and hold out the same blocks;
- in memory with ``uncertainty="bayes_last_layer"``: the posterior and the calibration after training are fitted
  on every point on every rank (each rank trains on its share), so every rank predicts the same std;
- ``physics="qg"`` with the weight chosen on held-out points: the candidate maps are scored on every rank's share
  pooled, so every rank makes the same choice from the same scores and keeps the same record;
- ``min_wavelength="search"``: every rank holds out the same passes and keeps the same scales.
"""
import json
import os
import sys

import numpy as np


def _checksum(model):
    return float(sum(p.detach().double().sum() for p in model.field_.parameters()))


def main(out):
    import torch.distributed as dist

    import geoinr
    from geoinr.model import fitting, network_choice, physics_weight

    fitting.STREAM_MIN_BYTES = 0  # stream the small dask data, as the test suite does
    rank = int(os.environ["RANK"])
    fake = {"float32": 2.0, "bfloat16": 1.0} if rank == 1 else {"float32": 1.0, "bfloat16": 1.0}
    network_choice._precision_seconds = lambda model, table, device, timings=None: fake
    held_out = []  # the streamed fit's held-out points, as each rank drew them
    prepare = fitting.prepare_streamed

    def recorded(*args, **kwargs):
        prep = prepare(*args, **kwargs)
        held_out.append(prep.x.double().sum(dim=0).tolist())
        return prep

    fitting.prepare_streamed = recorded
    tracks = geoinr.datasets.synthetic_tracks(days=4, noise=0.01, seed=0)
    small = dict(width=16, depth=1, batch_size=256, lr=1e-3, seed=None, progress=False)
    timed = tracks.inr.fit("sla", max_time=2.0, **small)
    streamed = tracks.chunk({"time": 100}).inr.fit("sla", epochs=2, max_time=None, **small)
    held = getattr(streamed, "_seed_in_force", None)  # the seed the fit drew with (params.seed_in_force)
    # a posterior and a calibration after training: fitted on every point on every rank, not on the rank's share
    calibrated = tracks.inr.fit("sla", uncertainty="bayes_last_layer", epochs=2, max_time=None, **small)
    target = {"lon": [1.0, 3.0], "lat": [37.0, 38.0], "time": np.array(["2020-01-02", "2020-01-02"], dtype="datetime64[ns]")}
    _, std = calibrated.predict(target, return_std=True)
    scored = []  # each rank's scores of the candidate maps (before rank 0's record is agreed) and its own share
    score = physics_weight.held_out_scores

    def recorded_scores(runs, maps, inside=None):
        scored.append({"scores": score(runs, maps, inside), "share": int(runs[0]["trainer"].n_val)})
        return scored[-1]["scores"]

    physics_weight.held_out_scores = recorded_scores
    physics = tracks.inr.fit("sla", physics="qg", epochs=20, max_time=None, **small)
    search = tracks.inr.fit("sla", min_wavelength="search", max_time=4.0, **small)
    result = {
        "physics_choice": physics.physics_choice_,
        "physics_scored": scored,
        "physics_checksum": _checksum(physics),
        "scale_search": search.scale_search_,
        "search_encoding": search.encoding_config_,
        "search_checksum": _checksum(search),
        "precision": timed.precision_,
        "encoding": streamed.encoding_config_,
        "streamed": streamed.streamed_,
        "held_out": held_out,
        "calibration": {k: v for k, v in calibrated.calibration_.items() if k != "speed_km_per_day"},
        "std": [float(v) for v in std],
        "seed": held,
        "checksum": _checksum(streamed),
    }
    with open(os.path.join(out, f"choices{rank}.json"), "w") as f:
        json.dump(result, f)
    dist.barrier()
    dist.destroy_process_group()


if __name__ == "__main__":
    main(sys.argv[1])
