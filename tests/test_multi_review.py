"""A review of fits of several variables at once, and of vector fields (2026-12-07, sixth session): each test failed
before its fix.

- a variable on a time axis of its own (``time2``) was fitted at every time of the fit's ``time``, in silence;
- a variable held out at too few points of its own got an uncalibrated std (4-22 % of its gaps' errors within it);
- ``physics="mass"`` and the streamfunction took swapped components, a height, or cm s-1 beside m s-1;
- an unnamed DataArray was scored as the first of several fitted variables;
- a reference in degC was scored against a map in K (RMSE 273), and mu of a field far from zero said nothing;
- ``physics="qg"`` with a velocity first told the user to label it in metres;
- ``regrid`` gave a static variable fitted beside a time-varying one a time dimension;
- ``fit(coords, {"sla": a, "sst": b})`` failed on "dtype object"; ``predict(variable=[...])`` said the list "was not
  fitted"; a misspelled variable got no suggestion.
"""
import numpy as np
import pandas as pd
import pytest
import xarray as xr

import geoinr

SMALL = dict(width=8, depth=1, epochs=3, max_time=None, progress=False, seed=0)


def _grid(days=3, res=1.0):
    lon, lat = np.arange(0.5, 10.0, res), np.arange(30.5, 40.0, res)
    t = pd.date_range("2020-01-01", periods=days)
    tt, yy, xx = np.meshgrid(np.arange(days), lat, lon, indexing="ij")
    zos = 0.1 * np.sin(xx / 2 + tt / 5) * np.cos(yy / 3)
    sst = 290.0 + 2.0 * np.cos(xx / 3) + 0.3 * tt
    return xr.Dataset(
        {"zos": (("time", "lat", "lon"), zos, {"units": "m", "standard_name": "sea_surface_height_above_geoid"}),
         "sst": (("time", "lat", "lon"), sst, {"units": "K", "standard_name": "sea_surface_temperature"}),
         "uo": (("time", "lat", "lon"), 0.1 * np.cos(yy / 3) + 0 * xx,
                {"units": "m s-1", "standard_name": "eastward_sea_water_velocity"}),
         "vo": (("time", "lat", "lon"), 0.1 * np.sin(xx / 2) + 0 * yy,
                {"units": "m s-1", "standard_name": "northward_sea_water_velocity"})},
        coords={"time": t, "lat": lat, "lon": lon})


@pytest.fixture(scope="module")
def ds():
    return _grid()


def test_a_variable_on_a_time_axis_of_its_own_is_refused(ds):
    other = ds.sst.rename(time="time2").assign_coords(time2=ds.time.values + np.timedelta64(12, "h"))
    mixed = ds[["zos"]].assign(sst6=other)
    with pytest.raises(ValueError, match="'sst6' has a time dimension of its own, 'time2'"):
        geoinr.INRModel(**SMALL).fit(mixed, ["zos", "sst6"])
    geoinr.INRModel(**SMALL).fit(mixed, ["zos", "sst6"], time=False)  # no time read: pooled, as before


def test_a_sparse_variable_beside_a_dense_one_gets_the_few_points_fallback(ds):
    rng = np.random.default_rng(2)
    obs = ds[["zos", "sst"]].copy()
    obs["sst"] = obs.sst.where(rng.random(obs.sst.shape) < 0.05)
    with pytest.warns(UserWarning, match="Variable 'sst': .* held-out points of its own"):
        model = geoinr.INRModel(**dict(SMALL, epochs=20), uncertainty="bayes_last_layer").fit(obs, ["zos", "sst"])
    assert model.calibration_["variance_scale"][1] >= 1.0
    assert model.calibration_["gap_length_from"][1] in ("variogram", "none")


@pytest.mark.parametrize("order, change, match", [
    (["vo", "uo"], None, r"'vo' is standard_name 'northward_sea_water_velocity': give them in that order, variables=\['uo', 'vo'\]"),
    (["zos", "uo"], None, "'zos' is in 'm', a length"),
    (["uo", "vo"], ("vo", "cm s-1", 100.0), "'uo' is in 'm s-1' and 'vo' in 'cm s-1'"),
])
def test_a_velocity_pair_that_mass_would_misread_is_refused(ds, order, change, match):
    data = ds
    if change is not None:
        name, units, factor = change
        data = ds.assign({name: (ds[name] * factor).assign_attrs(ds[name].attrs, units=units)})
    for params in (dict(physics="mass"), dict(mass_constraint="streamfunction")):
        with pytest.raises(ValueError, match=match):
            geoinr.INRModel(**SMALL, **params).fit(data, order)


