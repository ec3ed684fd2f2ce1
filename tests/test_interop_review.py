"""A review of what users do next with geoinr's outputs (2026-12-07, fifth session: netCDF and zarr writes, CF,
dask, xarray operations): each test failed before its fix.

- ``fill_gaps`` carried the source's int16 packing onto filled values past its range: they wrapped around on
  writing (0.43 m written as -0.28 m), with no warning;
- ``fill_gaps`` kept ``valid_max`` under filled values past it, so that netCDF4's readers masked the fill (the
  fill is now clipped to it: tests/test_fields_review.py);
- ``ds.inr.fill_gaps`` raised xarray's MergeError on a Dataset holding its grid mapping (a CMEMS file's ``crs``) as a
  data variable, as xarray opens it by default.
"""
import warnings

import numpy as np
import pytest
import xarray as xr

import geoinr

FIT = dict(width=16, depth=1, epochs=2, max_time=None, progress=False, seed=0, land=None)


def _fits_written(out, name, centre=0.0, spread=0.1):
    from geoinr.accessor import _fits_written
    return _fits_written(out, name, centre, spread)


def _within_valid(pred, var):
    from geoinr.accessor import _within_valid
    return _within_valid(pred, var)


def _packed(values, **attrs):
    """A filled variable carrying an int16 packing whose range ends at 0.35 m."""
    da = xr.DataArray(np.asarray(values, dtype=np.float64), dims="x", name="sla", attrs={"units": "m", **attrs})
    da.encoding = {"dtype": np.dtype("int16"), "scale_factor": 0.35 / 32767, "_FillValue": np.int16(-32768),
                   "zlib": True}
    return da


def test_a_fill_past_the_packing_drops_it_and_writes_every_value(tmp_path):
    out = _packed([0.1, 0.2, 0.43])
    with pytest.warns(UserWarning, match=r"integer packing .*written as floats"):
        kept = _fits_written(out, "sla")
    assert "scale_factor" not in kept.encoding and "dtype" not in kept.encoding
    assert kept.encoding["zlib"]  # the compression stays
    kept.to_dataset().to_netcdf(tmp_path / "f.nc")
    with xr.open_dataset(tmp_path / "f.nc") as back:
        np.testing.assert_allclose(back.sla.values, [0.1, 0.2, 0.43], atol=1e-6)


def test_a_fill_inside_the_packing_keeps_it_quietly():
    out = _packed([0.1, -0.2, 0.34])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        kept = _fits_written(out, "sla")
    assert kept.encoding["dtype"] == np.dtype("int16") and "scale_factor" in kept.encoding


def test_a_fill_is_clipped_to_the_valid_range_in_packed_units():
    source = xr.DataArray([0.1, np.nan], dims="x", name="sla", attrs={"units": "m", "valid_min": np.int16(-5000),
                                                                       "valid_max": np.int16(5000)})
    source.encoding = {"dtype": np.dtype("int16"), "scale_factor": 1e-4}  # valid range -0.5 to 0.5 m
    pred = xr.DataArray([0.2, 0.6], dims="x", attrs={"units": "m"})
    np.testing.assert_allclose(_within_valid(pred, source).values, [0.2, 0.5])  # the bound itself, not past it
    assert _within_valid(pred, source).attrs == {"units": "m"}


def _source(path):
    """A small packed grid written as an int16 file packed by its own extremes, its peak hidden."""
    lat, lon = np.arange(30.25, 36, 0.5), np.arange(0.25, 6, 0.5)
    bump = 0.5 * np.exp(-((lon[None, :] - 3) ** 2 + (lat[:, None] - 33) ** 2) / 2.0)
    values = np.stack([bump * (1 + 0.02 * k) for k in range(3)])
    values[:, 4:7, 4:7] = np.nan
    ds = xr.Dataset({"sla": (("time", "lat", "lon"), values, {"units": "m"})},
                    coords={"time": np.array(["2020-01-01", "2020-01-02", "2020-01-03"], dtype="datetime64[ns]"),
                            "lat": lat, "lon": lon})
    ds.sla.encoding = {"dtype": "int16", "scale_factor": float(np.nanmax(values)) / 32767,
                       "_FillValue": np.int16(-32768)}
    ds.to_netcdf(path)
    return path


