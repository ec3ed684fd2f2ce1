"""What users get back, from a read-only review (2026-12-05, third session): CF names of derived currents, units,
time axes of short records, CF bounds, scores in other units, extra dimensions in fill_gaps, target longitudes."""
import warnings

import numpy as np
import pytest
import xarray as xr

import geoinr
from conftest import FAST, grid_truth

ONE_EPOCH = {**FAST, "width": 16, "depth": 1, "epochs": 1}


@pytest.fixture(scope="module")
def fitted():
    tracks = geoinr.datasets.synthetic_tracks(days=4, seed=0)  # sla, standard name of a sea level anomaly
    return tracks.inr.fit("sla", **ONE_EPOCH)


def test_currents_from_a_sea_level_anomaly_are_named_as_anomaly_currents(fitted):
    from geoinr.physics.derived import derived_attrs

    uv = fitted.derive("geostrophic_velocity", fitted.target_grid(1.0))
    assert uv.ugos.attrs["standard_name"] == (
        "surface_geostrophic_eastward_sea_water_velocity_assuming_mean_sea_level_for_geoid")
    assert uv.vgos.attrs["standard_name"].startswith("surface_geostrophic_northward_sea_water_velocity_assuming")
    assert derived_attrs("ugos", "adt", "sea_surface_height_above_geoid")["standard_name"] == (
        "surface_geostrophic_eastward_sea_water_velocity")
    assert "standard_name" not in derived_attrs("ugos", "h", None)  # an unknown height: no name rather than a wrong one
    assert uv.attrs["Conventions"] == "CF-1.8" and "derive('geostrophic_velocity')" in uv.attrs["history"]


def test_derive_appends_to_the_targets_history(fitted):
    target = fitted.target_grid(1.0)
    target.attrs["history"] = "2020-01-01T00:00:00Z: grid made by the user"
    zeta = fitted.derive("relative_vorticity", target).zeta
    lines = zeta.attrs["history"].splitlines()
    assert lines[0] == "2020-01-01T00:00:00Z: grid made by the user" and "derive('relative_vorticity')" in lines[1]


def test_height_units_spelled_out_convert_and_other_units_are_refused():
    from geoinr.physics.losses import metres_per_unit

    assert metres_per_unit("centimetres", "sla") == metres_per_unit("Centimeters", "sla") == 0.01
    assert metres_per_unit("millimetres", "sla") == 0.001
    with pytest.warns(UserWarning, match="no units"):
        assert metres_per_unit(None, "sla") == 1.0
    for units in ("m s-1", "K", "degC"):
        with pytest.raises(ValueError, match="not a length"):
            metres_per_unit(units, "u")


def test_derived_currents_of_a_height_in_centimetres_are_in_metres_per_second(fitted):
    grid = fitted.target_grid(1.0)
    metres = fitted.derive("geostrophic_velocity", grid).ugos.values
    fitted_cm = fitted.__class__(**fitted.get_params())
    fitted_cm.__dict__.update({k: v for k, v in fitted.__dict__.items() if k.endswith("_")})
    fitted_cm.variable_attrs_ = {"sla": {**fitted.variable_attrs_["sla"], "units": "centimetres"}}
    fitted_cm.mean_, fitted_cm.std_ = [m * 100 for m in fitted.mean_], [s * 100 for s in fitted.std_]
    np.testing.assert_allclose(fitted_cm.derive("geostrophic_velocity", grid).ugos.values, metres, rtol=1e-4,
                               atol=1e-7)


def test_rows_without_coordinates_do_not_count_as_equator_points(fitted):
    lat = np.array([35.0, np.nan, 36.0])
    target = xr.Dataset(coords={"latitude": ("n", lat), "longitude": ("n", [4.0, np.nan, 5.0]),
                                "time": ("n", np.full(3, np.datetime64("2020-01-02", "ns")))})
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*equator.*")
        uv = fitted.derive("geostrophic_velocity", target)
    assert np.isnan(uv.ugos.values[1]) and np.isfinite(uv.ugos.values[[0, 2]]).all()


def test_a_record_shorter_than_one_step_still_gets_one_map():
    """Tracks from 03:00 to 21:00 of one day hold no whole day: the grid takes the window's middle."""
    tracks = geoinr.datasets.synthetic_tracks(days=4, seed=0)
    t = tracks.time.values
    day = tracks.isel(time=(t >= np.datetime64("2020-01-02T03:00")) & (t <= np.datetime64("2020-01-02T21:00")))
    assert day.sizes["time"] > 100
    m = day.inr.fit("sla", **ONE_EPOCH)
    grid = m.target_grid(1.0)
    assert grid.sizes["time"] == 1
    mid = day.time.values.min() + (day.time.values.max() - day.time.values.min()) / 2
    assert abs(grid.time.values[0] - mid) < np.timedelta64(1, "s")
    assert np.isfinite(m.grid(1.0).sla.values).all()


def test_numeric_times_keep_their_units_on_the_grid():
    tracks = geoinr.datasets.synthetic_tracks(days=4, seed=0)
    days = (tracks.time.values - tracks.time.values.min()) / np.timedelta64(1, "D")
    numeric = tracks.assign_coords(time=("time", days, {"units": "days", "axis": "T"}))
    m = numeric.inr.fit("sla", **ONE_EPOCH)
    assert m.target_grid(1.0).time.attrs["units"] == "days"


def test_predicted_coordinates_name_no_missing_bounds_and_grid_keeps_them(fitted):
    target = fitted.target_grid(1.0)
    pred = fitted.predict(target)
    for name, c in pred.coords.items():
        assert "bounds" not in c.attrs or c.attrs["bounds"] in pred.coords, name
    grid = fitted.grid(1.0)
    assert grid.latitude.attrs["bounds"] == "latitude_bnds" and "latitude_bnds" in grid.coords


