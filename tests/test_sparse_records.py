"""Records too sparse to map, brief fits without skill, the scales' origin, and plain-array fits' names
(a user review of 2026-12-06: a one-day, three-pass record mapped without a word; numpy fits named ``values``)."""
import warnings

import numpy as np
import pandas as pd
import pytest

import geoinr
from geoinr.display import rows, summary
from geoinr.scales import default_scales, unresolved_share


def _noise_tracks(seed=0):
    tracks = geoinr.datasets.synthetic_tracks(days=3, seed=seed)
    rng = np.random.default_rng(seed)
    return tracks.assign(sla=tracks.sla.copy(data=rng.standard_normal(tracks.sla.size)))


def _tracks_arrays(tracks):
    return {"lon": tracks.longitude.values, "lat": tracks.latitude.values, "time": tracks.time.values}


def test_unresolved_share_separates_a_smooth_field_from_one_finer_than_its_gaps():
    """The share is the semivariance across a typical gap over the variance: small for a field the sampling
    resolves, near 1 for one that changes completely between neighbouring tracks."""
    tracks = geoinr.datasets.synthetic_tracks(days=3, seed=0)
    lon, lat = tracks.longitude.values, tracks.latitude.values
    t = (tracks.time.values - tracks.time.values[0]) / np.timedelta64(1, "D")
    wl, _ = default_scales(lon, lat, t)
    smooth = unresolved_share(lon, lat, t, tracks.sla.values, wl)
    noise = unresolved_share(lon, lat, t, np.random.default_rng(0).standard_normal(lon.size), wl)
    assert smooth < 0.2 and 0.8 < noise < 1.2
    # two columns: the larger share; a constant column or too few pairs: no estimate
    both = unresolved_share(lon, lat, t, np.column_stack([tracks.sla.values, np.ones(lon.size)]), wl)
    assert both == pytest.approx(smooth)
    assert unresolved_share(lon, lat, t, np.ones(lon.size), wl) is None
    assert unresolved_share(lon[:5], lat[:5], t[:5], tracks.sla.values[:5], wl) is None


