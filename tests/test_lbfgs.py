"""optimizer=: Adam then full-batch L-BFGS for small noise-free grids; when "auto" takes it, and when it cannot run."""
import math

import numpy as np
import pytest
import torch

import geoinr
from geoinr import display
from geoinr.model import network_choice
from geoinr.training import TrainConfig, Trainer
from conftest import FAST, grid_truth

SMALL = dict(FAST, width=32, epochs=60)


@pytest.fixture
def small_grid():
    return grid_truth(np.arange(0, 4, 0.25), np.arange(40, 44, 0.25), [0.0])


def test_auto_takes_lbfgs_for_a_small_grid_and_adam_for_scattered_data(small_grid, scattered):
    on_grid = small_grid.inr.fit(**SMALL)
    assert on_grid.optimizer_ == "lbfgs" and on_grid.validation_ == 0.0
    hist = on_grid.history_
    lbfgs_rows = hist[hist.lr.isna()]
    assert len(lbfgs_rows) >= 1 and hist.lr.notna().any()  # Adam's warm-up rows, then L-BFGS rows (no lr)
    assert lbfgs_rows.epoch.iloc[-1] == pytest.approx(SMALL["epochs"], abs=1.0)  # one evaluation = one epoch
    assert "Adam then full-batch L-BFGS" in repr(on_grid) and display.summary(on_grid)["optimizer"] == "lbfgs"
    assert scattered.inr.fit("sla", **SMALL).optimizer_ == "adam"
    assert small_grid.inr.fit(**SMALL, optimizer="adam").optimizer_ == "adam"
    assert small_grid.inr.fit(**SMALL, physics="qg", n_collocation=64).optimizer_ == "adam"
    assert small_grid.inr.fit(**SMALL, validation=0.2).optimizer_ == "adam"


def test_lbfgs_fits_a_grid_closer_than_adam_at_equal_epochs(small_grid):
    """The reason for the default: at the same number of passes L-BFGS matches the grid far better."""
    adam = small_grid.inr.fit(**SMALL, optimizer="adam")
    lbfgs = small_grid.inr.fit(**SMALL)
    err = {name: float(np.sqrt(((m.predict(small_grid) - small_grid) ** 2).mean()))
           for name, m in (("adam", adam), ("lbfgs", lbfgs))}
    assert err["lbfgs"] < 0.3 * err["adam"], err


def test_lbfgs_is_repeatable_and_survives_save_and_load(small_grid, tmp_path):
    a = small_grid.inr.fit(**SMALL)
    b = small_grid.inr.fit(**SMALL)
    np.testing.assert_array_equal(a.predict(small_grid).values, b.predict(small_grid).values)
    a.save(tmp_path / "m.inr")
    loaded = geoinr.load(tmp_path / "m.inr")
    assert loaded.optimizer_ == "lbfgs" and loaded.get_params()["optimizer"] == "auto"
    np.testing.assert_allclose(loaded.predict(small_grid).values, a.predict(small_grid).values, rtol=1e-6, atol=1e-7)


def test_explicit_lbfgs_on_scattered_data_holds_nothing_out(scattered):
    m = scattered.inr.fit("sla", **SMALL, optimizer="lbfgs")
    assert m.optimizer_ == "lbfgs" and m.validation_ == 0.0


@pytest.mark.parametrize(
    "options, named",
    [
        ({"validation": 0.2}, "validation"),
        ({"physics": "qg", "n_collocation": 64}, "physics="),
        ({"uncertainty": "bayes_last_layer", "validation": 0.0}, "uncertainty="),
        ({"model_options": {"init": "tuner"}}, "TUNER"),
    ],
)
def test_explicit_lbfgs_that_cannot_run_says_why(small_grid, options, named):
    with pytest.raises(ValueError, match=f"optimizer='lbfgs' cannot run with {named}"):
        small_grid.inr.fit(**SMALL, optimizer="lbfgs", **options)


def test_unknown_optimizer_is_refused_before_reading_data(small_grid):
    with pytest.raises(ValueError, match="Unknown optimizer 'lbgfs'.*Did you mean 'lbfgs'"):
        small_grid.inr.fit(**SMALL, optimizer="lbgfs")


