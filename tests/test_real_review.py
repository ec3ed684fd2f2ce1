"""A review of the real-data workflow (2026-12-07, fourth session; the L3 SARAL day and DUACS maps): each test
failed before its fix.

- ``fill_gaps`` of one map with its land masked to NaN filled the land in silence (the README promised a warning
  naming what to do; ``land="missing"`` then left every gap NaN too, one map cannot tell them apart);
- ``scores`` of a DataArray named otherwise than the fitted variable named the fitted variable in its fill-value
  warning (the reference's ``adt`` called ``adt_unfiltered``).
"""
import warnings

import numpy as np
import pytest
import xarray as xr

import geoinr

FIT = dict(width=16, depth=1, epochs=2, max_time=None, progress=False, seed=0)


def _one_map():
    lat, lon = np.arange(30.0, 36.0, 0.25), np.arange(280.0, 288.0, 0.25)
    field = 0.3 * np.sin(np.radians(lon)[None, :] * 40) * np.cos(np.radians(lat)[:, None] * 30)
    field[:, :6] = np.nan  # land, masked to NaN as the data's README suggests
    field[10:14, 15:20] = np.nan  # a hole at sea
    da = xr.DataArray(field[None], dims=("time", "latitude", "longitude"), name="adt",
                      coords={"time": [np.datetime64("2019-01-01")], "latitude": lat, "longitude": lon},
                      attrs={"units": "m"})
    sea = xr.DataArray(np.arange(lon.size) >= 6, dims=("longitude",), coords={"longitude": lon})
    return da, sea


def test_fill_gaps_of_one_map_says_land_and_gaps_cannot_be_told_apart():
    da, sea = _one_map()
    with pytest.warns(UserWarning, match=r"cells of this single map are NaN.*give mask="):
        filled = da.to_dataset().inr.fill_gaps("adt", **FIT)
    assert np.isfinite(filled.adt.values).all()  # land filled too: what the warning says
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        kept = da.to_dataset().inr.fill_gaps("adt", mask=sea, **FIT)
    assert not any("single map" in str(w.message) for w in seen)
    assert np.isnan(kept.adt.values[..., :6]).all() and np.isfinite(kept.adt.values[..., 10:14, 15:20]).all()


def test_scores_name_the_reference_by_its_own_name():
    tracks = geoinr.datasets.synthetic_tracks(days=2, seed=0).rename({"sla": "adt_unfiltered"})
    model = tracks.inr.fit("adt_unfiltered", **FIT)
    lat, lon = np.arange(31.0, 39.0), np.arange(1.0, 9.0)
    values = np.linspace(-0.3, 0.3, lat.size * lon.size).reshape(1, lat.size, lon.size)
    values[0, :2, :] = -999.0  # the reference's land, an undeclared fill value
    reference = xr.DataArray(values, dims=("time", "lat", "lon"), name="adt",
                             coords={"time": [tracks.time.values[100]], "lat": lat, "lon": lon}, attrs={"units": "m"})
    with pytest.warns(UserWarning, match=r"Variable 'adt'"):
        model.scores(reference)


def test_derived_fields_no_balanced_ocean_holds_are_warned_of():
    from geoinr.model.surrogate import _warn_derived

    lat, lon = np.meshgrid(np.linspace(6.0, 10.0, 20), np.linspace(200.0, 210.0, 20), indexing="ij")
    f = 2 * 7.2921159e-5 * np.sin(np.radians(lat))
    calm = {"zeta": 0.3 * f}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a balanced map: quiet
        _warn_derived("relative_vorticity", [lon, lat], 5.0, calm)
        _warn_derived("geostrophic_velocity", [lon, lat], 5.0, {"ugos": np.full(lat.shape, 1.5), "vgos": np.zeros(lat.shape)})
    wild = {"zeta": np.where(lat < 7.0, 5.0 * f, 0.3 * f)}  # a sparse fit's curvature between its tracks
    with pytest.warns(UserWarning, match=r"\|zeta / f\| exceeds 1 at 25% of the points"):
        _warn_derived("relative_vorticity", [lon, lat], 5.0, wild)
    with pytest.warns(UserWarning, match="Geostrophic speeds reach 48 m/s"):
        _warn_derived("geostrophic_velocity", [lon, lat], 5.0, {"ugos": np.full(lat.shape, 48.0), "vgos": np.zeros(lat.shape)})


