"""Issue 16, the fit side: hostile inputs give a right answer or one clear error, never a silent wrong result or a hang.

Undeclared fill values (packed extremes, -999, 1e200), huge values, calendars,
duplicated variables, degenerate parameters, streamed fits with nothing to train
on, degenerate grids, and the real files of ``../shared/data`` (skipped where absent).
"""
import pathlib
import sys
import threading
import warnings

import cftime
import numpy as np
import pytest
import xarray as xr

import geoinr
from conftest import FAST, smooth_field
from geoinr import sentinels
from geoinr.nn import NETWORKS
from geoinr.stream import BatchStream, EmptyStream

QUICK = {**FAST, "epochs": 1, "width": 16}
SHARED = pathlib.Path(__file__).resolve().parents[2] / "shared" / "data"
DUACS = sorted((SHARED / "duacs_global_l4_2019").glob("*.nc"))
SARAL = sorted((SHARED / "l3_saral_20170402").glob("*.nc*"))
INT32_MIN_DECODED = -2147483648 * 1e-4  # the DUACS land value once decoded (m)


def _points(n=600, seed=0, values=None):
    rng = np.random.default_rng(seed)
    lon, lat = rng.uniform(0, 10, n), rng.uniform(30, 40, n)
    v = smooth_field(lon, lat) if values is None else values
    return xr.Dataset({"sla": ("n", v, {"units": "m"})}, coords={"lat": ("n", lat), "lon": ("n", lon)})


def _packed_grid():
    """A grid whose 'land' holds the int32 minimum, decoded, with the packing in the encoding and no _FillValue."""
    lon, lat = np.arange(0, 10, 0.25), np.arange(30, 40, 0.25)
    v = smooth_field(*np.meshgrid(lon, lat))
    v[:, :12] = INT32_MIN_DECODED
    ds = xr.Dataset({"adt": (("lat", "lon"), v, {"units": "m"})}, coords={"lat": lat, "lon": lon})
    ds["adt"].encoding.update(dtype=np.dtype("int32"), scale_factor=1e-4)
    return ds, int((v == INT32_MIN_DECODED).sum())


# ---------------------------------------------------------------- undeclared fill values
def test_packed_extreme_without_fill_value_is_masked_with_a_warning():
    ds, n_land = _packed_grid()
    with pytest.warns(UserWarning, match=rf"'adt': {n_land:,} of .* -214748.3648 \(the decoded minimum of its int32"):
        fitted = ds.inr.fit("adt", **QUICK)
    assert fitted.n_points_ == ds.adt.size - n_land
    assert abs(fitted.mean_[0]) < 1.0 and fitted.std_[0] < 1.0  # not -214748 m "sea levels"


def test_packed_extreme_is_masked_in_a_streamed_fit_too():
    ds, n_land = _packed_grid()
    lazy = ds.chunk({"lat": 10})
    lazy["adt"].encoding.update(dtype=np.dtype("int32"), scale_factor=1e-4)
    with pytest.warns(UserWarning, match=rf"'adt': {n_land:,} of"):
        fitted = lazy.inr.fit("adt", **QUICK)
    assert fitted.streamed_ is not None
    assert fitted.n_points_ == ds.adt.size - n_land and abs(fitted.mean_[0]) < 1.0


@pytest.mark.parametrize("fill", [-999.0, 9.969209968386869e36, 32767.0, 1e200])
def test_usual_fills_and_gross_outliers_are_masked(fill):
    v = smooth_field(*np.random.default_rng(0).uniform(0, 10, (2, 600)))
    v[::50] = fill
    with pytest.warns(UserWarning, match="look like undeclared fill values") as rec:
        fitted = _points(values=v).inr.fit("sla", **QUICK)
    assert "12 of 600" in str(rec[0].message)
    assert fitted.n_points_ == 588 and abs(fitted.mean_[0]) < 1.0


def test_real_values_near_fill_constants_are_kept():
    """999 hPa is a pressure, not a fill; heavy tails (chlorophyll blooms) are data."""
    rng = np.random.default_rng(1)
    assert not sentinels.screen(rng.normal(1013, 10, 2000).round(), "p").mask(np.array([999.0])).any()
    chl = rng.lognormal(-1.5, 1.0, 5000)
    assert not sentinels.screen(chl, "chl").mask(chl).any()


def test_undeclared_fills_in_dict_input_too():
    ds = _points()
    v = ds.sla.values.copy()
    v[:5] = -9999.0
    with pytest.warns(UserWarning, match="5 of 600"):
        fitted = geoinr.INRModel(**QUICK).fit({"lon": ds.lon.values, "lat": ds.lat.values}, values=v)
    assert fitted.n_points_ == 595


