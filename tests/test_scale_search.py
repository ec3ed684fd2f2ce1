"""min_wavelength="search": scales chosen by the error on held-out passes (issue 19)."""
import numpy as np
import pytest
import xarray as xr

import geoinr
from geoinr.model import network_choice
from geoinr.model import scale_search
from geoinr.model.fitting import satellite_passes
from geoinr.scales import default_scales

TINY = dict(width=16, depth=1, max_time=None, progress=False, seed=0)


@pytest.fixture(scope="module")
def tracks():
    """Along-track samples (1 Hz, four altimeters, 12 days) of an analytic eddy field, with 1 cm noise."""
    return geoinr.datasets.synthetic_tracks(days=12, noise=0.01, seed=0)


@pytest.fixture(scope="module")
def searched(tracks):
    return geoinr.INRModel(min_wavelength="search", epochs=30, **TINY).fit(tracks, "sla")


def test_held_out_points_are_whole_passes(tracks):
    model = geoinr.INRModel(**TINY)
    table = _table(tracks)
    model.region_ = (0.0, 10.0, 30.0, 40.0)
    test, kind, groups = scale_search.held_out_mask(model, table, seed=0)
    passes = satellite_passes(table.coordinates())
    if passes is None:
        pytest.skip("the synthetic tracks were not recognised as passes")
    assert kind == "passes"
    assert np.array_equal(groups, passes[test])
    for label in np.unique(passes):
        inside = test[passes == label]
        assert inside.all() or not inside.any(), "a pass was split between training and held-out points"
    share = np.unique(passes[test]).size / np.unique(passes).size
    assert 0.1 <= share <= 0.3


def test_passes_of_repeat_orbits_are_kept_apart():
    """Over several cycles a pass's nearest neighbour is its own ground track a cycle earlier (< 1 km):
    passes are linked in time order, so each is one satellite over a few minutes."""
    table = _table(geoinr.datasets.synthetic_tracks(days=30, seed=0))
    labels = satellite_passes(table.coordinates())
    assert labels is not None
    size = np.bincount(labels)
    assert len(size) > 100
    spans = [np.ptp(table.time[labels == k]) for k in range(len(size)) if size[k] > 20]
    assert max(spans) < 0.05  # days


def test_search_record_and_the_chosen_scales_are_fitted(searched, tracks):
    record = searched.scale_search_
    table = _table(tracks)
    rule_wl, rule_per = default_scales(table.lon, table.lat, table.time)
    assert record["rule_min_wavelength"] == pytest.approx(rule_wl)
    factors = [c["min_wavelength"] / rule_wl for c in record["candidates"]]
    step = scale_search.WAVELENGTH_STEP
    assert factors[:2] == pytest.approx([1.0, step])  # the rule's, then one step shorter
    rmse = [c["rmse"] for c in record["candidates"]]
    # one more step, walking on from the better of the two (the other way from the rule when shorter was worse)
    assert factors[2] == pytest.approx(step * step if rmse[1] < rmse[0] else 1.0 / step)
    assert len(factors) == scale_search.WAVELENGTH_FITS  # 12 days: too short a record to search the period
    # the choice: of the wavelengths whose held-out error is within one standard error of the best's,
    # the closest to the rule's
    assert min(c["excess_in_se"] for c in record["candidates"]) == 0.0  # the best's (by mean error per group)
    ties = [c for c in record["candidates"] if c["excess_in_se"] is not None and c["excess_in_se"] <= 1.0]
    chosen = min(ties, key=lambda c: abs(np.log(c["min_wavelength"] / rule_wl)))
    assert record["min_wavelength"] == chosen["min_wavelength"] and record["min_period"] == chosen["min_period"]
    assert all(np.isfinite(c["rmse"]) and c["rmse"] > 0 for c in record["candidates"])
    assert searched.encoding_config_["min_wavelength"] == pytest.approx(record["min_wavelength"])
    assert searched.encoding_config_["min_period"] == pytest.approx(record["min_period"])
    # the final fit gets what the search spent of the budget: each candidate had int(30 / 3 / 3) epochs
    assert record["budget_share"] == pytest.approx(3 * len(record["candidates"]) / 30)
    assert searched.history_["epoch"].max() == round(30 * (1 - record["budget_share"]))
    assert "chosen from" in repr(searched) and record["held_out"] in repr(searched)


