"""A user review's fixes (2026-12-06, ninth session): inputs whose units would be misread, misspelled keywords,
and fill_gaps' land."""
import warnings

import numpy as np
import pytest
import xarray as xr

import geoinr
from geoinr import machine
from geoinr.base import did_you_mean

QUICK = dict(width=16, depth=1, epochs=1, max_time=None, progress=False)


@pytest.fixture(scope="module")
def tracks():
    return geoinr.datasets.synthetic_tracks(days=2, seed=0)


def _unit_warnings(record):
    return [str(w.message) for w in record if "without a 'units' attribute" in str(w.message)]


def test_times_without_units_are_read_as_days_with_a_warning_that_shows_the_span(tracks):
    """Seconds without units were taken for days in silence: a record 560 years long, and its scales with it."""
    seconds = tracks.assign_coords(time=(tracks.time - tracks.time[0]) / np.timedelta64(1, "s"))
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        fitted = seconds.inr.fit("sla", **QUICK)
    (message,) = _unit_warnings(record)
    span = float(seconds.time.max() - seconds.time.min())
    assert f"a span of {span:,.6g} days" in message and "attrs['units'] = 'seconds'" in message
    assert record[[str(w.message) for w in record].index(message)].filename == __file__  # the user's line
    assert fitted.time_range_[1] - fitted.time_range_[0] == pytest.approx(span)  # read as days, as it says

    for units in ("seconds", "days", "hours since 2020-01-01"):  # units given: no warning, read in them
        given = seconds.copy()
        given.time.attrs["units"] = units
        with warnings.catch_warnings(record=True) as record:
            warnings.simplefilter("always")
            fitted = given.inr.fit("sla", **QUICK)
        assert not _unit_warnings(record), units
    assert fitted.time_range_[1] - fitted.time_range_[0] == pytest.approx(span / 24.0)

    with warnings.catch_warnings(record=True) as record:  # dates, and OI with unitless numbers (its lt is in days)
        warnings.simplefilter("always")
        tracks.inr.fit("sla", **QUICK)
        assert not _unit_warnings(record)
        geoinr.baselines.OptimalInterpolation().fit(seconds, "sla")
        assert len(_unit_warnings(record)) == 1


def test_a_dask_backed_record_with_unitless_times_warns_too(tracks):
    pytest.importorskip("dask")
    seconds = tracks.assign_coords(time=(tracks.time - tracks.time[0]) / np.timedelta64(1, "s")).chunk({"time": 500})
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        seconds.inr.fit("sla", **QUICK)
    assert len(_unit_warnings(record)) == 1


@pytest.mark.parametrize("role", ["latitude", "longitude"])
def test_coordinates_in_radians_are_refused_with_the_conversion(tracks, role):
    """Radians lie within the degrees' range: only their units tell (it fitted a box 0.17 deg wide before)."""
    radians = tracks.assign_coords({role: np.deg2rad(tracks[role])})
    radians[role].attrs["units"] = "radians"
    with pytest.raises(ValueError, match=rf"{role.capitalize()} '{role}' is in radians.*np.rad2deg"):
        radians.inr.fit("sla", **QUICK)
    with pytest.raises(ValueError, match="in radians"):
        geoinr.baselines.OptimalInterpolation().fit(radians, "sla")
    fitted = tracks.inr.fit("sla", **QUICK)
    with pytest.raises(ValueError, match="in radians"):  # a target in radians too
        fitted.predict(fitted.target_grid(1.0).pipe(
            lambda g: g.assign_coords({role: np.deg2rad(g[role])}).pipe(
                lambda h: h.assign_coords({role: h[role].assign_attrs(units="rad")}))))


def test_a_misspelled_variables_keyword_is_named_by_each_accessor_method(tracks):
    """``variable=`` (what predict takes) got no suggestion, and the message named fit() for regrid and fill_gaps."""
    for method, call in {"fit": lambda: tracks.inr.fit(variable="sla"),
                         "regrid": lambda: tracks.inr.regrid(1.0, variable="sla"),
                         "fill_gaps": lambda: tracks.inr.fill_gaps(variable="sla")}.items():
        with pytest.raises(TypeError, match=rf"^{method}\(\) got an unexpected keyword argument 'variable'\. "
                                            r"Did you mean 'variables'\? It takes variables, (\w+, )*the INRModel"):
            call()
    with pytest.raises(TypeError, match=r"^fit\(\) got .*'variable'\. It takes the INRModel"):  # a DataArray: none
        tracks.sla.inr.fit(variable="sla")