# ---------------------------------------------------------------- huge values
def test_values_near_1e200_normalise_save_and_predict(tmp_path):
    v = 1e200 * (1.0 + 0.1 * smooth_field(*np.random.default_rng(0).uniform(0, 10, (2, 600))))
    ds = _points(values=v)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no overflow
        fitted = ds.inr.fit("sla", **QUICK)
    assert np.isfinite(fitted.std_[0]) and fitted.std_[0] > 0
    path = tmp_path / "huge.geoinr"
    fitted.save(path)
    pred = geoinr.load(path).predict(ds)
    assert np.isfinite(pred.values).all() and np.nanmax(np.abs(pred.values)) > 1e199


# ---------------------------------------------------------------- calendars
def _timed(calendar=None):
    rng = np.random.default_rng(2)
    n = 800
    lon, lat = rng.uniform(0, 10, n), rng.uniform(30, 40, n)
    day = rng.integers(0, 60, n)  # January and February 2021
    if calendar is None:
        t = np.datetime64("2021-01-01", "ns") + day.astype("timedelta64[D]")
    else:
        t = np.array([cftime.datetime(2021, 1, 1, calendar=calendar) + np.timedelta64(int(d), "D").item() for d in day])
    return xr.Dataset({"sla": ("n", smooth_field(lon, lat, day / 10.0))},
                      coords={"lat": ("n", lat), "lon": ("n", lon), "time": ("n", t)})


def test_target_in_another_calendar_is_matched_by_date():
    """A noleap target is evaluated at the same dates as a standard one, not day-shifted after February."""
    fitted = _timed().inr.fit("sla", **QUICK)
    dates = ["2021-01-10", "2021-02-27", "2021-03-01"]
    standard = {"lat": 35.0, "lon": 5.0, "time": np.array(dates, "M8[ns]")}
    noleap = {"lat": 35.0, "lon": 5.0, "time": np.array([cftime.DatetimeNoLeap(*map(int, d.split("-"))) for d in dates])}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # extrapolation past the fitted window
        a = fitted.predict(standard)
        b = fitted.predict(noleap)
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-6)


def test_date_missing_from_the_fitted_calendar_is_refused_naming_both():
    fitted = _timed("noleap").inr.fit("sla", **QUICK)
    target = {"lat": 35.0, "lon": 5.0, "time": np.array(["2020-02-29"], "M8[ns]")}
    with pytest.raises(ValueError, match=r"2020-02-29.*standard calendar.*noleap calendar"):
        fitted.predict(target)


# ---------------------------------------------------------------- parameters and variables
def test_a_variable_named_twice_is_refused():
    with pytest.raises(ValueError, match=r"named more than once"):
        _points().inr.fit(["sla", "sla"], **QUICK)


@pytest.mark.parametrize("model", sorted(NETWORKS))
def test_every_model_refuses_zero_width_before_reading_data(model, monkeypatch):
    def never(*args, **kwargs):
        raise AssertionError("the data were read before the parameters were checked")

    monkeypatch.setattr("geoinr.model.fitting.read_observations", never)
    with pytest.raises(ValueError, match="width must be a whole number >= 1"):
        _points().inr.fit("sla", model=model, width=0)


@pytest.mark.parametrize("bad, match", [
    ({"lr": -1e-3}, "lr must be"), ({"depth": 2.5}, "depth must be"), ({"batch_size": 0}, "batch_size must be"),
    ({"max_time": float("nan")}, "max_time must be"), ({"width": 10**9}, "probably a typo"),
    ({"n_members": 10**8}, "n_members must be"), ({"time_encoding": "fouier"}, "Did you mean 'fourier'"),
])
def test_bad_numbers_fail_at_once_with_the_parameter_named(bad, match):
    with pytest.raises(ValueError, match=match):
        _points().inr.fit("sla", **{**QUICK, **bad})


def test_misspelled_keyword_says_did_you_mean():
    with pytest.raises(TypeError, match="Did you mean 'max_time'"):
        geoinr.INRModel(max_tim=5)
    with pytest.raises(TypeError, match="Did you mean 'max_time'"):
        _points().inr.fit("sla", max_tim=5)
    with pytest.raises(ValueError, match="Did you mean 'epochs'"):
        geoinr.INRModel().set_params(epoch=3)


def test_variable_names_in_the_values_slot_are_understood():
    fitted = geoinr.INRModel(**QUICK).fit(_points(), "sla")
    assert fitted.variables_ == ["sla"]


def test_degenerate_grid_requests_are_refused():
    fitted = _points().inr.fit("sla", **QUICK)
    for res in (0, -1, float("nan"), (0.5, 0)):
        with pytest.raises(ValueError, match="resolution must be positive"):
            fitted.target_grid(resolution=res)


