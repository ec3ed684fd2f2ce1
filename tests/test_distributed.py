"""Data-parallel training: 2 ranks launched by torchrun on CPU (gloo)."""
import json
import os
import socket
import subprocess
import sys
import warnings

import numpy as np
import torch

import geoinr

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# gloo's worker threads can abort a rank as its interpreter exits, after the work is done (seen in about one
# run of 15-30 on these machines; pytorch/pytorch PR 179291 describes it, docs/dev-notes.md records ours)
TEARDOWN_ABORT = "terminate called without an active exception"


def _launch(script, out_dir, *args):
    env = dict(os.environ, OMP_NUM_THREADS="1")
    cmd = [
        sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_addr", "127.0.0.1",
        "--master_port", str(_free_port()), script, *args,
    ]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)


def _launch_twice_on_teardown_abort(out_dir, written, script, *args):
    """Launch; where a rank aborted at teardown after both ranks wrote ``written`` files, launch once more."""
    out = _launch(script, out_dir, *args)
    if out.returncode != 0 and TEARDOWN_ABORT in out.stderr and all((out_dir / f).exists() for f in written):
        for f in out_dir.iterdir():  # any other failure fails
            f.unlink()
        out = _launch(script, out_dir, *args)
    assert out.returncode == 0, out.stderr[-3000:]


def test_two_ranks_end_with_identical_weights_and_single_process_quality(tmp_path):
    _launch_twice_on_teardown_abort(tmp_path, ["rank0.json", "rank1.json"],
                                    os.path.join(ROOT, "examples", "distributed_fit.py"), "--out", str(tmp_path), "--quick")
    ranks = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in (0, 1)]
    assert ranks[0]["checksum"] == ranks[1]["checksum"]  # bit-identical weights on both ranks
    assert ranks[0]["steps"] == ranks[1]["steps"] > 0
    dist_model = geoinr.load(tmp_path / "sla.geoinr")

    # the same quick fit in one process: similar quality on the known truth
    tracks = geoinr.datasets.synthetic_tracks(days=4, noise=0.01, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        single = tracks.inr.fit("sla", width=32, depth=2, epochs=30, max_time=None, batch_size=256, lr=1e-3, seed=0, progress=False)
    grid = single.target_grid(resolution=0.25)
    lon, lat = np.meshgrid(grid.longitude.values, grid.latitude.values)
    errs = []
    for m in (dist_model, single):
        maps = m.predict(grid)
        t = (maps.time.values - np.datetime64("2020-01-01", "ns")) / np.timedelta64(1, "D")
        ref = np.stack([geoinr.datasets.analytic_ssh(lon, lat, ti) for ti in t])
        errs.append(float(np.sqrt(np.mean((maps.values - ref) ** 2)) / np.std(ref)))
    # each rank saw half the points per epoch (half the steps of the single process): allow some loss
    assert errs[0] < 0.8 and errs[0] < errs[1] + 0.2, errs


def test_outside_torchrun_there_is_one_rank():
    from geoinr.training import distributed_world, setup_distributed

    assert distributed_world() == (0, 1)
    assert setup_distributed(torch.device("cpu")) == torch.device("cpu")


def test_ranks_agree_on_random_and_timed_choices(tmp_path):
    """seed=None and a precision timed differently on each rank: every rank trains what rank 0 chose."""
    _launch_twice_on_teardown_abort(tmp_path, ["choices0.json", "choices1.json"],
                                    os.path.join(ROOT, "tests", "distributed_choices.py"), str(tmp_path))
    ranks = [json.loads((tmp_path / f"choices{r}.json").read_text()) for r in (0, 1)]
    assert ranks[0]["precision"] == ranks[1]["precision"] == "float32"  # rank 0's, though rank 1 timed bfloat16 faster
    assert ranks[0]["seed"] == ranks[1]["seed"] is not None  # one seed drawn for both
    assert ranks[0]["encoding"] == ranks[1]["encoding"]  # the same sample, so the same scales
    assert ranks[0]["streamed"] == ranks[1]["streamed"]
    assert len(ranks[0]["held_out"]) == 1 and ranks[0]["held_out"] == ranks[1]["held_out"]  # the same blocks held out
    assert ranks[0]["checksum"] == ranks[1]["checksum"]
    assert ranks[0]["calibration"] == ranks[1]["calibration"] and ranks[0]["std"] == ranks[1]["std"]
    # the physics weight's choice: both networks trained, their maps scored on both ranks' held-out points pooled
    # (before, each rank scored its own share: other held-out losses, and each rank its own seconds, in the record)
    choice = ranks[0]["physics_choice"]
    assert len(choice["candidates"]) == 2 and choice == ranks[1]["physics_choice"]  # rank 0's record (agreed)
    (a,), (b,) = ranks[0]["physics_scored"], ranks[1]["physics_scored"]
    assert a["scores"] == b["scores"] and len(a["scores"]) >= 2  # each rank computed the same pooled scores
    assert a["share"] > 0 and b["share"] > 0 and a["share"] + b["share"] == choice["held_out_points"]
    assert ranks[0]["physics_checksum"] == ranks[1]["physics_checksum"]
    assert ranks[0]["scale_search"] == ranks[1]["scale_search"] and ranks[0]["search_encoding"] == ranks[1]["search_encoding"]
    assert ranks[0]["search_checksum"] == ranks[1]["search_checksum"]