def test_did_you_mean_ignores_letter_case():
    assert did_you_mean("Lx", ["lx", "ly", "lt"]) == " Did you mean 'lx'?"
    assert did_you_mean("MAX_TIME", ["max_time", "epochs"]) == " Did you mean 'max_time'?"
    assert did_you_mean("zzz", ["lx"]) == ""
    with pytest.raises(TypeError, match="Did you mean 'lx'"):
        geoinr.baselines.OptimalInterpolation(Lx=100.0)


def test_fill_gaps_keeps_fill_valued_land_nan_as_regrid_does():
    """fill_gaps filled DUACS's packed land with sea level over the continent, where regrid kept it NaN."""
    ds = geoinr.datasets.synthetic_grid(days=2, resolution=0.5, gap_fraction=0.3, seed=0)
    land = (ds.lon > 7.0) & (ds.lat > 36.0)  # a corner holding an undeclared fill value at every time
    packed = ds.assign(sla=ds.sla.where(~land, -214748.3647))
    gaps = ds.sla.isnull() & ~land  # the gaps at sea
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the fill values' warning
        out = packed.inr.fill_gaps("sla", **QUICK)
        everywhere = packed.inr.fill_gaps("sla", land=None, **QUICK)
        one = packed.sla.inr.fill_gaps(**QUICK)  # the DataArray accessor too
        lazy = packed.chunk({"time": 1}).inr.fill_gaps("sla", **QUICK)
    for filled in (out.sla, one):
        assert bool(filled.where(land).isnull().all())  # NaN on land, not the fill value nor a prediction
        assert bool(filled.where(gaps).notnull().sum() == gaps.sum())  # the gaps at sea are filled
        assert bool((filled == packed.sla).where(~land & ds.sla.notnull(), True).all())  # observed values kept
    assert bool(np.isfinite(everywhere.sla).all())  # land=None: every gap, land included (the old default)
    assert lazy.sla.chunks is not None  # still lazy
    np.testing.assert_array_equal(np.isnan(lazy.sla.values), np.isnan(out.sla.values))  # (a streamed fit: its own values)
    # land stored as NaN is a gap for "auto", land for "missing"
    nan_land = ds.assign(sla=ds.sla.where(~land))
    assert bool(np.isfinite(nan_land.inr.fill_gaps("sla", **QUICK).sla).all())
    assert bool(nan_land.inr.fill_gaps("sla", land="missing", **QUICK).sla.where(land).isnull().all())
    tracks = geoinr.datasets.synthetic_tracks(days=2, seed=0)  # scattered: no land to find, every gap filled
    gappy = tracks.assign(sla=tracks.sla.where(np.arange(tracks.sizes["time"]) % 7 != 0))
    assert bool(np.isfinite(gappy.inr.fill_gaps("sla", **QUICK).sla).all())
    with pytest.raises(ValueError, match=r"fill_gaps\(land='sea'\): one of"):
        ds.inr.fill_gaps("sla", land="sea", **QUICK)
    with pytest.raises(ValueError, match=r"takes no variable name"):  # a name where a DataArray's land= goes
        ds.sla.inr.regrid(1.0, "sla", **QUICK)


def test_land_blanked_on_some_days_stays_land():
    """Clouds blanked with ``where`` (or a product with NaN on land some days) made land cells NaN on one day and the
    fill value on the other: "a fill value at every time" no longer held, and fill_gaps and regrid put sea level on
    248 of 510 land cell-days of a real DUACS box (a review). A cell with a fill value and never a valid value is
    land."""
    ds = geoinr.datasets.synthetic_grid(days=2, resolution=0.5, gap_fraction=0.3, seed=0)
    land = (ds.lon > 7.0) & (ds.lat > 36.0)
    packed = ds.sla.where(~land, -214748.3647)
    cloudy = packed.where(~((ds.time == ds.time[0]) & (ds.lat > 38.0)))  # day one: a cloud over part of the land
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        filled = ds.assign(sla=cloudy).inr.fill_gaps("sla", **QUICK).sla
        regridded = ds.assign(sla=cloudy).inr.regrid(ds, "sla", **QUICK)
    assert bool(filled.where(land).isnull().all()) and bool(regridded.where(land).isnull().all())
    assert bool(filled.notnull().where(~land, True).all())  # the cloud over the sea is filled