class _Breaks(torch.nn.Module):
    """A linear fit whose output turns NaN after a number of forward passes (a blow-up mid L-BFGS)."""

    def __init__(self, after):
        super().__init__()
        self.lin = torch.nn.Linear(2, 1)
        self.calls, self.after = 0, after

    def forward(self, x):
        self.calls += 1
        out = self.lin(x)
        return out * math.nan if self.calls > self.after else out


@pytest.mark.parametrize("init", [0, 20, 34])  # 20 and 34: the blow-up comes inside a line search (CI, 2026-12-05)
def test_a_non_finite_loss_in_lbfgs_keeps_the_best_weights(init):
    gen = torch.Generator().manual_seed(0)
    x = torch.rand(200, 2, generator=gen)
    y = (x @ torch.tensor([[2.0], [-1.0]])) + 0.5
    torch.manual_seed(init)  # the starting weights, which decide where the blow-up lands
    net = _Breaks(after=30)
    cfg = TrainConfig(epochs=100, max_time=None, validation=0.0, batch_size=256, lr=1e-2, progress=False,
                      lbfgs_share=0.9)
    with pytest.warns(RuntimeWarning, match="non-finite loss in the L-BFGS phase"):
        result = Trainer(net, x, y, None, cfg, torch.device("cpu")).run()
    assert result.stopped == "budget" and math.isfinite(result.best_val)
    net.after = 10**9
    assert torch.isfinite(net(x)).all()
    with torch.no_grad():
        assert float(((net(x) - y) ** 2).mean()) < 1e-3  # L-BFGS had solved the linear fit before the blow-up


def test_lbfgs_share_is_validated():
    with pytest.raises(ValueError, match="lbfgs_share must be a fraction"):
        TrainConfig(lbfgs_share=1.0).validate()


def test_a_small_grid_is_fitted_by_a_mean_of_networks_unless_told_otherwise(small_grid):
    auto = small_grid.inr.fit(**SMALL)
    assert auto.members_ == 4 and auto.field_.network.n_members == 4
    assert "mean of 4 networks" in repr(auto)
    with pytest.raises(ValueError, match="uncertainty"):
        auto.predict(small_grid, return_std=True)  # a mean of networks is not an uncertainty estimate
    assert small_grid.inr.fit(**SMALL, n_members=1).members_ == 1
    assert small_grid.inr.fit(**SMALL, optimizer="adam").members_ == 1
    three = small_grid.inr.fit(**SMALL, optimizer="adam", n_members=3)
    assert three.members_ == 3 and three.optimizer_ == "adam"
    with torch.no_grad():
        members = three.field_(torch.zeros(1, 3))  # the members differ; the prediction is their mean
    assert members.shape[0] == 3 and float(members.std(0).max()) > 0


def test_files_from_before_members_load_as_one_network(small_grid, tmp_path):
    """Old files store n_members=5 (then the default, used only by ensembles) and no members_."""
    from test_hostile_files import edited

    one = small_grid.inr.fit(**SMALL, optimizer="adam")
    one.save(tmp_path / "new.geoinr")
    old = edited(tmp_path / "new.geoinr", tmp_path / "old.geoinr", {"params.n_members": 5, "learned.members_": None})
    loaded = geoinr.load(old)
    assert loaded.members_ == 1
    np.testing.assert_allclose(loaded.predict(small_grid).values, one.predict(small_grid).values, rtol=1e-6, atol=1e-7)


def test_a_time_budget_too_short_for_l_bfgs_keeps_adam(small_grid):
    """A pass is timed before training: 0.05 s pays for far fewer than 500 full-batch evaluations."""
    m = small_grid.inr.fit(width=32, depth=2, max_time=0.05, progress=False, seed=0)
    assert m.optimizer_ == "adam" and m.members_ == 1
    assert small_grid.inr.fit(width=32, depth=2, max_time=0.05, progress=False, optimizer="lbfgs").optimizer_ == "lbfgs"


