"""A review of SWOT KaRIn swaths as users receive them (num_lines x num_pixels, 2-D latitude/longitude, a time per
line, a quality flag): a swath is scattered observations, not a grid; flags are warned of; merged files' own
coordinates are found."""
import warnings

import numpy as np
import pytest
import xarray as xr

import geoinr
from geoinr.observations import quality_flags, read

SMALL = dict(width=8, depth=1, epochs=1, max_time=None, progress=False)


def swath(n_lines=60, n_passes=4, flagged=0.05, seed=0):
    """SWOT-like passes: 2 km lines and pixels (-60..60 km), a nadir gap, a time per line, a uint quality flag."""
    rng = np.random.default_rng(seed)
    x = np.arange(-60.0, 61.0, 2.0)
    passes = []
    for p in range(n_passes):
        lat_c = 30.0 + np.arange(n_lines) * 2.0 / 111.0
        lon_c = 1.0 + 2.0 * p + 0.2 * (lat_c - 30.0)
        lat = np.broadcast_to(lat_c[:, None], (n_lines, x.size)).copy()
        lon = lon_c[:, None] + x[None, :] / (111.0 * np.cos(np.radians(lat)))
        ssha = 0.1 * np.sin(lon) * np.cos(lat) + 0.005 * rng.standard_normal(lat.shape)
        ssha[:, np.abs(x) < 10] = np.nan
        qual = (rng.random(lat.shape) < flagged).astype(np.uint32) * 8
        t = np.datetime64("2026-03-01", "ns") + np.timedelta64(int(p * 0.5 * 86400e9), "ns") \
            + (np.arange(n_lines) * 0.3e9).astype("timedelta64[ns]")
        dims = ("num_lines", "num_pixels")
        passes.append(xr.Dataset(
            {"ssha_karin_2": (dims, ssha + 0.5 * (qual > 0), {"units": "m", "quality_flag": "ssha_karin_2_qual"}),
             "ssha_karin_2_qual": (dims, qual, {"flag_masks": np.array([1, 2, 4, 8], np.uint32),
                                                "flag_meanings": "a b c suspect_pixel"})},
            coords={"latitude": (dims, lat, {"units": "degrees_north"}),
                    "longitude": (dims, lon, {"units": "degrees_east"}), "time": ("num_lines", t)}))
    return xr.concat(passes, dim="num_lines")


def test_a_swath_is_not_a_grid():
    """Its 2-D coordinates made it a grid: scales from the 2 km pixels (1.7 km on 80 passes), no held-out points."""
    ds = swath(flagged=0.0)
    obs = read(ds, variables=["ssha_karin_2"])
    assert not obs.gridded
    model = ds.inr.fit("ssha_karin_2", **SMALL)
    assert model.validation_ > 0  # scattered observations hold some out
    assert model.encoding_config_["min_wavelength"] > 8.0  # not the pixels' 4 km
    # a curvilinear model grid (time apart from its 2-D coordinates) is still a grid
    grid = geoinr.datasets.synthetic_grid(days=2, resolution=1.0)
    names = geoinr.coords.find_coords(grid)
    lat2, lon2 = xr.broadcast(grid[names.lat], grid[names.lon])
    curvi = grid.rename({names.lat: "y", names.lon: "x"}).drop_vars(["y", "x"]).assign_coords(
        latitude=(("y", "x"), lat2.values), longitude=(("y", "x"), lon2.values))
    found = geoinr.coords.find_coords(curvi)
    assert (found.lat, found.lon) == ("latitude", "longitude")  # the 2-D coordinates (no 1-D axis left)
    assert read(curvi, variables=["sla"]).gridded