def test_the_metrics_score_an_estimate_in_other_length_units_in_the_references():
    """A map in cm against a truth in m scored an RMSE of 60 and mu of -98 (fitted.score() converted, the
    metrics did not)."""
    from geoinr import metrics

    truth = geoinr.datasets.synthetic_grid(days=2, resolution=0.5, seed=0).sla_true.assign_attrs(units="m")
    estimate = (truth + 0.01 * np.sin(truth.lon / 2.0)).assign_attrs(units="m")
    for factor, units in ((100.0, "cm"), (1000.0, "millimetres")):
        other = (estimate * factor).assign_attrs(units=units)
        assert metrics.rmse(other, truth) == pytest.approx(metrics.rmse(estimate, truth), rel=1e-9)
        assert metrics.nrmse_score(other, truth) == pytest.approx(metrics.nrmse_score(estimate, truth), rel=1e-9)
        np.testing.assert_allclose(metrics.daily_nrmse_score(other, truth).values,
                                   metrics.daily_nrmse_score(estimate, truth).values, rtol=1e-9)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # (an upper bound: the score stays above 0.5)
            assert metrics.effective_resolution_zonal(other, truth).resolution == pytest.approx(
                metrics.effective_resolution_zonal(estimate, truth).resolution, rel=1e-9)
    track = truth.isel(time=0, lat=10).rename(lon="x")
    assert metrics.effective_resolution_along_track((track * 100).assign_attrs(units="cm"), track, spacing_km=50.0,
                                                    segment_km=500.0).resolution == pytest.approx(
        metrics.effective_resolution_along_track(track, track, spacing_km=50.0, segment_km=500.0).resolution)
    with pytest.warns(UserWarning, match=r"rmse: the estimate is in 'K' and the reference in 'm'; scored as given"):
        metrics.rmse(estimate.assign_attrs(units="K"), truth)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a missing units attribute is taken as the other's: no warning
        metrics.rmse(estimate.assign_attrs(units=""), truth)


def test_a_partial_overlap_is_scored_where_it_is_and_a_numeric_time_step_on_dates_is_refused_with_a_frequency():
    """A map of 2 of the truth's 4 days was told to interpolate in time; grid(time_step=0.25) on dates raised
    pandas' "Argument 'freq' has incorrect type"."""
    from geoinr import metrics

    truth = geoinr.datasets.synthetic_grid(days=4, resolution=0.5, seed=0).sla_true
    with pytest.raises(ValueError, match=r"covers part of the reference along \['time'\]: score it there, e\.g\. "
                                         r"reference\.sel\(time=estimate\.time\)"):
        metrics.rmse(truth.isel(time=[1, 2]), truth)
    assert metrics.rmse(truth.isel(time=[1, 2]), truth.sel(time=truth.isel(time=[1, 2]).time)) == 0.0
    with pytest.raises(ValueError, match=r"Interpolate the estimate onto the reference first"):  # no common point
        metrics.rmse(truth.assign_coords(lat=truth.lat + 0.1), truth)
    oi = geoinr.baselines.OptimalInterpolation().fit(geoinr.datasets.synthetic_tracks(days=3, seed=0), "sla")
    with pytest.raises(TypeError, match=r"time_step for dates is a pandas frequency, e\.g\. '6h' or '1D'; got 0\.25"):
        oi.target_grid(1.0, time_step=0.25)
    assert oi.target_grid(1.0, time_step="12h").sizes["time"] == 2 * oi.target_grid(1.0).sizes["time"]