# ---------------------------------------------------------------- streamed fits with nothing to train on
def test_stream_of_empty_blocks_raises_instead_of_spinning():
    def load(ids):
        return np.zeros((0, 2), np.float32), np.zeros((0, 1), np.float32), None

    stream = BatchStream(load, range(3), batch_size=4)
    result = {}

    def consume():
        try:
            next(iter(stream))
        except EmptyStream as err:
            result["error"] = err

    worker = threading.Thread(target=consume, daemon=True)
    worker.start()
    worker.join(timeout=30)
    stream.close()
    assert not worker.is_alive(), "the stream spun forever on empty blocks"
    assert "hold no valid observation" in str(result["error"])


def test_streamed_fit_with_data_only_in_the_validation_block_says_so():
    rng = np.random.default_rng(0)
    n = 4000
    v = np.full(n, np.nan)
    v[:400] = rng.normal(size=400)
    ds = xr.Dataset({"v": ("obs", v)}, coords={"lat": ("obs", rng.uniform(30, 40, n)), "lon": ("obs", rng.uniform(0, 10, n))})
    # seed 0 holds out the first of the two blocks: the training block is all NaN
    with pytest.raises(ValueError, match="training block.* hold no valid observation"):
        ds.chunk({"obs": 2000}).inr.fit("v", **{**QUICK, "epochs": None, "max_time": 60}, validation=0.5)


# ---------------------------------------------------------------- the real files
@pytest.mark.skipif(not DUACS, reason="../shared/data (real DUACS maps) is not here")
def test_real_duacs_file_fits_sea_levels_not_the_land_value():
    ds = xr.open_dataset(DUACS[0]).sel(latitude=slice(30, 40), longitude=slice(280, 300))
    with pytest.warns(UserWarning, match="decoded minimum of its int32 packing"):
        fitted = ds.inr.fit("adt", **QUICK)
    assert -2.0 < fitted.mean_[0] < 2.0 and fitted.std_[0] < 2.0


@pytest.mark.skipif(not SARAL, reason="../shared/data (real L3 along-track file) is not here")
def test_real_l3_file_is_read_as_it_is():
    ds = xr.open_dataset(SARAL[0])
    fitted = ds.inr.fit("sla_unfiltered", **QUICK)
    assert fitted.n_points_ == int(np.isfinite(ds.sla_unfiltered).sum())
    assert "all longitudes" in repr(fitted)
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
    from data_recipes import cmems_l3

    prepared = cmems_l3.prepare(SARAL[0].parent, variable="sla_unfiltered")
    assert prepared.sizes["time"] == ds.sizes["time"] and "sla" in prepared


# ---------------------------------------------------------------- rotated and projected grids (issue 17, gap 2)
def _rotated(with_true=True):
    rlat, rlon = np.linspace(-5, 5, 12), np.linspace(-5, 5, 14)
    # true coordinates of a pole rotated to 40N, 170W: a simple stand-in, far from the rotated degrees
    lat2 = 40.0 + rlat[:, None] + 0.1 * rlon[None, :]
    lon2 = 10.0 + rlon[None, :] / np.cos(np.deg2rad(lat2))
    coords = {"rlat": ("rlat", rlat, {"standard_name": "grid_latitude", "units": "degrees", "axis": "Y"}),
              "rlon": ("rlon", rlon, {"standard_name": "grid_longitude", "units": "degrees", "axis": "X"})}
    if with_true:
        coords.update(lat=(("rlat", "rlon"), lat2, {"standard_name": "latitude", "units": "degrees_north"}),
                      lon=(("rlat", "rlon"), lon2, {"standard_name": "longitude", "units": "degrees_east"}))
    return xr.Dataset({"sla": (("rlat", "rlon"), smooth_field(lon2, lat2), {"units": "m"})}, coords=coords)


def test_rotated_grid_is_fitted_on_its_true_latitude_and_longitude():
    fitted = _rotated().inr.fit("sla", **QUICK)
    assert fitted.coord_names_["lat"] == "lat" and fitted.coord_names_["lon"] == "lon"
    assert fitted.region_[2] > 30.0  # true latitudes (34-46N), not rotated degrees around 0


def test_rotated_or_projected_only_coordinates_are_refused_with_the_reason():
    with pytest.raises(ValueError, match=r"rotated-pole or projected coordinates only.*'rlat' \(grid_latitude\)"):
        _rotated(with_true=False).inr.fit("sla", **QUICK)
    with pytest.raises(ValueError, match=r"lat='rlat' is a rotated-pole or projected coordinate"):
        _rotated().inr.fit("sla", lat="rlat", lon="rlon", **QUICK)
    x = xr.Dataset({"sla": (("y", "x"), np.zeros((3, 4)))},
                   coords={"x": ("x", np.arange(4.0) * 1e4, {"standard_name": "projection_x_coordinate", "units": "m"}),
                           "y": ("y", np.arange(3.0) * 1e4, {"standard_name": "projection_y_coordinate", "units": "m"})})
    with pytest.raises(ValueError, match="projected coordinates only"):
        x.inr.fit("sla", **QUICK)
