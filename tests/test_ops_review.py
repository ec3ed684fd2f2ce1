"""A review of geoinr in an operational daily loop: an outage's handful of observations is warned of, outputs say
what a fit chose by itself, the README's advice for fixed choices holds (same window, same map)."""
import warnings

import numpy as np
import pytest

import geoinr

SMALL = dict(width=8, depth=1, epochs=2, max_time=None, progress=False)


def test_an_outage_s_handful_of_observations_is_warned_of():
    """Two to 200 observations were too few for the sparse record's check to judge: mapped in silence."""
    tracks = geoinr.datasets.synthetic_tracks(days=3, seed=0)
    few = tracks.isel(time=slice(0, tracks.sizes["time"], 160))
    with pytest.warns(geoinr.GeoinrWarning, match=rf"holds only {few.sizes['time']} observations, too few to tell"):
        model = geoinr.INRModel(**SMALL).fit(few, "sla")
    assert "smooth" in model.physics_  # the sparse record's prior, as for a record judged too sparse
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*too few to tell.*")
        geoinr.INRModel(**SMALL).fit(tracks, "sla")  # a whole window: no such warning


def test_outputs_say_what_the_fit_chose():
    tracks = geoinr.datasets.synthetic_tracks(days=2, seed=0)
    model = geoinr.INRModel(width=8, depth=1, max_time=0.5, progress=False).fit(tracks, "sla")
    source = model.predict(model.target_grid(2.0)).attrs["source"]
    assert f"ran with precision={model.precision_!r}, optimizer={model.optimizer_!r}, members={model.members_!r}" in source


def test_fixed_choices_give_the_same_map_of_the_same_window():
    """The README's recipe for daily production: precision, an epochs budget and a seed fixed."""
    tracks = geoinr.datasets.synthetic_tracks(days=3, seed=0)
    kw = dict(SMALL, precision="float32", seed=0)
    a, b = (geoinr.INRModel(**kw).fit(tracks, "sla") for _ in range(2))
    grid = a.target_grid(2.0)
    np.testing.assert_array_equal(a.predict(grid).values, b.predict(grid).values)