def test_parameters_set_after_a_fit_are_refused_until_the_next_fit(tmp_path, tracks):
    """set_params(width=32) on a fitted model, then save: a file load() called damaged; uncertainty= changed after
    the fit: an IndexError in predict."""
    fitted = tracks.inr.fit("sla", **QUICK)
    grid = fitted.target_grid(1.0)
    fitted.set_params(progress=True)  # display only: allowed
    before = fitted.predict(grid)
    fitted.set_params(width=32, uncertainty="ensemble")
    for call in (lambda: fitted.save(tmp_path / "m.geoinr"), lambda: fitted.predict(grid),
                 lambda: fitted.derive("geostrophic_velocity", grid)):
        with pytest.raises(ValueError, match=r"parameters changed since the fit \(width: 16 -> 32, uncertainty: "
                                             r"None -> 'ensemble'\).*set_params\(width=16, uncertainty=None\)"):
            call()
    fitted.set_params(width=16, uncertainty=None)  # set back: as before
    np.testing.assert_array_equal(fitted.predict(grid).values, before.values)
    fitted.save(tmp_path / "m.geoinr")
    loaded = geoinr.load(tmp_path / "m.geoinr")
    assert loaded.get_params()["width"] == 16
    with pytest.raises(ValueError, match="parameters changed since the fit"):
        loaded.set_params(depth=3).predict(grid)
    refitted = fitted.set_params(width=8).fit(tracks, variables="sla")  # a new fit takes them
    assert refitted.predict(grid).shape == before.shape and refitted.n_parameters_ < loaded.n_parameters_


def test_a_physics_fit_that_trains_no_network_with_the_residual_says_so(tracks):
    """The summary said the residual "did not help" where no network with it was trained (the data-only one took
    the budget), and an explicit physics="qg" fell back to data only without a word."""
    with pytest.warns(UserWarning, match=r"physics='qg': no network with the residual: the data-only network took "
                                         r".*the map is the data-only network's\. A longer max_time"):
        fitted = tracks.inr.fit("sla", physics="qg", width=16, depth=1, max_time=1.0, progress=False, seed=0)
    assert [c["physics_weight"] for c in fitted.physics_choice_["candidates"]] == [0.0]
    line = next(line for line in str(fitted).splitlines() if "residual, weight" in line)
    assert "did not help" not in line and "the data-only fit kept (no network with the residual: " in line


def test_oi_with_too_small_a_noise_for_dense_tracks_warns_that_its_map_cannot_be_trusted():
    """OptimalInterpolation(noise=0) on 1 Hz tracks mapped hundreds of metres from a field of 0.3 m, with a formal
    error of 1e-5 m, in silence."""
    tracks = geoinr.datasets.synthetic_tracks(days=4, noise=0.01, seed=0)
    grid = geoinr.datasets.synthetic_grid(days=4, resolution=1.0, seed=0).drop_vars(["sla", "sla_true"])
    with pytest.warns(UserWarning, match=r"the map reaches .* times the observations' whole range .* with noise=0 "
                                         r"the covariance of these observations cannot be solved accurately"):
        geoinr.baselines.OptimalInterpolation(noise=0.0, progress=False).fit(tracks, "sla").predict(grid)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        geoinr.baselines.OptimalInterpolation(progress=False).fit(tracks, "sla").predict(grid)


def test_the_mass_residual_is_refused_under_a_streamfunction_that_makes_it_zero():
    """It added nothing, and naming a physics term turned off L-BFGS on a grid of currents (u's error 5.6 cm/s
    against 0.19 without it)."""
    grid = geoinr.datasets.synthetic_grid(days=2, resolution=1.0, seed=0)
    uv = grid.assign(u=grid.sla.assign_attrs(units="m s-1"), v=-grid.sla.assign_attrs(units="m s-1"))
    for physics in ("mass", ["mass", "smooth"]):
        with pytest.raises(ValueError, match=r"physics='mass' with mass_constraint='streamfunction' adds a term that "
                                             r"is zero by construction.*physics=None"):
            uv.inr.fit(["u", "v"], mass_constraint="streamfunction", physics=physics, **QUICK)
    uv.inr.fit(["u", "v"], mass_constraint="streamfunction", physics=None, **QUICK)  # the constraint alone


def test_derived_long_names_read_the_heights_name_mid_sentence(tracks):
    """'eastward geostrophic velocity from Sea level anomaly' (CMEMS's long_name, capital S mid-sentence)."""
    named = tracks.assign(sla=tracks.sla.assign_attrs(long_name="Sea level anomaly"))
    fitted = named.inr.fit("sla", **QUICK)
    currents = fitted.derive("geostrophic_velocity", fitted.target_grid(1.0))
    assert currents["ugos"].attrs["long_name"] == "eastward geostrophic velocity from sea level anomaly"
    acronym = tracks.assign(sla=tracks.sla.assign_attrs(long_name="SLA (DUACS)")).inr.fit("sla", **QUICK)
    assert acronym.derive("geostrophic_velocity", fitted.target_grid(1.0))["vgos"].attrs["long_name"].endswith(
        "from SLA (DUACS)")


