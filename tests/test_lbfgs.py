"""optimizer=: Adam then full-batch L-BFGS for small noise-free grids; when "auto" takes it, and when it cannot run."""
import math

import numpy as np
import pytest
import torch

import geoinr
from geoinr import display
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


def test_a_non_finite_loss_in_lbfgs_keeps_the_best_weights():
    gen = torch.Generator().manual_seed(0)
    x = torch.rand(200, 2, generator=gen)
    y = (x @ torch.tensor([[2.0], [-1.0]])) + 0.5
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
