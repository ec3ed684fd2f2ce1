"""Bad input gets a clear error that names the problem and the fix (never a torch traceback)."""
import numpy as np
import pytest
import xarray as xr

import geoinr
from conftest import FAST

QUICK = {**FAST, "epochs": 1}


def test_no_lat_lon_lists_what_was_seen():
    """Unfindable coordinates: the message lists variables and names the argument to pass."""
    ds = xr.Dataset({"sla": (("a", "b"), np.arange(12.0).reshape(3, 4))}, coords={"a": [1, 2, 3], "b": [1, 2, 3, 4]})
    with pytest.raises(ValueError) as err:
        ds.inr.fit("sla", **QUICK)
    msg = str(err.value)
    assert "latitude and longitude" in msg and "'a'" in msg and "'b'" in msg and "lat='<name>'" in msg
    fitted = ds.inr.fit("sla", lat="a", lon="b", **QUICK)  # the suggested fix works
    assert fitted.coord_names_ == {"lat": "a", "lon": "b", "time": None}


def test_explicit_name_that_does_not_exist():
    ds = xr.Dataset({"sla": ("x", np.zeros(3))}, coords={"lat": ("x", [0.0, 1, 2]), "lon": ("x", [0.0, 1, 2])})
    with pytest.raises(ValueError, match="lat='latt' was passed but there is no variable 'latt'"):
        ds.inr.fit("sla", lat="latt", **QUICK)


def test_cf_attributes_win_over_names():
    """Coordinates are found by CF attributes even under odd names."""
    ds = xr.Dataset(
        {"sla": ("n", np.arange(30.0))},
        coords={
            "phi": ("n", np.linspace(10, 20, 30), {"units": "degrees_north"}),
            "lam": ("n", np.linspace(0, 5, 30), {"standard_name": "longitude"}),
        },
    )
    fitted = ds.inr.fit("sla", **QUICK)
    assert fitted.coord_names_["lat"] == "phi" and fitted.coord_names_["lon"] == "lam"


def test_unknown_variable():
    ds = xr.Dataset({"sla": ("x", np.zeros(3))}, coords={"lat": ("x", [0.0, 1, 2]), "lon": ("x", [0.0, 1, 2])})
    with pytest.raises(ValueError, match=r"Variable 'ssh' is not in this Dataset. Data variables: \['sla'\]"):
        ds.inr.fit("ssh", **QUICK)


def test_several_variables_need_a_choice():
    ds = xr.Dataset(
        {"a": ("x", np.zeros(3)), "b": ("x", np.ones(3))},
        coords={"lat": ("x", [0.0, 1, 2]), "lon": ("x", [0.0, 1, 2])},
    )
    with pytest.raises(ValueError, match="several data variables"):
        ds.inr.fit(**QUICK)


@pytest.mark.parametrize("kind", ["all_nan", "empty"])
def test_all_nan_or_empty(kind):
    n = 0 if kind == "empty" else 5
    ds = xr.Dataset(
        {"sla": ("x", np.full(n, np.nan))}, coords={"lat": ("x", np.zeros(n)), "lon": ("x", np.zeros(n))}
    )
    with pytest.raises(ValueError, match="empty|No finite values"):
        ds.inr.fit("sla", **QUICK)


def test_latitudes_outside_range_suggest_a_swap():
    ds = xr.Dataset(
        {"sla": ("x", np.zeros(3))}, coords={"lat": ("x", [0.0, 100, 200]), "lon": ("x", [10.0, 20, 30])}
    )
    with pytest.raises(ValueError, match=r"outside \[-90, 90\].*swapped"):
        ds.inr.fit("sla", **QUICK)


def test_non_numeric_values():
    ds = xr.Dataset({"sla": ("x", ["a", "b", "c"])}, coords={"lat": ("x", [0.0, 1, 2]), "lon": ("x", [0.0, 1, 2])})
    with pytest.raises(TypeError, match="only numeric"):
        ds.inr.fit("sla", **QUICK)


def test_target_without_time_when_model_has_time(scattered):
    fitted = scattered.inr.fit("sla", **QUICK)
    spatial = xr.Dataset(coords={"lat": np.arange(41.0, 44), "lon": np.arange(0.0, 3)})
    with pytest.raises(ValueError, match="(?s)fitted with a time coordinate.*expand_dims"):
        fitted.predict(spatial)
    with pytest.raises(ValueError, match="needs a 'time' key"):
        fitted.predict({"lon": [1.0], "lat": [45.0]})


def test_target_without_lat(scattered):
    fitted = scattered.inr.fit("sla", **QUICK)
    with pytest.raises(ValueError, match="Could not find latitude"):
        fitted.predict(xr.Dataset(coords={"lon": [0.0, 1.0], "time": [np.datetime64("2021-03-02")]}))


def test_unknown_model_name(scattered):
    with pytest.raises(ValueError, match="Unknown model .sirne.. Available models: .*siren"):
        scattered.inr.fit("sla", model="sirne", **{k: v for k, v in QUICK.items() if k != "model"})


def test_bad_budget_and_device(scattered):
    with pytest.raises(ValueError, match="training budget"):
        scattered.inr.fit("sla", **{**QUICK, "epochs": None, "max_time": None})
    with pytest.raises(ValueError, match="validation must be a fraction"):
        scattered.inr.fit("sla", **{**QUICK, "validation": 1.5})
    with pytest.raises(ValueError, match="device"):
        scattered.inr.fit("sla", **{**QUICK, "device": "tpu:7"})


def test_not_fitted_yet():
    with pytest.raises(RuntimeError, match="not fitted yet"):
        geoinr.INRModel().predict({"lon": [0.0], "lat": [0.0]})


def test_nan_coordinates_are_dropped_with_a_warning():
    ds = xr.Dataset(
        {"sla": ("x", np.arange(30.0))},
        coords={"lat": ("x", np.r_[np.nan, np.linspace(0, 1, 29)]), "lon": ("x", np.linspace(0, 1, 30))},
    )
    with pytest.warns(UserWarning, match="1 data points have missing"):
        fitted = ds.inr.fit("sla", **QUICK)
    assert fitted.n_points_ == 29


def test_wrong_input_type():
    with pytest.raises(TypeError, match="xarray Dataset/DataArray or a dict"):
        geoinr.INRModel(**QUICK).fit(np.zeros((3, 3)))