def test_plain_number_times_of_a_dict_spanning_centuries_are_warned_of():
    """A dict has no units: its plain-number times are days. Seconds passed so made a 700-year record with no word but
    "too sparse to map" (a README review); a span of more than a century warns, for the networks and OI alike."""
    import warnings

    rng = np.random.default_rng(0)
    lon, lat = rng.uniform(0.0, 10.0, 300), rng.uniform(30.0, 40.0, 300)
    seconds = rng.uniform(0.0, 10.0 * 86400.0, 300)
    values = np.sin(lon) + np.cos(lat)
    with pytest.warns(UserWarning, match="span .* days .* years.*t / 86400"):
        geoinr.INRModel(width=8, depth=1, epochs=1, max_time=None, progress=False).fit(
            {"lon": lon, "lat": lat, "time": seconds}, values)
    with pytest.warns(UserWarning, match="t / 86400"):
        geoinr.baselines.OptimalInterpolation().fit({"lon": lon, "lat": lat, "time": seconds, "v": values}, "v")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        geoinr.baselines.OptimalInterpolation().fit({"lon": lon, "lat": lat, "time": seconds / 86400.0, "v": values}, "v")
    with pytest.raises(TypeError, match="reads the values from the dict itself"):  # an array where the name goes
        geoinr.baselines.OptimalInterpolation().fit({"lon": lon, "lat": lat, "time": seconds / 86400.0}, values)


def test_a_regrid_resolution_too_fine_for_memory_is_refused_before_the_fit(monkeypatch):
    """regrid(1e-4) of a 10 deg box fitted its whole budget, then raised MemoryError: 28.1 GiB (a review)."""
    ds = geoinr.datasets.synthetic_grid(days=2, resolution=0.5, seed=0)
    fits = []
    monkeypatch.setattr(geoinr.INRModel, "fit", lambda self, *a, **k: fits.append(1) or self)
    with pytest.raises(MemoryError, match=r"regrid\(0.0001\).*GiB.*coarser resolution.*Nothing was fitted"):
        ds.inr.regrid(1e-4, "sla")
    monkeypatch.setattr(machine, "memory_bytes", lambda: 2**16)  # a 64 KiB machine: 0.05 deg is too fine there
    with pytest.raises(MemoryError, match="half the memory this process may use"):
        ds.sla.inr.regrid(0.05)
    assert fits == []


def test_an_eager_prediction_too_large_for_memory_is_refused_before_it_starts(monkeypatch):
    """An eager predict on 1.17e9 points raised numpy's bare "Unable to allocate 4.35 GiB" (or ran for hours, then
    ran out of memory): it is refused first, naming chunks=, and the lazy prediction of the same target runs."""
    tracks = geoinr.datasets.synthetic_tracks(days=2, seed=0)
    fitted = tracks.inr.fit("sla", width=8, depth=1, epochs=1, max_time=None, progress=False)
    target = fitted.target_grid(0.5)
    monkeypatch.setattr(machine, "memory_bytes", lambda: 2**10)  # a 1 KiB machine (320 float32 values: 1.25 KiB)
    with pytest.raises(MemoryError, match=r"eager prediction on [0-9,]+ points.*chunks='auto'"):
        fitted.predict(target)
    lazy = fitted.predict(target, chunks="auto")
    assert lazy.chunks is not None