def test_scores_of_several_variables(ds):
    model = geoinr.INRModel(**SMALL).fit(ds, ["zos", "sst"])
    with pytest.raises(ValueError, match=r"Cannot tell which fitted variable this DataArray \(None\) is"):
        model.scores(ds.sst * 1.0 + 0 * ds.sst.rename(None))
    unnamed = (ds.sst * 1.0).rename(None)
    assert model.scores(unnamed, variables="sst")["n"] == ds.sst.size
    celsius = (ds.sst - 273.15).assign_attrs(units="degC")
    with pytest.warns(UserWarning, match="mu of 'sst' is near 1 for any map"):
        in_c, in_k = model.scores(celsius), model.scores(ds.sst)
    assert in_c["rmse"] == pytest.approx(in_k["rmse"], rel=1e-9)  # converted, not 273 K off
    with pytest.raises(TypeError, match="give one fitted variable's name"):
        model.predict(ds, variable=["zos", "sst"])
    with pytest.raises(ValueError, match="Did you mean 'sst'"):
        model.predict(ds, variable="SST")
    with pytest.raises(ValueError, match="Did you mean 'sst'"):
        geoinr.INRModel(**SMALL).fit(ds, ["zos", "SST"])


def test_the_height_goes_first_for_qg_and_derive_names_it(ds):
    with pytest.raises(ValueError, match=r"acts on the first fitted variable, 'uo' \(m s-1\).*'zos' is one: put it "
                                         r"first, fit\(..., variables=\['zos', 'uo'\]\)"):
        geoinr.INRModel(**SMALL, physics="qg").fit(ds, ["uo", "zos"])
    model = geoinr.INRModel(**SMALL).fit(ds, ["uo", "zos"])
    with pytest.raises(ValueError, match=r"derive\('geostrophic_velocity'\) acts on .*'uo'.*variable=\['zos', 'uo'\]"):
        model.derive("geostrophic_velocity", ds, variable="uo")
    assert set(model.derive("geostrophic_velocity", ds, variable="zos").data_vars) == {"ugos", "vgos"}


def test_regrid_keeps_a_static_variable_static(ds):
    mdt = ds.zos.mean("time").assign_attrs(units="m", standard_name="sea_surface_height_above_geoid")
    out = ds[["zos"]].assign(mdt=mdt).inr.regrid(2.0, ["zos", "mdt"], **SMALL)
    assert out.zos.dims == ("time", "lat", "lon") and out.mdt.dims == ("lat", "lon")


def test_the_numpy_entry_takes_a_dict_of_values():
    rng = np.random.default_rng(0)
    coords = {"lon": rng.uniform(0, 10, 200), "lat": rng.uniform(30, 40, 200)}
    model = geoinr.INRModel(**SMALL).fit(coords, {"sla": rng.normal(size=200), "sst": 290 + rng.normal(size=200)})
    assert model.variables_ == ["sla", "sst"] and model.mean_[1] > 280
    assert geoinr.INRModel(**SMALL).fit(coords, {"sla": rng.normal(size=200), "sst": rng.normal(size=200)},
                                        variables="sst").variables_ == ["sst"]


def test_regrid_keeps_the_time_of_tracks_whose_time_is_a_data_variable():
    """(the second review of the change: a pandas DataFrame's tracks were regridded as a time mean)"""
    tracks = geoinr.datasets.synthetic_tracks(days=3, seed=0)
    frame = tracks.to_dataframe().reset_index()[["time", "latitude", "longitude", "sla"]]
    out = xr.Dataset.from_dataframe(frame).inr.regrid(2.0, "sla", **SMALL)
    assert "time" in out.dims and out.sizes["time"] >= 2


def test_altimetry_currents_swapped_and_dict_values_units(ds):
    geo = ds[["uo", "vo"]].rename(uo="ugos", vo="vgos")
    geo["ugos"].attrs["standard_name"] = "surface_geostrophic_eastward_sea_water_velocity"
    geo["vgos"].attrs["standard_name"] = "surface_geostrophic_northward_sea_water_velocity"
    with pytest.raises(ValueError, match="'vgos' is standard_name 'surface_geostrophic_northward"):
        geoinr.INRModel(**SMALL, physics="mass").fit(geo, ["vgos", "ugos"])
    rng = np.random.default_rng(0)
    coords = {"lon": rng.uniform(0, 10, 100), "lat": rng.uniform(30, 40, 100)}
    values = {"sla": xr.DataArray(rng.normal(size=100), attrs={"units": "m"}),
              "sst": xr.DataArray(rng.normal(size=100), attrs={"units": "degC"})}
    model = geoinr.INRModel(**SMALL).fit(coords, values)
    assert model.variable_attrs_ == {"sla": {"units": "m"}, "sst": {"units": "degC"}}


def test_checking_network_options_leaves_the_random_stream_alone():
    import torch

    torch.manual_seed(0)
    first = torch.rand(1)
    torch.manual_seed(0)
    geoinr.INRModel(model_options={"init": "tuner"})._validate_params()
    assert torch.equal(torch.rand(1), first)
