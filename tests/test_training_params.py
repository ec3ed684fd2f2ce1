"""Parameters a fit alone reads (its budget, optimiser, seed, ...) set after a fit: predict goes on with what was
fitted, outputs and files keep the fit's values, the next fit takes the new ones. Others are still refused."""
import numpy as np
import pytest

import geoinr
from geoinr.base import TRAINING_PARAMS
from geoinr.display import summary, to_text


@pytest.fixture(scope="module")
def fitted_and_grid():
    tracks = geoinr.datasets.synthetic_tracks(days=3, seed=0)
    model = geoinr.INRModel(width=8, depth=1, epochs=2, max_time=None, progress=False).fit(tracks, "sla")
    return model, model.grid(resolution=2.0), tracks


def test_training_params_change_after_fit(fitted_and_grid, tmp_path):
    model, grid, _ = fitted_and_grid
    before = model.predict(grid)
    model.set_params(max_time=600.0, epochs=50, seed=3, lr=1e-3, patience=5, validation=0.0, batch_size=64)
    try:
        after = model.predict(grid)  # refused before: "parameters changed since the fit"
        np.testing.assert_array_equal(before.values, after.values)
        assert "seed=0, epochs=2, max_time=None" in after.attrs["source"]  # the fit's, which repeats it
        assert summary(model)["changed_since_fit"]["max_time"] == [None, 600.0]
        assert "take effect at the next fit" in to_text(model)
        model.save(tmp_path / "m.safetensors")
        loaded = geoinr.load(tmp_path / "m.safetensors")
        assert (loaded.max_time, loaded.epochs, loaded.seed, loaded.lr) == (None, 2, 0, None)  # what was fitted
        np.testing.assert_array_equal(loaded.predict(grid).values, before.values)
    finally:
        model.set_params(max_time=None, epochs=2, seed=0, lr=None, patience=20, validation="auto", batch_size=None)


def test_next_fit_takes_them(fitted_and_grid):
    model, _, tracks = fitted_and_grid
    from sklearn.base import clone

    refit = clone(model).fit(tracks, "sla")
    refit.set_params(epochs=4)
    refit.fit(tracks, "sla")
    assert refit.history_["epoch"].max() == 4
    assert "epochs=4" in refit.predict(refit.grid(resolution=2.0)).attrs["source"]


def test_shape_params_still_refused(fitted_and_grid):
    model, grid, _ = fitted_and_grid
    model.set_params(width=16, max_time=5.0)
    try:
        with pytest.raises(ValueError, match=r"parameters changed since the fit \(width: 8 -> 16\)"):
            model.predict(grid)
        assert "predict refuses them" in to_text(model)
    finally:
        model.set_params(width=8, max_time=None)


def test_training_params_are_constructor_params():
    assert set(TRAINING_PARAMS) <= set(geoinr.INRModel().get_params())