def test_a_reference_in_other_units_is_converted_or_refused(fitted):
    tracks = geoinr.datasets.synthetic_tracks(days=4, seed=0)
    in_m = fitted.scores(tracks)
    in_cm = tracks.assign(sla=(tracks.sla * 100).assign_attrs(tracks.sla.attrs, units="cm"))
    assert fitted.scores(in_cm)["rmse"] == pytest.approx(in_m["rmse"], rel=1e-9)
    in_kelvin = tracks.assign(sla=tracks.sla.assign_attrs(tracks.sla.attrs, units="K"))
    with pytest.raises(ValueError, match="convert the reference"):
        fitted.score(in_kelvin)


def test_fill_gaps_of_a_data_array_with_a_length_one_depth():
    full = grid_truth(np.arange(0, 3, 0.5), np.arange(40, 43, 0.5), np.arange(0, 2))
    gappy = full.where(np.random.default_rng(0).random(full.shape) > 0.3).expand_dims(depth=[0.5], axis=1)
    filled = gappy.inr.fill_gaps(**{**FAST, "epochs": 5})
    assert filled.dims == gappy.dims and not bool(np.isnan(filled).any())


def test_a_projected_x_passed_as_target_longitude_is_refused(fitted):
    ds = xr.Dataset(coords={"longitude": ("n", [5.0e5, 6.0e5]), "latitude": ("n", [35.0, 35.0]),
                            "time": ("n", np.full(2, np.datetime64("2020-01-02", "ns")))})
    with pytest.raises(ValueError, match="not degrees east"):
        fitted.predict(ds)


def test_derive_is_lazy_for_a_dask_target_or_when_asked_and_equals_the_eager_result(fitted):
    grid = fitted.target_grid(0.5)
    eager = fitted.derive("relative_vorticity", grid).zeta
    lazy = fitted.derive("relative_vorticity", grid, chunks={"time": 1}).zeta
    assert lazy.chunks is not None and len(lazy.chunks[0]) == grid.sizes["time"]
    np.testing.assert_allclose(lazy.values, eager.values, rtol=1e-6, atol=1e-12)
    field = xr.zeros_like(grid.latitude * grid.longitude * xr.ones_like(grid.time, dtype=float))
    target = grid.assign(h=field.transpose("time", "latitude", "longitude").chunk({"time": 1}))
    uv = fitted.derive("geostrophic_velocity", target)
    assert uv.ugos.chunks is not None  # the target's chunks
    np.testing.assert_allclose(uv.ugos.values, fitted.derive("geostrophic_velocity", grid).ugos.values, rtol=1e-6)


@pytest.mark.filterwarnings("ignore:.*outside the fitted region")
def test_lazy_derive_counts_the_equator_band_without_building_the_grid(fitted):
    grid = geoinr.coords.regular_grid((0, 4, -10, 10), 2.0, times=fitted.target_grid(1.0).time.values[:1])
    with pytest.warns(UserWarning, match="^8 points within 5.0 degrees"):  # latitudes -3, -1, 1, 3 x 2 longitudes
        uv = fitted.derive("geostrophic_velocity", grid, chunks="auto")
    assert uv.ugos.chunks is not None and int(np.isnan(uv.ugos.values).sum()) == 8


def test_a_dask_target_with_an_extra_dimension_gives_a_lazy_prediction(fitted):
    grid = fitted.target_grid(1.0)
    field = (grid.latitude * grid.longitude * xr.ones_like(grid.time, dtype=float)).expand_dims(depth=[0.5])
    target = grid.assign(h=field.chunk({"time": 1}))
    pred = fitted.predict(target)
    assert pred.chunks is not None
    eager = fitted.predict(grid)
    np.testing.assert_allclose(pred.transpose(*eager.dims).values, eager.values, rtol=1e-6)


def test_the_output_takes_the_chunks_of_the_variable_sharing_most_of_its_dims(fitted):
    """A file opened lazily may hold lat_bnds as a dask data variable: its chunks along lat alone would make one task
    of the whole grid."""
    grid = fitted.target_grid(1.0)
    field = (grid.latitude * grid.longitude * xr.ones_like(grid.time, dtype=float)).transpose("time", "latitude",
                                                                                             "longitude")
    target = xr.Dataset({"bnds_like": grid.latitude_bnds.chunk({"latitude": 2}),
                         "h": field.chunk({"time": 1, "latitude": -1, "longitude": -1})})
    pred = fitted.predict(target)
    assert pred.chunks is not None and len(pred.chunks[pred.dims.index("time")]) == grid.sizes["time"]


def test_two_spellings_of_a_non_length_unit_score_with_a_warning(fitted):
    tracks = geoinr.datasets.synthetic_tracks(days=4, seed=0)
    sss = tracks.assign(sla=tracks.sla.assign_attrs(tracks.sla.attrs, units="PSU"))
    m = sss.inr.fit("sla", **ONE_EPOCH)
    other = sss.assign(sla=sss.sla.assign_attrs(sss.sla.attrs, units="1e-3"))
    with pytest.warns(UserWarning, match="scored as they are"):
        assert m.score(other) == pytest.approx(m.score(sss))
    # two spellings of one temperature unit are the same (converted since 2026-12-07's sixth session)
    sst = tracks.assign(sla=tracks.sla.assign_attrs(tracks.sla.attrs, units="degree_Celsius"))
    m = sst.inr.fit("sla", **ONE_EPOCH)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert m.score(sst.assign(sla=sst.sla.assign_attrs(units="degC"))) == pytest.approx(m.score(sst))