@pytest.mark.parametrize("seed", [0, 1])
def test_the_search_rejects_a_scale_that_cannot_represent_the_eddies(monkeypatch, tracks, seed):
    """Against a wavelength 20 times the rule's (2700 km: no eddy fits), held-out passes pick the rule's."""
    monkeypatch.setattr(scale_search, "WAVELENGTH_STEP", 20.0)
    monkeypatch.setattr(scale_search, "WAVELENGTH_FITS", 2)
    model = geoinr.INRModel(min_wavelength="search", batch_size=512, lr=1e-3, epochs=60,
                            **{**TINY, "width": 32, "depth": 2, "seed": seed}).fit(tracks, "sla")
    rule, long = model.scale_search_["candidates"]
    assert model.scale_search_["held_out"] == "passes"
    assert rule["rmse"] < 0.9 < long["rmse"]  # the eddies explained on unseen passes, or not at all
    assert model.encoding_config_["min_wavelength"] == pytest.approx(model.scale_search_["rule_min_wavelength"])


def test_long_records_search_the_period_too(monkeypatch, tracks):
    monkeypatch.setattr(scale_search, "MIN_PERIODS_IN_RECORD", 0.1)  # the 12-day record counts as long
    model = geoinr.INRModel(min_wavelength="search", epochs=12, **TINY).fit(tracks, "sla")
    cands = model.scale_search_["candidates"]
    n_periods = len(scale_search.PERIOD_FACTORS)
    assert len(cands) - n_periods in (2, scale_search.WAVELENGTH_FITS)  # 2: the walk stopped, bracketed
    stage1 = cands[-n_periods]["min_wavelength"]
    assert stage1 in [c["min_wavelength"] for c in cands[:-n_periods]]
    assert [c["min_wavelength"] for c in cands[-n_periods:]] == [stage1] * n_periods
    stage1 = next(c for c in cands[:-n_periods] if c["min_wavelength"] == stage1)
    assert [c["min_period"] for c in cands[-n_periods:]] == pytest.approx(
        [f * stage1["min_period"] for f in scale_search.PERIOD_FACTORS])


def test_one_standard_error_rule_keeps_the_candidates_as_good_as_the_best():
    groups = np.array([0.10, 0.20, 0.30, 0.40])
    short = {"min_wavelength": 50.0, "rmse": 0.49, "_groups": groups}
    long = {"min_wavelength": 100.0, "rmse": 0.50, "_groups": groups + np.array([0.03, -0.02, 0.02, -0.01])}
    worse = {"min_wavelength": 200.0, "rmse": 0.70, "_groups": groups + np.array([0.25, 0.15, 0.2, 0.2])}
    ties = scale_search._within_one_se([short, long, worse])
    assert ties == [short, long]  # 0.005 +- 0.012 is within one standard error; 0.2 +- 0.02 is not
    assert worse["excess_in_se"] == pytest.approx(0.2 / (np.std([0.05, -0.05, 0, 0], ddof=1) / 2)) and short["excess_in_se"] == 0.0
    # a later stage records its excess under its own key, keeping the first stage's
    scale_search._within_one_se([long, worse], key="period_excess_in_se")
    assert long["period_excess_in_se"] == 0.0 and long["excess_in_se"] > 0


def test_a_given_min_period_is_kept(tracks):
    model = geoinr.INRModel(min_wavelength="search", min_period=4.0, epochs=6, **TINY).fit(tracks, "sla")
    assert {c["min_period"] for c in model.scale_search_["candidates"]} == {4.0}
    assert model.encoding_config_["min_period"] == 4.0


def test_the_search_survives_save_and_load(searched, tmp_path):
    searched.save(tmp_path / "m.geoinr")
    back = geoinr.load(tmp_path / "m.geoinr")
    assert back.scale_search_ == searched.scale_search_ and back.min_wavelength == "search"
    grid = searched.target_grid(resolution=2.0)
    xr.testing.assert_allclose(back.predict(grid), searched.predict(grid))