def test_a_lazy_fill_of_a_source_packed_by_its_extremes_is_written_as_floats(tmp_path):
    with xr.open_dataset(_source(tmp_path / "src.nc"), chunks={"time": 1}) as src:
        with pytest.warns(UserWarning, match=r"lazy output"):
            filled = src.inr.fill_gaps("sla", **FIT)
        assert "scale_factor" not in filled.sla.encoding
        filled.to_netcdf(tmp_path / "out.nc")
        with xr.open_dataset(tmp_path / "out.nc") as back:
            np.testing.assert_allclose(back.sla.values, filled.sla.values, atol=1e-6)


def test_fill_gaps_of_a_dataset_holding_its_grid_mapping_as_a_variable(tmp_path):
    path = _source(tmp_path / "src.nc")
    with xr.open_dataset(path) as src:
        src = src.load()
    src["crs"] = xr.DataArray(np.int32(0), attrs={"grid_mapping_name": "latitude_longitude"})
    src.sla.attrs["grid_mapping"] = "crs"
    src.to_netcdf(tmp_path / "crs.nc")
    with xr.open_dataset(tmp_path / "crs.nc") as src:  # xarray's defaults: crs a data variable
        assert "crs" in src.data_vars
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            filled = src.inr.fill_gaps("sla", **FIT)
        assert "crs" in filled.data_vars and filled.sla.attrs["grid_mapping"] == "crs"
        assert np.isfinite(filled.sla.values).all()
        filled.to_netcdf(tmp_path / "out.nc")


def test_a_fill_inside_a_packing_set_by_its_own_extremes_keeps_it():
    """The session's own review: both extreme integers were reserved, so a source packed by its own extremes (its
    maximum at 32767, its fill at -32768) lost its packing with no fill past it."""
    out = xr.DataArray([0.1, 0.2, 0.5, 0.3], dims="x", name="sla", attrs={"units": "m"})
    out.encoding = {"dtype": np.dtype("int16"), "scale_factor": 0.5 / 32767, "_FillValue": np.int16(-32768)}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _fits_written(out, "sla").encoding["dtype"] == np.dtype("int16")


def test_a_dropped_packing_gives_its_valid_range_in_the_variable_s_units(tmp_path):
    """The session's own review: integer valid_min/valid_max stayed in packed units over float values, and readers
    masked every value of the written file."""
    out = xr.DataArray(101400.0 + np.array([-40.0, 10.0, 60.0]), dims="x", name="msl", attrs={
        "units": "Pa", "valid_min": np.int16(-32767), "valid_max": np.int16(32767)})
    out.encoding = {"dtype": np.dtype("int16"), "scale_factor": 50.0 / 32767, "add_offset": 101400.0,
                    "_FillValue": np.int16(-32768)}
    with pytest.warns(UserWarning, match="integer packing"):
        kept = _fits_written(out, "msl")
    np.testing.assert_allclose([kept.attrs["valid_min"], kept.attrs["valid_max"]], [101350.0, 101450.0], rtol=1e-9)
    kept.to_dataset().to_netcdf(tmp_path / "f.nc")
    import netCDF4
    with netCDF4.Dataset(tmp_path / "f.nc") as nc:
        values = nc["msl"][:]
    assert not np.ma.getmaskarray(values)[:2].any()  # (60 Pa past the source's valid_max: masked, as declared)


def test_a_fill_clipped_to_a_packed_bound_is_written_on_it(tmp_path):
    """The session's own review: fills were clipped to the bound widened by half a step, which rounds one integer
    past it: netCDF4's readers masked every saturated fill."""
    source = xr.DataArray([0.5, np.nan], dims="x", name="sic", attrs={"valid_min": np.int16(0),
                                                                        "valid_max": np.int16(999)})
    source.encoding = {"dtype": np.dtype("int16"), "scale_factor": 1 / 999, "_FillValue": np.int16(-1)}
    filled = _within_valid(xr.DataArray([0.5, 1.3], dims="x", name="sic"), source)
    filled.attrs = dict(source.attrs)
    filled.encoding = dict(source.encoding)
    filled.to_dataset().to_netcdf(tmp_path / "f.nc")
    import netCDF4
    with netCDF4.Dataset(tmp_path / "f.nc") as nc:
        nc.set_auto_maskandscale(False)
        assert nc["sic"][:].tolist() == [500, 999]