def test_four_networks_only_where_the_budget_pays_for_them(small_grid, monkeypatch):
    def affordable(model, table, device):  # one network: enough passes; four: too few
        return 10_000 if getattr(model.field_.network, "n_members", 1) == 1 else 100

    monkeypatch.setattr(network_choice, "_affordable_evaluations", affordable)
    m = small_grid.inr.fit(**{**SMALL, "max_time": 1000.0})
    assert m.optimizer_ == "lbfgs" and m.members_ == 1 and not hasattr(m.field_.network, "n_members")
    monkeypatch.setattr(network_choice, "_affordable_evaluations", lambda model, table, device: 10_000)
    assert small_grid.inr.fit(**{**SMALL, "max_time": 1000.0}).members_ == 4
    monkeypatch.setattr(network_choice, "_affordable_evaluations", lambda model, table, device: 10)
    assert small_grid.inr.fit(**{**SMALL, "max_time": 1000.0}).optimizer_ == "adam"


def test_the_timed_pass_estimates_a_full_batch_evaluation(small_grid):
    """The estimate scales with the budget, and four networks cost more than one."""

    one = small_grid.inr.fit(**{**SMALL, "n_members": 1, "epochs": 1})
    four = small_grid.inr.fit(**{**SMALL, "n_members": 4, "epochs": 1})
    table = geoinr.coords.points_from_xarray(small_grid.to_dataset(), ["sla"],
                                             geoinr.coords.find_coords(small_grid.to_dataset()))[0]
    cpu = torch.device("cpu")
    one.max_time = four.max_time = 10.0

    e1 = e4 = 0.0
    for _ in range(5):  # the most evaluations of five timings each, taken in turns: robust to a busy machine (CI
        e1 = max(e1, network_choice._affordable_evaluations(one, table, cpu))  # beside a review timed one's three
        e4 = max(e4, network_choice._affordable_evaluations(four, table, cpu))  # all slow: 10,818 against 9,935)
    assert 0 < e4 < e1 < math.inf


def test_a_streamfunction_fit_of_a_grid_stays_one_network():
    """(u, v) on a grid with mass_constraint="streamfunction": L-BFGS may run, but one network (derivatives of psi)."""
    grid = grid_truth(np.arange(0, 4, 0.5), np.arange(40, 44, 0.5), [0.0])
    ds = grid.assign_attrs(units="m s-1").to_dataset(name="u").assign(v=-grid.assign_attrs(units="m s-1"))
    m = ds.inr.fit(["u", "v"], **SMALL, mass_constraint="streamfunction")
    assert m.members_ == 1 and m.optimizer_ == "lbfgs"
    assert np.isfinite(m.predict(ds).u.values).all()


def test_weights_blown_up_behind_a_finite_loss_are_rolled_back():
    """The loss of a check is taken before its last step: weights that step made NaN are not kept as the best."""
    from geoinr.training import weights_finite

    x = torch.rand(64, 2, generator=torch.Generator().manual_seed(0))
    net = torch.nn.Linear(2, 1)
    cfg = TrainConfig(epochs=10, max_time=None, validation=0.0, batch_size=64, progress=False, lbfgs_share=0.0)
    trainer = Trainer(net, x, x[:, :1], None, cfg, torch.device("cpu"))
    trainer.best_val = 1.0
    with torch.no_grad():
        net.weight.fill_(float("nan"))
    with pytest.warns(RuntimeWarning, match="non-finite training loss or weights"):
        assert trainer._check(0.5, progress=0.5) == "go"  # a finite loss lower than the best
    assert weights_finite(net) and trainer.failures == 1 and trainer.best_val == 1.0


def test_lbfgs_keeps_the_weights_it_evaluated_not_those_a_step_ends_on(monkeypatch):
    """LBFGS.step returns the loss at its starting weights; a step that ends on NaN weights must not be kept.

    The failing step is simulated, so the test does not hang on where torch's line search happens to blow up.
    """
    from geoinr.training import weights_finite

    def step(self, closure):
        loss = closure()  # finite, at the weights the step starts from
        with torch.no_grad():
            for group in self.param_groups:
                for p in group["params"]:
                    p.fill_(math.nan)  # where a line search may leave them
        return loss

    monkeypatch.setattr(torch.optim.LBFGS, "step", step)
    x = torch.rand(64, 2, generator=torch.Generator().manual_seed(0))
    net = torch.nn.Linear(2, 1)
    cfg = TrainConfig(epochs=20, max_time=None, validation=0.0, batch_size=64, progress=False, lbfgs_share=0.5)
    with pytest.warns(RuntimeWarning, match="non-finite loss in the L-BFGS phase after 2 evaluations"):
        Trainer(net, x, x[:, :1], None, cfg, torch.device("cpu")).run()
    assert weights_finite(net)