def test_fill_gaps_writes_the_variable_back_as_it_was_read(tmp_path):
    """The filled variable lost its netCDF encoding (int32 packing with a scale factor, zlib): a DUACS-like file came
    back as uncompressed float64 (a review). It keeps the source variable's encoding, in Datasets and DataArrays."""
    ds = geoinr.datasets.synthetic_grid(days=2, resolution=0.5, gap_fraction=0.3, seed=0)[["sla"]]
    enc = {"sla": {"dtype": "int32", "scale_factor": 1e-4, "_FillValue": -2147483647, "zlib": True, "complevel": 4}}
    ds.to_netcdf(tmp_path / "in.nc", encoding=enc)
    with xr.open_dataset(tmp_path / "in.nc") as opened:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            out = opened.inr.fill_gaps("sla", **QUICK)
            one = opened.sla.inr.fill_gaps(**QUICK)
        for filled in (out.sla, one):
            assert filled.encoding["dtype"] == np.dtype("int32") and filled.encoding["scale_factor"] == 1e-4
            assert filled.encoding["zlib"] is True
        out.to_netcdf(tmp_path / "out.nc")
    with xr.open_dataset(tmp_path / "out.nc", mask_and_scale=False) as raw:
        assert raw.sla.dtype == np.int32 and raw.sla.attrs["scale_factor"] == 1e-4
    with xr.open_dataset(tmp_path / "out.nc") as back:
        assert float(np.abs(back.sla - out.sla).max()) <= 1e-4 and bool(back.sla.notnull().all())
    # packed without a declared fill (DUACS's adt) and land left NaN: the NaN are written as a declared fill, not as
    # an arbitrary integer (xarray warned, and the file had an undeclared land value again: a second review)
    land = (ds.lon > 7.0) & (ds.lat > 36.0)
    packed = ds.assign(sla=ds.sla.where(~land, -214748.3648))
    packed.to_netcdf(tmp_path / "duacs.nc", encoding={"sla": {"dtype": "int32", "scale_factor": 1e-4}})
    with xr.open_dataset(tmp_path / "duacs.nc") as opened:
        assert "_FillValue" not in opened.sla.encoding
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            out = opened.inr.fill_gaps("sla", **QUICK)
        assert bool(out.sla.where(land).isnull().sum() > 0)
        with warnings.catch_warnings():
            warnings.filterwarnings("error", message=".*without any _FillValue")
            out.to_netcdf(tmp_path / "filled.nc")
    with xr.open_dataset(tmp_path / "filled.nc") as back:
        assert back.sla.encoding["_FillValue"] == np.iinfo(np.int32).min
        assert bool((back.sla.isnull() == out.sla.isnull()).all())
    # NetCDF-3 unsigned bytes (_Unsigned): the signed minimum is a valid unsigned value; -1 (255) is declared instead
    from geoinr.accessor import _written_back

    assert _written_back({"dtype": np.dtype("int8"), "_Unsigned": "true"})["_FillValue"] == -1
    assert _written_back({"dtype": np.dtype("uint16")})["_FillValue"] == np.iinfo(np.uint16).max
    assert "_FillValue" not in _written_back({"dtype": np.dtype("int16"), "missing_value": -1})


def test_regrid_carries_the_sources_history_on():
    """A regridded map's history read "INRModel.predict" alone (a review): the source's history goes on, with a line
    saying it was regridded and by what."""
    ds = geoinr.datasets.synthetic_grid(days=2, resolution=0.5, seed=0)
    ds.attrs["history"] = "2019-01-01: made by a producer"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        out = ds.inr.regrid(1.0, "sla", **QUICK)
        one = ds.sla.assign_attrs(history="2019-01-01: the variable's own").inr.regrid(1.0, **QUICK)
    lines = out.attrs["history"].splitlines()
    assert lines[0] == "2019-01-01: made by a producer" and "regridded by geoinr" in lines[-1]
    assert one.attrs["history"].startswith("2019-01-01: the variable's own") and "regridded by" in one.attrs["history"]


def test_regrid_at_a_resolution_keeps_the_sources_time_axis(tmp_path):
    """``regrid(0.125)`` of a DUACS-like source lost its time axis's long_name and netCDF encoding (units, calendar),
    so the regridded file was written in other time units (a dask review)."""
    ds = geoinr.datasets.synthetic_grid(days=2, resolution=1.0, seed=0)
    ds.time.attrs["long_name"] = "Time"
    ds.time.encoding.update(units="days since 1950-01-01 00:00:00", calendar="gregorian")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        out = ds.inr.regrid(0.5, "sla", **QUICK)
    assert out.time.attrs["long_name"] == "Time"
    out.to_netcdf(tmp_path / "out.nc")
    with xr.open_dataset(tmp_path / "out.nc", decode_times=False) as raw:
        assert raw.time.attrs["units"].startswith("days since 1950-01-01")  # (xarray writes the date alone)
    np.testing.assert_array_equal(out.time.values, ds.time.values)
