"""A field of one instant (one day's map, an MDT stamped with a date) is a spatial field (2026-12-07, eighth session).

A static-fields review: a length-1 time dimension or a scalar time coordinate was fitted with a time input that
never varied (a network started otherwise, no better: on the regrid benchmark's real DUACS days, 60 s, the spatial
network scored mu 0.951 on average against 0.947), and the fit refused targets and references without time,
advising a date outside its one-instant window.
"""
import warnings

import numpy as np
import pytest
import xarray as xr

import geoinr


def _day(kind="scalar"):
    lon, lat = np.arange(0.0, 4.0, 0.25), np.arange(40.0, 44.0, 0.25)
    field = 0.1 * np.sin(np.radians(8 * lon))[None, :] * np.cos(np.radians(6 * lat))[:, None]
    base = xr.Dataset({"adt": (("lat", "lon"), field, {"units": "m"})}, coords={"lat": lat, "lon": lon})
    if kind == "none":
        return base
    if kind == "scalar":
        return base.assign_coords(time=np.datetime64("2019-01-03"))
    return base.expand_dims(time=[np.datetime64("2019-01-03")])


def _fit(ds):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ds.inr.fit("adt", width=16, depth=1, epochs=3, max_time=None, seed=0, progress=False)


@pytest.mark.parametrize("kind", ["scalar", "length-1 dimension"])
def test_one_instant_fits_the_spatial_network(kind):
    timed, spatial = _fit(_day(kind)), _fit(_day("none"))
    assert timed.encoding_config_["time"] is None and timed.time_axis_ is not None
    assert "one instant" in repr(timed) and "at 2019-01-03" in repr(timed)
    grid = _day("none")
    np.testing.assert_array_equal(timed.predict(grid).values.squeeze(), spatial.predict(grid).values)


def test_a_target_or_a_reference_without_time_is_taken_at_the_instant():
    m = _fit(_day("scalar"))
    plain = _day("none")
    at_instant = m.predict(_day("scalar"))
    without = m.predict(plain)
    assert without.dims == ("lat", "lon")
    assert without.time.values == np.datetime64("2019-01-03")  # the fitted date, a scalar coordinate (a review)
    np.testing.assert_array_equal(without.values, at_instant.values)
    assert np.isfinite(m.scores(plain)["rmse"])  # refused before: "fitted with a time coordinate"
    assert "ugos" in m.derive("geostrophic_velocity", plain)


def test_a_baseline_of_one_instant_takes_a_target_without_time():
    oi = geoinr.baselines.OptimalInterpolation().fit(_day("length-1 dimension"), "adt")
    assert np.isfinite(oi.scores(_day("none"))["rmse"])
    # a spatial map at every date, as INRModel's (it faded towards the mean away from its date: 0.5 -> 0.23 at 30 days)
    later = _day("length-1 dimension").assign_coords(time=[np.datetime64("2019-02-02")])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        np.testing.assert_array_equal(oi.predict(later).values, oi.predict(_day("length-1 dimension")).values)
    binned = geoinr.baselines.OptimalInterpolation(superobs=0.5).fit(_day("scalar"), "adt")
    assert binned.n_superobs_ > 0
    binned.set_params(lt=3.0)  # never read for one instant: not refused (a second diff review)
    assert np.isfinite(binned.predict(_day("none")).values).any()
    linear = geoinr.baselines.LinearInterpolator().fit(_day("length-1 dimension"), "adt")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        np.testing.assert_array_equal(linear.predict(later).values, linear.predict(_day("length-1 dimension")).values)
    assert np.isfinite(linear.predict(later).values).any()  # NaN away from its date before (its window)


@pytest.mark.parametrize("model", ["nif", "modulated_siren"])
def test_networks_conditioned_on_time_keep_it(model):
    """A diff review: NIF and a modulated SIREN of one instant were refused ("the data has no time coordinate")."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = _day("length-1 dimension").inr.fit("adt", model=model, depth=2, width=16, epochs=2, max_time=None,
                                               seed=0, progress=False)
    assert m.encoding_config_["time"] is not None
    assert np.isfinite(m.predict(_day("none")).values).all()


def test_time_settings_of_one_instant_are_said_to_change_nothing():
    with pytest.warns(geoinr.GeoinrWarning, match=r"one instant.*min_period=2\.0"):
        _day("scalar").inr.fit("adt", min_period=2.0, width=8, depth=1, epochs=1, max_time=None, progress=False)


def test_a_dict_target_without_time_is_taken_at_the_instant():
    m = _fit(_day("scalar"))
    got = m.predict({"lon": [1.0, 2.0], "lat": [41.0, 42.0]})
    np.testing.assert_array_equal(got, m.predict({"lon": [1.0, 2.0], "lat": [41.0, 42.0],
                                                  "time": [np.datetime64("2019-01-03")] * 2}))


def test_a_record_of_several_times_still_needs_them():
    ds = xr.concat([_day("length-1 dimension"), _day("length-1 dimension").assign_coords(
        time=[np.datetime64("2019-01-04")])], dim="time")
    m = _fit(ds)
    assert m.encoding_config_["time"] is not None
    with pytest.raises(ValueError, match="fitted with a time coordinate"):
        m.predict(_day("none"))