def test_ranks_without_a_seed_share_one_random_split(monkeypatch):
    """seed=None under torchrun: every rank must hold out the same points, so the ranks agree on one drawn seed."""
    from geoinr import training

    monkeypatch.setattr(training, "distributed_world", lambda: (1, 2))
    agreed = []
    monkeypatch.setattr(training, "_all_reduce", lambda values, op="sum": agreed.append(op) or [12345.0])
    assert training._generator(None).initial_seed() == 12345 and agreed == ["max"]
    assert training._generator(7).initial_seed() == 7 and agreed == ["max"]  # a given seed is used as it is


def _linear_problem():
    x = torch.rand(200, 2, generator=torch.Generator().manual_seed(0))
    return x, x @ torch.tensor([[2.0], [-1.0]]) + 0.5


def _full_mse(net, x, y):
    with torch.no_grad():
        return float(((net(x) - y) ** 2).mean())


def test_lbfgs_judges_its_weights_by_the_full_batch_loss_not_adams_running_mean(monkeypatch):
    """Adam's best score is a mean of mini-batch losses along its steps; were it lower than any full-batch loss
    (simulated: every check's mean reads 0), the L-BFGS phase's gains must still be kept."""
    monkeypatch.setattr(Trainer, "_pooled", lambda self, running, n: 0.0)
    x, y = _linear_problem()
    net = torch.nn.Linear(2, 1)
    cfg = TrainConfig(epochs=40, max_time=None, validation=0.0, batch_size=50, lr=1e-3, progress=False,
                      lbfgs_share=0.5)
    result = Trainer(net, x, y, None, cfg, torch.device("cpu")).run()
    assert _full_mse(net, x, y) < 1e-6  # L-BFGS solves the linear fit; slow Adam alone does not
    assert result.best_val == pytest.approx(_full_mse(net, x, y), abs=1e-7)


def test_a_fit_interrupted_in_lbfgs_resumes_with_the_evaluations_it_had_left(monkeypatch, tmp_path):
    """Ctrl-C in the L-BFGS phase, then resume under an epochs budget: the phase goes on from its best weights
    with the evaluations left, instead of running the whole phase again."""
    from geoinr import training

    x, y = _linear_problem()
    cfg = TrainConfig(epochs=60, max_time=None, validation=0.0, batch_size=50, lr=1e-2, progress=False,
                      lbfgs_share=0.5, seed=0)
    evaluations = {"n": 0, "stop_at": None}
    orig = training._squared_error_sum

    def counted(pred, target, w):
        evaluations["n"] += 1
        if evaluations["n"] == evaluations["stop_at"]:
            raise KeyboardInterrupt
        return orig(pred, target, w)

    monkeypatch.setattr(training, "_squared_error_sum", counted)

    def run(stop_at=None, resume=None):
        evaluations.update(n=0, stop_at=stop_at)
        torch.manual_seed(1)
        net = _Breaks(after=10**9)  # a linear layer that counts its calls
        trainer = Trainer(net, x, y, None, cfg, torch.device("cpu"))
        if resume is not None:
            trainer.load_checkpoint(resume)
        if stop_at is None:
            return trainer, trainer.run(), evaluations["n"]
        with pytest.warns(UserWarning, match="interrupted"):
            return trainer, trainer.run(checkpoint=tmp_path / "fit.ckpt"), evaluations["n"] - 1

    whole, whole_result, n_whole = run()
    assert n_whole == whole.lbfgs_evals == 30  # half of 60 epochs, one full-batch evaluation each
    first, _, n_first = run(stop_at=10)
    assert first.lbfgs_evals == n_first == 9  # the interrupted evaluation is not counted: it runs again
    second, result, n_second = run(resume=tmp_path / "fit.ckpt")
    assert n_first + n_second == n_whole and second.lbfgs_evals == 30
    # stopped during the phase's first evaluation: nothing of its own scored yet, so it starts anew (best at inf),
    # not from Adam's running-mean score, which no full-batch loss may beat
    first, _, n_first = run(stop_at=1)
    assert first.lbfgs_evals == 0 and n_first == 0
    second, result, n_second = run(resume=tmp_path / "fit.ckpt")
    assert n_second == n_whole and result.best_val < 1e-6
    assert result.stopped == "budget" and result.best_val < 1e-6 and whole_result.best_val < 1e-6