def test_a_map_that_marks_its_land_and_a_record_beside_a_static_field_get_the_right_words():
    da, _ = _one_map()
    marked = da.copy(data=np.where(np.isnan(da.values) & (da.longitude.values < 281.5), -999.0, da.values))
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        marked.to_dataset().inr.fill_gaps("adt", **FIT)  # land as -999 (kept as land): its NaN are gaps
    assert not any("single map" in str(w.message) for w in seen)
    record = xr.concat([da, da.assign_coords(time=[np.datetime64("2019-01-02")])], "time").to_dataset()
    record["mdt"] = xr.DataArray(np.ones((da.latitude.size, da.longitude.size)), dims=("latitude", "longitude"))
    with pytest.warns(UserWarning, match="hold no value at any time") as seen:
        record.inr.fill_gaps(["adt", "mdt"], **FIT)
    assert not any("single map" in str(w.message) for w in seen)


def test_offline_coastlines_are_asked_for_and_warned_of_once_a_session(monkeypatch):
    import sys
    import types

    from geoinr import plot

    asked = []

    def offline(**kwargs):
        asked.append(kwargs["resolution"])
        raise OSError("offline")

    reader = types.SimpleNamespace(natural_earth=offline)
    monkeypatch.setitem(sys.modules, "cartopy", types.SimpleNamespace(io=types.SimpleNamespace(shapereader=reader)))
    monkeypatch.setitem(sys.modules, "cartopy.io", types.SimpleNamespace(shapereader=reader))
    monkeypatch.setitem(sys.modules, "cartopy.io.shapereader", reader)
    monkeypatch.setattr(plot, "_COASTLINES", {"missing": set(), "warned": False})
    with pytest.warns(UserWarning, match="Coastlines not drawn"):
        assert not plot._coastlines(None, 10.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert not plot._coastlines(None, 10.0) and not plot._coastlines(None, 60.0)
    assert asked == ["50m", "110m"]  # each resolution asked for once, not once a panel


def test_scores_warn_once_of_a_reference_outside_the_fit_and_not_of_the_first_midnight():
    tracks = geoinr.datasets.synthetic_tracks(days=4, seed=0)  # its first observation at 13:24 on day 0
    model = tracks.inr.fit("sla", **FIT)
    grid = geoinr.datasets.synthetic_grid(days=4, resolution=1.0)  # daily maps from midnight
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        model.scores(grid.sla_true.rename("sla"))
    assert not any("outside the fitted" in str(w.message) for w in seen)
    shifted = grid.sla_true.rename("sla").assign_coords(lon=grid.lon + 20.0)  # a reference 20 deg away
    with pytest.warns(UserWarning, match="lie outside the fitted region") as seen:
        model.scores(shifted)
    assert sum("outside the fitted region" in str(w.message) for w in seen) == 1


def test_isolated_never_observed_cells_are_gaps_not_land():
    grid = geoinr.datasets.synthetic_grid(days=3, resolution=1.0, gap_fraction=0.5, seed=0)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        grid.inr.fill_gaps("sla", **FIT)
    assert not any("hold no value at any time" in str(w.message) for w in seen)


def test_a_brief_grid_fit_is_warned_of_once():
    grid = geoinr.datasets.synthetic_grid(days=4, resolution=0.25, seed=0)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        grid.inr.fit("sla", max_time=1.0, progress=False)
    budget = [str(w.message) for w in seen if str(w.message).startswith("The time budget ended this fit")]
    assert len(budget) == 1 and "grid's own values" in budget[0]