def test_quality_flags_warned_until_masked():
    ds = swath()
    assert quality_flags(ds, "ssha_karin_2", ds.ssha_karin_2) == ["ssha_karin_2_qual"]
    with pytest.warns(geoinr.GeoinrWarning, match=r"carry a quality flag in 'ssha_karin_2_qual' other than its "
                                                  r"usual 0 \(flag_meanings: 'a b c suspect_pixel'\)"):
        ds.inr.fit("ssha_karin_2", **SMALL)
    good = ds.assign(ssha_karin_2=ds.ssha_karin_2.where(ds.ssha_karin_2_qual == 0))  # the message's recipe
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*quality flag.*")
        good.inr.fit("ssha_karin_2", **SMALL)
        kept = ds.assign(ssha_karin_2=ds.ssha_karin_2.where(ds.ssha_karin_2_qual <= 8)).drop_vars("ssha_karin_2_qual")
        kept.inr.fit("ssha_karin_2", **SMALL)  # a choice made, the flags dropped: silent, as the message says
        counts = ds.assign(n_obs=ds.ssha_karin_2_qual.astype("int32") // 8 + 1)  # an integer count, no flag attrs
        counts.ssha_karin_2.attrs.update(ancillary_variables="n_obs", quality_flag="")
        good.assign(n_obs=counts.n_obs, ssha_karin_2=good.ssha_karin_2.assign_attrs(ancillary_variables="n_obs")) \
            .inr.fit("ssha_karin_2", **SMALL)
    with pytest.warns(geoinr.GeoinrWarning, match="in a sample of its first values"):  # passes read lazily
        ds.chunk({"num_lines": 60}).inr.fit("ssha_karin_2", **SMALL)


def test_a_swath_fitted_twice_is_warned_of():
    """The repeated-times check ran on grids only: a pass concatenated twice was fitted twice in silence."""
    one = swath(n_passes=1, flagged=0.0)
    with pytest.warns(geoinr.GeoinrWarning, match="repeats 60 of its 120 times"):
        xr.concat([one, one], dim="num_lines").inr.fit("ssha_karin_2", **SMALL)


def test_merged_file_finds_each_variables_own_coordinates():
    """A swath merged beside tracks whose `coordinates` attribute still named the file's 'latitude'."""
    tracks = geoinr.datasets.synthetic_tracks(days=2, seed=0)
    names = geoinr.coords.find_coords(tracks)
    nadir = tracks.rename({names.lat: "lat_nadir", names.lon: "lon_nadir", names.time: "time_nadir"})
    nadir.sla.encoding["coordinates"] = f"{names.lat} {names.lon}"  # stale after the rename
    merged = xr.merge([swath(flagged=0.0)[["ssha_karin_2"]], nadir])
    model = merged.inr.fit("sla", **SMALL)  # refused before: "lies on other horizontal coordinates"
    assert model.coord_names_["lat"] == "lat_nadir"


def test_along_track_resolution_of_a_swath_column_by_column():
    """Two (num_lines, num_pixels) arrays were refused ("must be 1-D series"): each pixel column is a track."""
    ds = swath(n_lines=300, n_passes=1, flagged=0.0)
    ref = ds.ssha_karin_2
    est = ref + 0.002 * np.random.default_rng(1).standard_normal(ref.shape)
    result = geoinr.metrics.effective_resolution_along_track(est, ref, segment_km=200)
    each = 0
    for j in np.flatnonzero(np.isfinite(ref).any("num_lines").values):  # column by column, summed
        each += geoinr.metrics.effective_resolution_along_track(est.isel(num_pixels=j), ref.isel(num_pixels=j),
                                                                segment_km=200).n_samples
    assert result.n_samples == each
    untimed = geoinr.metrics.effective_resolution_along_track(est.drop_vars("time"), ref.drop_vars("time"),
                                                              segment_km=200)  # SWOT's time: a data variable
    assert untimed.n_samples == result.n_samples
    grid = geoinr.datasets.synthetic_grid(days=1, resolution=0.5).sla.isel(time=0)  # a map: no swath, refused
    with pytest.raises(ValueError, match="1-D series"):
        geoinr.metrics.effective_resolution_along_track(grid + 0.01, grid)