def test_a_checkpoint_refuses_a_bad_lbfgs_count(tmp_path):
    x, y = _linear_problem()
    cfg = TrainConfig(epochs=4, max_time=None, validation=0.0, batch_size=50, progress=False, seed=0)
    trainer = Trainer(torch.nn.Linear(2, 1), x, y, None, cfg, torch.device("cpu"))
    trainer.lbfgs_evals = -3
    trainer.save_checkpoint(tmp_path / "fit.ckpt")
    with pytest.raises(ValueError, match="lbfgs_evals"):
        Trainer(torch.nn.Linear(2, 1), x, y, None, cfg, torch.device("cpu")).load_checkpoint(tmp_path / "fit.ckpt")


def test_the_budget_a_scale_search_leaves_is_what_l_bfgs_is_weighed_against(small_grid, monkeypatch):
    """A timed pass that affords 600 evaluations of the whole max_time affords 400 of the two thirds a scale
    search leaves: below 500, so Adam (the choice weighed the whole budget before)."""
    from geoinr.model import fitting

    max_time = 0.5
    monkeypatch.setattr(network_choice, "_pass_seconds", lambda *a, **k: (network_choice.LBFGS_SHARE * max_time / 600, 1.0))
    kw = dict(width=16, depth=1, max_time=max_time, progress=False, seed=0)
    assert small_grid.inr.fit(**kw).optimizer_ == "lbfgs"

    def searched(model, obs, resume):  # as if a search had spent its third (its record is not looked at)
        model.scale_search_ = None
        return 2.0 / 3.0

    monkeypatch.setattr(fitting, "choose_scales", searched)
    assert small_grid.inr.fit(**kw).optimizer_ == "adam"


def test_the_progress_bar_runs_forward_into_the_lbfgs_phase(monkeypatch):
    """A user's review: the bar dropped from 76 % to 10 % when L-BFGS started (Adam's checks showed Adam's own
    schedule, the L-BFGS phase the whole budget's)."""
    import tqdm.auto
    import tqdm.std

    seen = []

    class Bar:
        def __init__(self, *args, **kwargs):
            self.n, self.phase = 0, "adam"

        def set_postfix(self, *args, **kwargs):
            self.phase = kwargs.get("optimizer", "adam")

        def refresh(self, *args, **kwargs):
            seen.append((self.phase, float(self.n)))

        def __getattr__(self, name):  # close, ...
            return lambda *args, **kwargs: None

    monkeypatch.setattr(tqdm.auto, "tqdm", Bar)
    monkeypatch.setattr(tqdm.std, "tqdm", Bar)  # (the bar without ipywidgets)
    x, y = _linear_problem()
    cfg = TrainConfig(epochs=100, max_time=None, validation=0.0, batch_size=50, lr=1e-3, progress=True,
                      lbfgs_share=0.5, eval_every=2, min_eval_steps=1)
    Trainer(torch.nn.Linear(2, 1), x, y, None, cfg, torch.device("cpu")).run()
    adam = [n for phase, n in seen if phase == "adam"]
    assert len(adam) > 3 and any(phase == "L-BFGS" for phase, _ in seen)
    assert max(adam) <= 50.0 + 1e-6  # Adam's checks show the share of the whole budget run: half of it here
    assert all(b >= a - 1e-9 for (_, a), (_, b) in zip(seen, seen[1:])), seen  # never backwards