def test_a_dict_with_one_entry_is_still_fitted_without_its_name():
    """The session's own review: OptimalInterpolation().fit(obs) of a dict with one non-coordinate entry raised
    "'NoneType' object is not iterable" after the dict-entry change."""
    rng = np.random.default_rng(0)
    obs = {"lon": rng.uniform(0, 10, 200), "lat": rng.uniform(30, 40, 200), "sla": rng.normal(size=200)}
    assert geoinr.baselines.OptimalInterpolation(progress=False).fit(obs).variables_ == ["sla"]
    with pytest.raises(ValueError, match="pass the observations as values"):
        geoinr.INRModel(width=8, depth=1, epochs=1, max_time=None, progress=False).fit(obs)


def test_a_fill_value_one_in_from_the_end_and_array_missing_values_are_reserved():
    """The session's second review of its diff: only a fill at an end of the range was reserved (a value packed to
    grib_to_netcdf's -32767 read back as NaN), and an array missing_value reserved nothing."""
    from geoinr.accessor import _packed_range

    low, high = _packed_range({"dtype": np.dtype("int16"), "scale_factor": 1e-3, "_FillValue": np.int16(-32767)})
    assert low == pytest.approx(-32.7665) and high == pytest.approx(32.7675)
    low, high = _packed_range({"dtype": np.dtype("int16"), "scale_factor": 1e-3,
                               "missing_value": np.array([-32767, 32767], dtype="int16")})
    assert low == pytest.approx(-32.7665) and high == pytest.approx(32.7665)


def test_a_dropped_packing_s_valid_range_is_in_the_variable_s_type_rounded_outward():
    """The session's second review: float64 bounds over float32 values; a fill clipped to a bound and stored in
    float32 lay past it half the time, and geoinr's own next read masked it."""
    rng = np.random.default_rng(0)
    for _ in range(50):
        scale, offset = rng.uniform(1e-5, 1e-3), rng.uniform(-1, 1)
        out = xr.DataArray(np.array([offset, offset + 40000 * scale], dtype=np.float32), dims="x", name="v",
                           attrs={"valid_min": np.int16(-30000), "valid_max": np.int16(30000)})
        out.encoding = {"dtype": np.dtype("int16"), "scale_factor": scale, "add_offset": offset,
                        "_FillValue": np.int16(-32768)}
        with pytest.warns(UserWarning, match="integer packing"):
            kept = _fits_written(out, "v")
        assert isinstance(kept.attrs["valid_max"], np.float32)
        on_bound = np.float32(30000 * scale + offset)
        assert kept.attrs["valid_min"] <= np.float32(-30000 * scale + offset) and on_bound <= kept.attrs["valid_max"]


def test_a_lazy_dataset_fill_keeps_the_valid_range_and_the_packing_it_holds(tmp_path):
    """The session's second review: a dask-backed Dataset's fill lost its valid range (the lazy screen drops it
    from what it keeps), so its packing was dropped for nothing."""
    g = geoinr.datasets.synthetic_grid(days=3, resolution=0.5)
    values = g.sla.values.copy()
    low, high = np.nanmin(values), np.nanmax(values)
    scale = (high - low) / 65533
    offset = low + 32766 * scale
    values[np.random.default_rng(0).random(values.shape) < 0.4] = np.nan
    ints = np.where(np.isnan(values), -32767, np.round((values - offset) / scale)).astype("int16")
    attrs = {"scale_factor": scale, "add_offset": offset, "_FillValue": np.int16(-32767), "units": "m",
             "valid_min": np.int16(-32766), "valid_max": np.int16(32767)}
    xr.Dataset({"sla": (g.sla.dims, ints, attrs)}, coords=g.coords).to_netcdf(tmp_path / "src.nc")
    with xr.open_dataset(tmp_path / "src.nc", chunks={"time": 1}) as src:
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            out = src.inr.fill_gaps(**dict(FIT, epochs=5))
        assert not [w for w in seen if "packing" in str(w.message)]
        assert out.sla.encoding["dtype"] == np.dtype("int16") and out.sla.attrs["valid_max"] == 32767
