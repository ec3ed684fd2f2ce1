"""The last part of a fit on every point (``TrainConfig.refit_share``): the held-out points join training.

Held out to the end, whole satellite passes are data the map never sees: on a three-month record that
cost 0.015-0.04 mu (benchmarks/RESULTS.md). So they serve early stopping, then join for the last part.
"""
import math

import numpy as np
import pytest
import torch
from torch import nn

import geoinr
from geoinr.training import Trainer, TrainConfig


def _data(n=600, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 2, generator=g) * 4.0
    y = (torch.sin(2.0 * x[:, :1]) * torch.cos(1.5 * x[:, 1:]) + 0.05 * torch.randn(n, 1, generator=g)).float()
    return x, y


def _net(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(2, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 1))


def _cfg(**kw):
    base = dict(batch_size=64, lr=3e-3, epochs=40, max_time=None, validation=0.2, patience=10**6, seed=0,
                progress=False, min_eval_steps=1)
    return TrainConfig(**{**base, **kw})


def _run(cfg, seed=0, checkpoint=None, resume=None):
    x, y = _data()
    net = _net(seed)
    trainer = Trainer(net, x, y, None, cfg, torch.device("cpu"))
    if resume is not None:
        trainer.load_checkpoint(resume)
    result = trainer.run(checkpoint=checkpoint, checkpoint_every=0.0)
    return net, trainer, result


def test_held_out_points_join_for_the_last_share():
    """With refit_share=0.25 and no plateau, the held-out loss is measured for the first three quarters only."""
    net, trainer, result = _run(_cfg(refit_share=0.25))
    per_epoch, joined_per_epoch = math.ceil(480 / 64), math.ceil(600 / 64)
    total = 40 * per_epoch
    assert result.joined_step is not None and 0.75 * total <= result.joined_step <= 0.75 * total + per_epoch
    assert result.joined_step % per_epoch == 0  # at an epoch boundary
    # the budget is 40 epochs: those after the join are longer by the joined points
    assert result.stopped == "budget"
    assert result.steps == result.joined_step + (40 - result.joined_step // per_epoch) * joined_per_epoch
    assert trainer.n_train == 600 and not trainer.has_val  # every point trained on after the join
    h = result.history
    measured = [r["step"] for r in h if math.isfinite(r["val_loss"])]
    assert measured and max(measured) <= result.joined_step
    assert all(not math.isfinite(r["val_loss"]) for r in h if r["step"] > result.joined_step)
    assert result.best_val == pytest.approx(min(r["val_loss"] for r in h if math.isfinite(r["val_loss"])))
    # the weights kept are the last ones, not those of the best held-out check
    assert torch.equal(trainer.best_state["0.weight"], net.state_dict()["0.weight"])


def test_no_refit_keeps_the_points_held_out_and_the_best_weights():
    net, trainer, result = _run(_cfg(refit_share=0.0, lr=3e-2))
    assert result.joined_step is None and trainer.n_train == 480
    assert all(math.isfinite(r["val_loss"]) for r in result.history)
    best = min(result.history, key=lambda r: r["val_loss"])
    assert result.best_val == pytest.approx(best["val_loss"])


def test_a_plateau_starts_the_last_part_early_and_anneals_the_learning_rate():
    """Patience spent before the last quarter: the held-out points join and the rate decays over a third
    of the run so far (refit_share / (1 - refit_share)), then training stops."""
    cfg = _cfg(refit_share=0.25, patience=5, lr=3e-2, epochs=400)
    total = 400 * math.ceil(480 / 64)
    _, trainer, result = _run(cfg)
    assert result.stopped == "early_stopping"
    assert result.joined_step is not None and result.steps < 0.75 * total
    p0, length, f0 = trainer.refit
    assert length == pytest.approx(p0 / 3) and result.joined_step >= p0 * total
    lrs = [r["lr"] for r in result.history if r["step"] > p0 * total]
    assert len(lrs) >= 3 and lrs[0] <= f0 * cfg.lr and lrs == sorted(lrs, reverse=True) and lrs[-1] < 0.1 * cfg.lr
    without = _run(_cfg(refit_share=0.0, patience=5, lr=3e-2, epochs=400))[2]
    assert without.stopped == "early_stopping" and without.steps < result.steps


def test_a_checkpoint_written_after_the_join_resumes_to_the_same_weights(tmp_path):
    ckpt = tmp_path / "run.ckpt"
    cfg = _cfg(refit_share=0.25, epochs=20)
    straight, straight_trainer, result = _run(cfg)
    # a run cut short just after the join, checkpointed at every check, then resumed with the full budget
    short = _cfg(refit_share=0.25, epochs=20)
    x, y = _data()
    net = _net()
    trainer = Trainer(net, x, y, None, short, torch.device("cpu"))
    stop_at = result.joined_step + math.ceil(600 / 64) + 3  # past a check after the join (it moves best_state)

    original = trainer.train_step

    def step_then_maybe_stop(*args):
        if trainer.step >= stop_at:
            raise KeyboardInterrupt
        return original(*args)

    trainer.train_step = step_then_maybe_stop
    with pytest.warns(UserWarning, match="interrupted"):
        trainer.run(checkpoint=ckpt, checkpoint_every=0.0)
    assert trainer.joined_step == result.joined_step
    resumed, trainer2, result2 = _run(cfg, resume=ckpt)
    assert trainer2.joined_step == result.joined_step and trainer2.n_train == 600
    assert result2.steps == result.steps
    for (k, a), (_, b) in zip(resumed.state_dict().items(), straight.state_dict().items()):
        assert torch.equal(a, b), k
    # the weights that scored best on the held-out points before they joined (a calibration scores with them)
    # come back from the checkpoint, not the latest ones
    for k, v in straight_trainer.held_out_best.items():
        assert torch.equal(trainer2.held_out_best[k], v), k


def test_refit_share_is_checked():
    with pytest.raises(ValueError, match="refit_share"):
        _cfg(refit_share=1.0).validate()


@pytest.fixture(scope="module")
def tracks():
    return geoinr.datasets.synthetic_tracks(days=6, seed=0)


FAST = dict(width=32, depth=2, epochs=24, max_time=None, batch_size=256, progress=False, seed=0, patience=10**6)


def test_a_default_fit_trains_on_every_pass_at_the_end(tracks):
    fitted = tracks.inr.fit("sla", **FAST)
    h = fitted.history
    assert fitted.validation_ == pytest.approx(0.1)
    assert np.isfinite(h.val_loss.iloc[0]) and not np.isfinite(h.val_loss.iloc[-1])
    assert fitted.best_val_loss_ == pytest.approx(h.val_loss.min())


def test_a_calibrated_fit_trains_on_every_pass_at_the_end_too(tracks):
    """uncertainty= lets the held-out passes join as well (its map lost them before: 0.05-0.14 mu on the real
    Gulf Stream box); the calibration scores them with the weights from before they joined."""
    fitted = tracks.inr.fit("sla", uncertainty="bayes_last_layer", **FAST)
    h = fitted.history
    assert np.isfinite(h.val_loss.iloc[0]) and not np.isfinite(h.val_loss.iloc[-1])
    assert fitted.calibration_["on"] == "validation passes, before they joined the training"
