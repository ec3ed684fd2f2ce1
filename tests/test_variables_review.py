"""A review by a scientist bringing data other than one clean sea level on (time, lat, lon) (2026-12-07): packed
files opened without decoding, heavy-tailed positive variables, NetCDF-3 unsigned bytes, static fields beside
time-varying ones, derived fields of other variables. Each test failed on the code before its fix."""
import warnings

import numpy as np
import pytest
import xarray as xr

import geoinr
from geoinr import sentinels

QUICK = dict(width=16, depth=1, epochs=2, max_time=None, progress=False)


def _grid():
    return geoinr.datasets.synthetic_grid(days=3, resolution=1.0)


def test_fill_gaps_of_a_file_opened_without_decoding_is_in_one_unit(tmp_path):
    """mask_and_scale=False: the kept values were raw int16 counts beside predictions in metres, under a
    scale_factor a reader applied to both, and to_netcdf failed ("_FillValue already exists in attrs")."""
    ds = _grid()
    s = ds.sla.copy()
    s[0, 0, :3] = np.nan
    s.to_dataset().to_netcdf(tmp_path / "p.nc", encoding={"sla": {"dtype": "int16", "scale_factor": 1e-4,
                                                                  "_FillValue": -32767}})
    raw = xr.open_dataset(tmp_path / "p.nc", mask_and_scale=False)
    decoded = xr.open_dataset(tmp_path / "p.nc")
    for filled in (raw.inr.fill_gaps("sla", **QUICK).sla, raw.sla.inr.fill_gaps(**QUICK)):
        kept = np.isfinite(decoded.sla.values)
        np.testing.assert_allclose(filled.values[kept], decoded.sla.values[kept], rtol=1e-6)
        assert np.abs(filled.values).max() < 1.0  # metres everywhere, none in counts
        assert "scale_factor" not in filled.attrs and filled.encoding["scale_factor"] == pytest.approx(1e-4)
    out = raw.inr.fill_gaps("sla", **QUICK)
    out.to_netcdf(tmp_path / "o.nc")
    back = xr.open_dataset(tmp_path / "o.nc")
    assert back.sla.encoding["dtype"] == np.dtype("int16")  # written back packed, as it was read
    np.testing.assert_allclose(back.sla.values, out.sla.values, atol=1e-4)
    assert np.isfinite(back.sla.values).all()