def test_too_few_points_fall_back_to_the_rule():
    rng = np.random.default_rng(0)
    lon, lat = rng.uniform(0, 10, 50), rng.uniform(40, 50, 50)
    model = geoinr.INRModel(min_wavelength="search", epochs=3, **TINY).fit({"lon": lon, "lat": lat}, lon)
    assert model.scale_search_ is None
    assert model.encoding_config_["min_wavelength"] == pytest.approx(default_scales(lon, lat)[0])


def test_misspelled_search_and_unsupported_uses_are_refused(tracks, tmp_path):
    with pytest.raises(ValueError, match="min_wavelength must be a positive finite number, 'search' or None"):
        geoinr.INRModel(min_wavelength="serch", **TINY).fit(tracks, "sla")
    with pytest.raises(ValueError, match="needs the observations in memory"):
        geoinr.INRModel(min_wavelength="search", epochs=1, **TINY).fit(tracks.chunk({"time": 5000}), "sla")


def test_a_searched_fit_resumes_on_the_scales_it_chose(tracks, tmp_path):
    ckpt = tmp_path / "c.ckpt"
    params = dict(min_wavelength="search", epochs=12, batch_size=256, **TINY)  # several checks, so checkpoints
    whole = geoinr.INRModel(**params).fit(tracks, "sla", checkpoint=ckpt, checkpoint_every=0.0)
    resumed = geoinr.INRModel(**params).fit(tracks, "sla", resume=ckpt)
    assert resumed.scale_search_ == whole.scale_search_
    assert resumed.encoding_config_ == whole.encoding_config_
    grid = whole.target_grid(resolution=2.0)
    xr.testing.assert_allclose(resumed.predict(grid), whole.predict(grid))


def _table(ds):
    from geoinr.coords import find_coords, points_from_xarray

    table, _ = points_from_xarray(ds, ["sla"], find_coords(ds))
    return table


def test_the_candidates_build_the_network_of_the_whole_records_fit(monkeypatch, tracks):
    """A record just above the large-record size: its candidates (fitted on the record less its held-out passes)
    build the large record's network, as the fit after the search does (they built the small record's)."""

    n = int(np.isfinite(tracks.sla.values).sum())
    monkeypatch.setattr(network_choice, "WIDE_RECORD_POINTS", int(0.95 * n))  # the candidates see about 85 % of n
    seen = []
    real = network_choice.network_size
    monkeypatch.setattr(network_choice, "network_size",
                        lambda model, obs, streamed: seen.append((model.n_points_, real(model, obs, streamed)))
                        or seen[-1][1])
    geoinr.INRModel(min_wavelength="search", depth=1, epochs=2, max_time=None, progress=False, seed=0).fit(
        tracks, variables="sla")
    assert len(seen) > 2 and min(points for points, _ in seen) < 0.95 * n  # candidates, then the fit
    assert all(size["width"] == network_choice.WIDE_WIDTH for _, size in seen)


def test_the_candidates_of_a_grid_build_a_grids_network(monkeypatch):
    """A gridded record: its candidates (fitted from columns, so not a grid to them) build the grid's network, as
    the fit after the search does (counted at the whole record's size they built the scattered record's 512 units)."""

    grid = geoinr.datasets.synthetic_grid(resolution=0.5, days=6, gap_fraction=0.3, seed=0).sla
    n = int(np.isfinite(grid.values).sum())
    monkeypatch.setattr(network_choice, "WIDE_RECORD_POINTS", int(0.95 * n))
    seen = []
    real = network_choice.network_size
    monkeypatch.setattr(network_choice, "network_size",
                        lambda model, obs, streamed: seen.append(real(model, obs, streamed)) or seen[-1])
    geoinr.INRModel(min_wavelength="search", depth=1, epochs=2, max_time=None, progress=False, seed=0,
                    validation=0.1).fit(grid)
    assert len(seen) > 2 and all(size["width"] == 256 for size in seen)