def test_a_record_too_sparse_to_map_warns_and_a_resolved_one_does_not():
    noise = _noise_tracks()
    with pytest.warns(UserWarning, match="too sparse to map most of its field") as caught:
        fitted = noise.inr.fit("sla", width=16, depth=1, epochs=1, max_time=None, progress=False, seed=0,
                               n_collocation=16)
    # physics="auto" (the default) adds the prior measured on such records, at its measured weight, and says so
    assert fitted.physics == "auto" and fitted.physics_ == "smooth" and fitted.physics_weight_ == 0.03
    assert fitted.physics_choice_ is None and fitted.members_ == 1  # one network at the fixed weight, as measured
    assert any("the fit adds a prior that keeps the gaps flat" in str(w.message) and "physics=None" in str(w.message)
               for w in caught)
    assert "(physics='auto': the record is too sparse to map)" in dict(rows(summary(fitted)))["physics"]
    with pytest.warns(UserWarning, match="too sparse to map most of its field") as caught:  # turned off: suggested
        off = noise.inr.fit("sla", width=16, depth=1, epochs=1, max_time=None, progress=False, seed=0, physics=None)
    assert off.physics_ is None and off.physics_weight_ is None
    assert any("physics='smooth', physics_weight=0.03" in str(w.message) for w in caught)
    with pytest.warns(UserWarning, match="too sparse to map most of its field") as caught:  # it is there already
        noise.inr.fit("sla", width=16, depth=1, epochs=1, max_time=None, progress=False, seed=0, physics="smooth",
                      physics_weight=0.03, n_collocation=16)
    assert not any("physics='smooth'" in str(w.message) for w in caught)
    tropical = noise.assign_coords(latitude=noise.latitude - float(noise.latitude.median()))  # centred on the equator
    with pytest.warns(UserWarning, match="too sparse to map most of its field") as caught:  # measured to cost there
        fitted = tropical.inr.fit("sla", width=16, depth=1, epochs=1, max_time=None, progress=False, seed=0)
    assert fitted.physics_ is None and not any("physics='smooth'" in str(w.message) for w in caught)
    tracks = geoinr.datasets.synthetic_tracks(days=3, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        fitted = tracks.inr.fit("sla", width=16, depth=1, epochs=1, max_time=None, progress=False, seed=0)
    assert fitted.physics_ is None and "physics" not in dict(rows(summary(fitted)))


def test_the_prior_physics_auto_adds_is_saved_and_reloaded(tmp_path):
    """The terms in force are learned state: a reloaded model says what it was fitted with, and files from before
    ``physics_`` read the parameter (then always the terms)."""
    noise = _noise_tracks()
    with pytest.warns(UserWarning, match="too sparse"):
        fitted = noise.inr.fit("sla", width=16, depth=1, epochs=1, max_time=None, progress=False, seed=0,
                               n_collocation=16)
    fitted.save(tmp_path / "m.safetensors")
    back = geoinr.load(tmp_path / "m.safetensors")
    assert back.physics == "auto" and back.physics_ == "smooth" and back.physics_weight_ == 0.03
    assert "too sparse to map" in dict(rows(summary(back)))["physics"]
    from geoinr.model import state

    tensors, config = state.to_state(fitted)
    del config["learned"]["physics_"]
    config["params"]["physics"] = None  # a file from before physics="auto"
    older = state.from_state(geoinr.INRModel, tensors, config)
    assert older.physics_ is None and "physics" not in dict(rows(summary(older)))
    config["learned"]["physics_"] = "curl"
    with pytest.raises(ValueError, match="learned.physics_"):
        state.from_state(geoinr.INRModel, tensors, config)


def test_a_brief_timed_fit_without_skill_says_so_and_how_long_it_ran(monkeypatch):
    """The no-skill warning waited for 500 steps, so a brief or busy fit under max_time said nothing."""
    from geoinr.model import fitting

    monkeypatch.setattr(fitting, "NO_SKILL_MIN_STEPS", 10**9)  # every fit is brief (a fast machine makes 500 in 0.5 s)
    noise = _noise_tracks()
    with pytest.warns(UserWarning, match=r"no skill between them\. It made only [0-9,]+ steps"):
        fitted = noise.inr.fit("sla", width=16, depth=1, max_time=0.5, progress=False, seed=0, min_wavelength=20.0,
                               patience=10**6, physics=None)  # its budget ends it, not a plateau
    assert fitted.best_val_loss_ > 1.0 and fitted.stop_reason_ == "budget"
    with warnings.catch_warnings():  # a brief epochs budget (tests, doctests) stays quiet
        warnings.filterwarnings("error", message=".*no skill", category=UserWarning)
        noise.inr.fit("sla", width=16, depth=1, epochs=3, max_time=None, progress=False, seed=0, min_wavelength=20.0,
                      physics=None)


def test_the_summary_says_where_the_scales_came_from():
    """A one-day record's min_period (155-289 days) was printed without a word of where it came from."""
    tracks = geoinr.datasets.synthetic_tracks(days=3, seed=0)
    ruled = tracks.inr.fit("sla", width=16, depth=1, epochs=1, max_time=None, progress=False, seed=0)
    text = dict(rows(summary(ruled)))["encodings"]
    assert "5.2 x the median gap to the nearest observation" in text and "min_wavelength / 10 km/day" in text
    period = tracks.inr.fit("sla", width=16, depth=1, epochs=1, max_time=None, progress=False, seed=0, min_period=5.0)
    text = dict(rows(summary(period)))["encodings"]
    assert "median gap" in text and "km/day" not in text
    given = tracks.inr.fit("sla", width=16, depth=1, epochs=1, max_time=None, progress=False, seed=0,
                           min_wavelength=100.0)
    assert "median gap" not in dict(rows(summary(given)))["encodings"]


def test_a_plain_array_fit_takes_the_name_and_units_of_a_data_array_or_series():
    """Numpy fits named their map ``values`` without units, with no way to give either but ``variables=``."""
    tracks = geoinr.datasets.synthetic_tracks(days=3, seed=0)
    coords = _tracks_arrays(tracks)
    opts = dict(width=16, depth=1, epochs=1, max_time=None, progress=False, seed=0)
    m = geoinr.INRModel(**opts).fit(coords, tracks.sla)
    out = m.predict(m.target_grid(1.0))
    assert out.name == "sla" and out.attrs["units"] == "m" and out.attrs["long_name"] == "sea level anomaly"
    assert geoinr.INRModel(**opts).fit(coords, pd.Series(tracks.sla.values, name="h")).variables_ == ["h"]
    renamed = geoinr.INRModel(**opts).fit(coords, tracks.sla, variables="eta")  # the given name wins, units kept
    assert renamed.variables_ == ["eta"] and renamed.variable_attrs_["eta"]["units"] == "m"
    assert geoinr.INRModel(**opts).fit(coords, tracks.sla.values).variables_ == ["values"]


def _one_satellite_day():
    """One SARAL day over a 20 x 16 deg tropical box on DUACS's 0.25-degree coordinates (the layout where the
    footprint test keeps only probes near the three passes)."""
    import xarray as xr

    lon, lat = np.arange(200.125, 220.0, 0.25), np.arange(-7.875, 8.0, 0.25)
    time = np.array(["2018-12-31", "2019-01-01", "2019-01-02"], dtype="datetime64[ns]")
    values = np.sin(np.radians(8 * lon))[None, None, :] * np.cos(np.radians(10 * lat))[None, :, None] * np.ones((3, 1, 1))
    field = xr.DataArray(values, coords={"time": time, "latitude": lat, "longitude": lon},
                         dims=("time", "latitude", "longitude"), name="sla", attrs={"units": "m"})
    obs = geoinr.osse.sample_along_track(field, missions=("saral",), seed=0)
    t = (obs.time.values - obs.time.values[0]) / np.timedelta64(1, "D")
    keep = t < 1.0
    return obs.longitude.values[keep], obs.latitude.values[keep], t[keep]


def test_the_gap_across_passes_of_a_sparse_record_is_the_gap_between_its_tracks():
    """The footprint kept only the probes near three passes 8 deg apart: a 19 km gap, as six altimeters give.
    Across passes the gap is the whole box's (196 km); the scales' rule keeps the near-track gap (it mapped real
    one-satellite records better), and a dense record's gap does not change."""
    from geoinr.scales import sampling_gap_km

    lon, lat, t = _one_satellite_day()
    near = sampling_gap_km(lon, lat, t)
    across = sampling_gap_km(lon, lat, t, across_passes=True)
    box = sampling_gap_km(lon, lat, t, footprint=False)
    assert near < 30.0 and across == pytest.approx(box) and across > 150.0
    dense = geoinr.datasets.synthetic_tracks(days=4, seed=0)
    td = (dense.time.values - dense.time.values[0]) / np.timedelta64(1, "D")
    args = dense.longitude.values, dense.latitude.values, td
    assert sampling_gap_km(*args, across_passes=True) == sampling_gap_km(*args)


def test_the_sparse_warning_is_for_scattered_records_and_names_its_variables():
    """A review: a fully observed grid of noise was told to add satellites (on a grid the data are the map), and
    with several variables the warning did not say which."""
    grid = geoinr.datasets.synthetic_grid(days=2, resolution=0.5, gap_fraction=0.0)
    grid = grid.assign(sla=grid.sla.copy(data=np.random.default_rng(0).standard_normal(grid.sla.shape)))
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*too sparse", category=UserWarning)
        grid.inr.fit("sla", width=16, depth=1, epochs=1, max_time=None, progress=False, seed=0)
    tracks = geoinr.datasets.synthetic_tracks(days=3, seed=0)
    both = tracks.assign(noise=tracks.sla.copy(data=np.random.default_rng(1).standard_normal(tracks.sla.size)))
    with pytest.warns(UserWarning, match=r"their variance: 'noise' by [0-9]+%\. ") as seen:
        both.inr.fit(["sla", "noise"], width=16, depth=1, epochs=1, max_time=None, progress=False, seed=0)
    assert not any("'sla' by" in str(w.message) for w in seen)


def test_a_plain_array_fit_keeps_only_the_attributes_the_xarray_path_keeps():
    """A review: every attribute was copied raw (a numpy int32 made save() fail; a scale_factor went on to the
    predictions and was applied again by a netCDF reader)."""
    tracks = geoinr.datasets.synthetic_tracks(days=3, seed=0)
    values = tracks.sla.assign_attrs(scale_factor=0.001, valid_min=np.int32(-100000), _FillValue=-9999.0)
    m = geoinr.INRModel(width=16, depth=1, epochs=1, max_time=None, progress=False).fit(_tracks_arrays(tracks), values)
    # (and, from 2026-12-07's ninth session, the valid range as plain floats in decoded units: its outputs are clipped)
    assert set(m.variable_attrs_["sla"]) == {"units", "long_name", "standard_name", "valid_min"}
    assert m.variable_attrs_["sla"]["valid_min"] == pytest.approx(-100.0) and type(m.variable_attrs_["sla"]["valid_min"]) is float
    assert all(isinstance(m.variable_attrs_["sla"][k], str) for k in ("units", "long_name", "standard_name"))


def test_an_explicit_lbfgs_fit_of_a_sparse_record_stays_data_only():
    """A review: L-BFGS takes no physics term, so the prior that physics="auto" adds refused an explicit
    optimizer="lbfgs" on a sparse record the user never gave physics= for; the user's optimizer wins."""
    noise = _noise_tracks()
    with pytest.warns(UserWarning, match="too sparse to map most of its field") as seen:
        fitted = noise.inr.fit("sla", width=16, depth=1, epochs=2, max_time=None, progress=False, seed=0,
                               optimizer="lbfgs")
    assert fitted.physics_ is None and fitted.optimizer_ == "lbfgs" and fitted.physics_weight_ is None
    sparse = next(str(w.message) for w in seen if "too sparse" in str(w.message))
    assert "with optimizer='adam' (L-BFGS takes no physics term)" in sparse  # the prior it suggests can run


def test_a_checkpoint_from_before_physics_auto_resumes_under_the_default():
    """Checkpoints written before ``physics="auto"`` stored ``physics=None``; a default run that adds no term is the
    same run (one that adds the prior is not)."""
    from geoinr.model.fitting import _comparable_run_id

    old = {"params": {"physics": None, "width": 16}}
    assert _comparable_run_id({"params": {"physics": "auto", "width": 16}, "terms": None}, old) == old
    added = _comparable_run_id({"params": {"physics": "auto", "width": 16}, "terms": "smooth"}, old)
    assert added != old
    new = {"params": {"physics": "auto", "width": 16}, "terms": None}
    assert _comparable_run_id(dict(new), new) == new  # checkpoints of this version compare the terms too