def test_regrid_judges_land_of_an_undecoded_file_in_its_units(tmp_path):
    """regrid's land ('auto') of a packed file opened without decoding: the declared fill value is a gap, as it is
    when xarray decodes the file, not land holding a number."""
    ds = _grid()
    s = ds.sla.copy()
    s[:, 0, 0] = np.nan  # missing at every time: a gap in both readings
    s.to_dataset().to_netcdf(tmp_path / "p.nc", encoding={"sla": {"dtype": "int16", "scale_factor": 1e-4,
                                                                  "_FillValue": -32767}})
    opened = [xr.open_dataset(tmp_path / "p.nc", mask_and_scale=m) for m in (False, True)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        maps = [o.inr.regrid(o, "sla", seed=0, **QUICK) for o in opened]
    assert np.isnan(maps[0].values).sum() == np.isnan(maps[1].values).sum() == 0


def test_a_positive_heavy_tailed_variable_keeps_its_bloom():
    """Chlorophyll: a coastal bloom of about 80 mg m-3 over a background of 0.1 lies thousands of robust spreads
    from the median, and the outlier rule took it for fill values (fill_gaps then made its cells land)."""
    rng = np.random.default_rng(1)
    g = geoinr.datasets.synthetic_grid(days=3, resolution=0.5)
    chl = 0.1 * np.exp(rng.normal(0, 0.5, g.sla.shape))
    chl[:, :3, :3] = 80 * np.exp(rng.normal(0, 0.2, (3, 3, 3)))
    da = xr.DataArray(chl, dims=g.sla.dims, coords=g.sla.coords, name="chl", attrs=dict(units="mg m-3"))
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # no fill-value warning
        warnings.filterwarnings("ignore", message=".*orders of magnitude")  # (its logarithm advised: 2026-12-07)
        assert da.inr.fit(**QUICK).n_points_ == chl.size
        filled = da.inr.fill_gaps(**QUICK)
    np.testing.assert_array_equal(filled.values, chl)
    # a real undeclared fill among positive data is still found (a usual constant, or one far in ratio)
    assert sentinels.screen(np.append(chl.ravel(), [1e20, 1e150]), "chl").mask([1e20, 1e150, 80.0]).tolist() \
        == [True, True, False]


def test_a_declared_fill_value_turns_the_outlier_rule_off():
    """The warning advised 'set the variable's _FillValue' to decide: setting it changed nothing."""
    rng = np.random.default_rng(0)
    v = np.append(rng.normal(0.0, 0.01, 500), [50.0, -40.0])  # far, but real (a flat sea, two spikes)
    assert sentinels.screen(v, "x").mask(v).sum() == 2
    assert sentinels.screen(v, "x", declared=True).mask(v).sum() == 0
    da = xr.DataArray(v, dims="n", name="x")
    assert sentinels.declares_fill(da.assign_attrs(_FillValue=-999.0))
    assert int(np.isnan(sentinels.without_fills(da.assign_attrs(missing_value=-999.0), warn=False)).sum()) == 0
    assert int(np.isnan(sentinels.without_fills(da, warn=False)).sum()) == 2


def test_netcdf3_unsigned_bytes_are_read_unsigned(tmp_path):
    """A NetCDF-3 byte with _Unsigned="true": opened without decoding it was fitted as signed (mean 22 for 104.5);
    decoded, its mid-range 127 was masked as 'the maximum of its int8 packing'."""
    ds = _grid()
    u = ((ds.sla - ds.sla.min()) / (ds.sla.max() - ds.sla.min()) * 255).round().astype("uint8")
    u[0, 0, 0] = 127
    xr.Dataset({"q": (ds.sla.dims, u.values.view("int8"), {"_Unsigned": "true", "units": "1"})},
               coords=ds.sla.coords).to_netcdf(tmp_path / "ub.nc", format="NETCDF3_CLASSIC")
    for mask_and_scale in (False, True):
        opened = xr.open_dataset(tmp_path / "ub.nc", mask_and_scale=mask_and_scale)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fitted = opened.inr.fit("q", **QUICK)
        assert not any("127" in str(w.message) for w in caught)
        assert fitted.mean_[0] == pytest.approx(float(u.where(u < 255).mean()), abs=0.01)
    assert list(sentinels.packed_extremes(xr.open_dataset(tmp_path / "ub.nc").q)) == [255.0]  # not 0, nor 127


def test_a_static_field_beside_a_time_varying_one_is_fitted_in_space():
    """A mean dynamic topography on (lat, lon) beside a sea level on (time, lat, lon): fitted once per time (300
    points for 100 cells), and fill_gaps failed with xarray's "must be a permuted list"."""
    ds = _grid()
    mdt = (ds.lat * 0.01 + ds.lon * 0.002).assign_attrs(units="m")
    ds2 = ds[["sla"]].assign(mdt=mdt.where(~((ds.lat == ds.lat[3]) & (ds.lon == ds.lon[4]))))
    fitted = ds2.inr.fit("mdt", **QUICK)
    assert fitted.n_points_ == 99 and fitted.time_axis_ is None
    for variables in ("mdt", ["sla", "mdt"]):  # alone, and jointly with the sea level (predicted at each time)
        filled = ds2.inr.fill_gaps(variables, **QUICK)
        assert filled.mdt.dims == ("lat", "lon") and filled.sla.dims == ds.sla.dims
        assert np.isfinite(filled.mdt.values).all()
        np.testing.assert_array_equal(filled.mdt.values[np.isfinite(ds2.mdt.values)],
                                      ds2.mdt.values[np.isfinite(ds2.mdt.values)])
    assert ds2.inr.regrid(0.5, "mdt", **QUICK).dims == ("lat", "lon")
    assert ds2.inr.fit(["sla", "mdt"], **QUICK).time_axis_ is not None  # a variable spans time: time is kept


def test_the_gradient_of_a_variable_that_is_not_a_height():
    """derive('gradient') of an SST refused it as "no sea-surface height"; its units were '1' whatever the variable.
    A height's currents warn where its standard_name says it is something else (a mixed-layer depth in m)."""
    ds = _grid()
    sst = (ds.sla * 20 + 15).rename("sst").assign_attrs(units="degC", long_name="sea surface temperature")
    fitted = sst.inr.fit(**QUICK)
    grad = fitted.derive("gradient", fitted.target_grid(1.0))
    assert grad.deta_dx.attrs["units"] == "degC m-1" and np.isfinite(grad.deta_dx.values).all()
    with pytest.raises(ValueError, match="not a length"):
        fitted.derive("geostrophic_velocity", fitted.target_grid(1.0))
    mld = (ds.sla * 20 + 50).rename("mld").assign_attrs(units="m", standard_name="ocean_mixed_layer_thickness")
    fitted = mld.inr.fit(**QUICK)
    with pytest.warns(UserWarning, match="standard_name is 'ocean_mixed_layer_thickness'"):
        fitted.derive("geostrophic_velocity", fitted.target_grid(1.0))
    adt = ds.sla.assign_attrs(units="m", standard_name="sea_surface_height_above_geoid").inr.fit(**QUICK)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        assert adt.derive("gradient", adt.target_grid(1.0)).deta_dx.attrs["units"] == "1"  # m per m
        adt.derive("geostrophic_velocity", adt.target_grid(1.0))


def test_an_empty_variable_and_a_flag_variable():
    """An all-NaN variable in a joint fit was refused as 'has mean nan ... huge or undeclared fill values'; a
    quality flag beside the field made a plain fit() ask which of 'several data variables' to map."""
    ds = _grid()
    with pytest.raises(ValueError, match="'empty' has no valid value"):
        ds.assign(empty=ds.sla * np.nan).inr.fit(["sla", "empty"], **QUICK)
    flag = xr.zeros_like(ds.sla, dtype="int8").assign_attrs(flag_values=[0, 1], flag_meanings="good bad")
    assert ds[["sla"]].assign(qc=flag).inr.fit(**QUICK).variables_ == ["sla"]


def test_a_projected_targets_grid_mapping_is_kept(tmp_path):
    """Predicting on a projected grid (x/y, 2-D lat/lon, a CF crs variable) dropped the grid mapping."""
    ds = _grid()
    fitted = ds.inr.fit("sla", **QUICK)
    x, y = np.arange(5) * 50e3, np.arange(4) * 50e3
    xx, yy = np.meshgrid(x, y)
    target = xr.Dataset(
        {"crs": ((), 0, {"grid_mapping_name": "lambert_conformal_conic", "standard_parallel": 35.0}),
         "mask": (("y", "x"), np.ones((4, 5)), {"grid_mapping": "crs"})},
        coords={"x": x, "y": y, "lat": (("y", "x"), 33 + yy / 111e3), "lon": (("y", "x"), 3 + xx / 90e3),
                "time": ds.time.values[:2]})
    pred = fitted.predict(target)
    assert pred.attrs["grid_mapping"] == "crs" and pred.crs.attrs["grid_mapping_name"] == "lambert_conformal_conic"
    pred.to_dataset().to_netcdf(tmp_path / "p.nc")
    assert xr.open_dataset(tmp_path / "p.nc").sla.attrs["grid_mapping"] == "crs"
    assert "grid_mapping" not in fitted.predict(ds).attrs  # none named: none made up


def test_a_regridded_dataset_keeps_the_grids_cell_bounds(tmp_path):
    """regrid(resolution) builds its grid with cell bounds and dropped them; a Dataset output (several variables, or
    a map with its std) now keeps them, named by the coordinates' bounds (a DataArray has no room for them)."""
    ds = _grid()
    out = ds.inr.regrid(0.5, variables=["sla", "sla_true"], **QUICK)
    assert out.lat.attrs["bounds"] == "lat_bnds" and out.lat_bnds.shape == (out.sizes["lat"], 2)
    out.to_netcdf(tmp_path / "r.nc")
    back = xr.open_dataset(tmp_path / "r.nc")
    assert all(back[c].attrs["bounds"] in back.variables for c in ("lat", "lon"))
