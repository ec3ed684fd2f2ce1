"""Fixes from a review of the error estimates as a user wants them beside a gap-filled map (2026-12-05, seventh
session). Each test failed on the code before."""
import numpy as np
import pytest

import geoinr

KW = dict(width=16, depth=1, epochs=3, max_time=None, progress=False, seed=0)


@pytest.fixture(scope="module")
def holed():
    grid = geoinr.datasets.synthetic_grid(days=2, resolution=0.5, seed=0)
    return grid.assign(sla=grid.sla.where(np.random.default_rng(0).random(grid.sla.shape) >= 0.4))


def test_fill_gaps_keeps_the_error_of_what_it_filled(holed):
    """fill_gaps(uncertainty="ensemble") trained and calibrated the ensemble, then returned no error at all."""
    out = holed.inr.fill_gaps("sla", uncertainty="ensemble", n_members=2, **KW)
    gaps = np.isnan(holed.sla)
    assert "sla_std" in out and out.sla.attrs["ancillary_variables"] == "sla_std"
    assert bool((out.sla_std > 0).where(gaps, True).all())  # every filled value has its error
    assert bool(out.sla_std.isnull().where(~gaps, True).all())  # observed values: none
    assert out.sla_std.attrs["units"] == holed.sla.attrs["units"]
    assert "NaN where the value is observed" in out.sla_std.attrs["comment"]


def test_fill_gaps_of_a_dataarray_refuses_an_error_it_would_lose(holed):
    with pytest.raises(ValueError, match=r"to_dataset\(name='sla'\)\.inr\.fill_gaps\(uncertainty=\.\.\.\)"):
        holed.sla.inr.fill_gaps(uncertainty="ensemble", **KW)


def test_n_members_with_the_bayesian_last_layer_says_it_is_ignored(holed):
    """n_members=5 was ignored (members_ 1) without a word."""
    with pytest.warns(UserWarning, match="n_members=5 is ignored: uncertainty='bayes_last_layer' fits one") as seen:
        fitted = holed.inr.fit("sla", uncertainty="bayes_last_layer", n_members=5, **KW)
    assert fitted.members_ == 1
    assert any(w.filename == __file__ for w in seen if "n_members=5" in str(w.message))


def test_derived_fields_say_where_their_error_is():
    tracks = geoinr.datasets.synthetic_tracks(days=4, seed=0)
    fitted = tracks.inr.fit("sla", uncertainty="bayes_last_layer", **KW)
    uv = fitted.derive("geostrophic_velocity", fitted.target_grid(1.0))
    assert "derive(..., return_std=True) adds ugos_std" in uv.ugos.attrs["comment"]
    assert "comment" not in fitted.derive("geostrophic_velocity", fitted.target_grid(1.0), return_std=True).ugos.attrs
    plain = tracks.inr.fit("sla", **KW).derive("geostrophic_velocity", fitted.target_grid(1.0))
    assert "comment" not in plain.ugos.attrs


def test_the_error_s_comment_is_true_without_held_out_points():
    """With validation=0 the comment said 'calibrated on held-out training points'."""
    tracks = geoinr.datasets.synthetic_tracks(days=4, seed=0)
    with pytest.warns(UserWarning):
        fitted = tracks.inr.fit("sla", uncertainty="bayes_last_layer", validation=0, **KW)
    _, std = fitted.predict(fitted.target_grid(1.0), return_std=True)
    assert "held-out" not in std.attrs["comment"] and "nothing held out" in std.attrs["comment"]
