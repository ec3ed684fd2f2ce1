"""A review of ocean-model grids (2026-12-07, fourth session): each test failed before its fix.

- MOM6: the nominal 1-D axes ``xh``/``yh`` were taken over the true 2-D ``geolon``/``geolat`` (up to 7 degrees
  off in the tripolar cap), in silence;
- C-grids: ``ds.inr.fit("u")`` of a ROMS Dataset read ``lat_rho`` though ``u`` names ``lat_u``, then advised to
  select a level of ``eta_u``; MOM6's ``uo(yh, xq)`` read ``xh``;
- ``fill_gaps(mask=tmask)`` fitted a land stored as 0.0 as sea level (coastal gaps 90 times worse);
- ``plot_maps`` of a curvilinear grid across the dateline in [-180, 180) spread it over the globe;
- a target grid holding a grid mapping that no data variable names lost it, and derived fields never had it;
- velocities along a model grid's axes were taken as eastward/northward by ``physics="mass"`` in silence.
"""
import warnings

import matplotlib
import numpy as np
import pytest
import xarray as xr

import geoinr
from geoinr.coords import find_coords

matplotlib.use("Agg")
FIT = dict(width=16, depth=1, epochs=30, max_time=None, progress=False, seed=0)
TIMES = np.array(["2020-01-01", "2020-01-02", "2020-01-03"], dtype="datetime64[ns]")


def _latlon(ds, **kw):
    names = find_coords(ds, **kw)
    return names.lat, names.lon


def _eta(lat, lon, k=0):
    return 0.1 * np.sin(np.radians(3 * lon) + 0.1 * k) * np.cos(np.radians(4 * lat))


def _mom6(geo_as_coords=True):
    xh, yh = np.linspace(-295.0, 55.0, 36), np.linspace(62.0, 88.0, 14)
    x, y = np.meshgrid(xh, yh)
    w = np.clip((y - 65.0) / 25.0, 0.0, 1.0)  # a crude tripolar cap: the true positions bend north of 65 N
    geolat = y - 8.0 * w * np.abs(np.sin(np.radians(x + 300.0) / 2.0))
    geolon = (x + 25.0 * w * np.sin(np.radians(2.0 * (x + 300.0))) + 180.0) % 360.0 - 180.0
    ds = xr.Dataset(
        {"zos": (("time", "yh", "xh"), np.stack([_eta(geolat, geolon, k) for k in range(3)]), {"units": "m"})},
        coords={"xh": ("xh", xh, {"units": "degrees_east", "axis": "X", "long_name": "h point nominal longitude"}),
                "yh": ("yh", yh, {"units": "degrees_north", "axis": "Y", "long_name": "h point nominal latitude"}),
                "time": ("time", TIMES)})
    geo = {"geolon": (("yh", "xh"), geolon, {"units": "degrees_east"}),
           "geolat": (("yh", "xh"), geolat, {"units": "degrees_north"})}
    return ds.assign_coords(geo) if geo_as_coords else ds.assign(geo)


def test_mom6_true_positions_beat_its_nominal_axes():
    ds = _mom6(geo_as_coords=True)
    assert _latlon(ds, variables=["zos"]) == ("geolat", "geolon")
    model = ds.inr.fit("zos", **FIT)
    assert model.coord_names_["lat"] == "geolat" and model.region_[3] < 88.0  # the cap bends below the nominal 88
    # as data variables (a static file merged in) they are not taken (a 2-D field in degrees may be anything), but
    # the fit says so and how to take them
    with pytest.warns(UserWarning, match=r"'geolon', 'geolat'.*set_coords"):
        assert _latlon(_mom6(geo_as_coords=False), variables=["zos"]) == ("yh", "xh")


def test_2d_fields_in_degrees_and_redundant_meshes_do_not_displace_a_regular_grid():
    lat, lon = np.arange(30.0, 35.0), np.arange(0.0, 6.0)
    la, lo = np.meshgrid(lat, lon, indexing="ij")
    base = xr.Dataset({"sla": (("lat", "lon"), np.zeros((5, 6)))},
                      coords={"lat": ("lat", lat, {"units": "degrees_north"}), "lon": ("lon", lon, {"units": "degrees_east"})})
    origin = base.assign(lat_origin=(("lat", "lon"), la + 3.0, {"units": "degrees_north"}),
                         lon_origin=(("lat", "lon"), lo - 2.0, {"units": "degrees_east"}))  # where particles started
    assert _latlon(origin, variables=["sla"]) == ("lat", "lon")
    mesh = base.assign_coords(lat2d=(("lat", "lon"), la, {"units": "degrees_north"}),
                              lon2d=(("lat", "lon"), lo, {"units": "degrees_east"}))  # the same positions again
    assert _latlon(mesh, variables=["sla"]) == ("lat", "lon")
    named = base.copy()
    named["sla"].encoding["coordinates"] = "lat_bnds lon_bnds"  # a file naming its bounds: never coordinates
    named = named.assign_coords(lat_bnds=(("lat", "nv"), np.stack([lat - 0.5, lat + 0.5], 1), {"units": "degrees_north"}),
                                lon_bnds=(("lon", "nv"), np.stack([lon - 0.5, lon + 0.5], 1), {"units": "degrees_east"}))
    named["lat"].attrs["bounds"], named["lon"].attrs["bounds"] = "lat_bnds", "lon_bnds"
    assert _latlon(named, variables=["sla"]) == ("lat", "lon")


def test_bounds_and_regular_axes_are_not_taken_for_a_2d_grid():
    lat, lon = np.arange(30.0, 35.0), np.arange(0.0, 6.0)
    ds = xr.Dataset({"sla": (("lat", "lon"), np.zeros((5, 6)))},
                    coords={"lat": ("lat", lat, {"units": "degrees_north", "bounds": "lat_bnds"}),
                            "lon": ("lon", lon, {"units": "degrees_east"}),
                            "lat_bnds": (("lat", "nv"), np.stack([lat - 0.5, lat + 0.5], 1), {"units": "degrees_north"})})
    assert _latlon(ds, variables=["sla"]) == ("lat", "lon")


def _roms(decoded=False):
    la = 35.0 + 0.3 * np.arange(14)[:, None] + 0.1 * np.arange(16)[None, :]
    lo = -70.0 + 0.3 * np.arange(16)[None, :] - 0.1 * np.arange(14)[:, None]
    la_u, lo_u = 0.5 * (la[:, 1:] + la[:, :-1]), 0.5 * (lo[:, 1:] + lo[:, :-1])
    la_v, lo_v = 0.5 * (la[1:] + la[:-1]), 0.5 * (lo[1:] + lo[:-1])

    def c(what):
        return {"standard_name": what, "units": "degree_north" if what == "latitude" else "degree_east"}

    def var(dims, la_, lo_, names):
        attrs = {"units": "m s-1", "coordinates": names}
        return (dims, np.stack([_eta(la_, lo_, k) for k in range(3)]), attrs)

    ds = xr.Dataset(
        {"u": var(("ocean_time", "eta_u", "xi_u"), la_u, lo_u, "lon_u lat_u ocean_time"),
         "v": var(("ocean_time", "eta_v", "xi_v"), la_v, lo_v, "lon_v lat_v ocean_time"),
         "zeta": var(("ocean_time", "eta_rho", "xi_rho"), la, lo, "lon_rho lat_rho ocean_time")},
        coords={"lat_rho": (("eta_rho", "xi_rho"), la, c("latitude")), "lon_rho": (("eta_rho", "xi_rho"), lo, c("longitude")),
                "lat_u": (("eta_u", "xi_u"), la_u, c("latitude")), "lon_u": (("eta_u", "xi_u"), lo_u, c("longitude")),
                "lat_v": (("eta_v", "xi_v"), la_v, c("latitude")), "lon_v": (("eta_v", "xi_v"), lo_v, c("longitude")),
                "ocean_time": ("ocean_time", TIMES)})
    if decoded:  # as xarray leaves a file it opened: `coordinates` moved to encoding
        for name in ("u", "v", "zeta"):
            ds[name].encoding["coordinates"] = ds[name].attrs.pop("coordinates")
    return ds


@pytest.mark.parametrize("decoded", [False, True])
def test_a_staggered_variable_is_read_on_the_coordinates_it_names(decoded):
    ds = _roms(decoded)
    assert _latlon(ds, variables=["u"]) == ("lat_u", "lon_u")
    assert _latlon(ds, variables=["v"]) == ("lat_v", "lon_v")
    assert _latlon(ds, variables=["zeta"]) == ("lat_rho", "lon_rho")
    assert ds.inr.fit("u", **FIT).coord_names_["lat"] == "lat_u"


def test_variables_on_two_grids_fitted_together_are_refused_with_the_reason():
    with pytest.raises(ValueError, match=r"'v' lies on other horizontal coordinates \('lat_v', 'lon_v'\).*share one grid"):
        _roms().inr.fit(["u", "v"], **FIT)


def test_a_mom6_velocity_on_its_own_nominal_axes_is_read_on_them():
    xh = np.linspace(-60.5, -40.5, 21)
    yh = np.linspace(20.5, 35.5, 16)

    def ax(name, units):
        return {"units": units, "long_name": name, "axis": "X" if "east" in units else "Y"}

    ds = xr.Dataset(
        {"uo": (("time", "yh", "xq"), np.zeros((3, 16, 21)), {"units": "m s-1"}),
         "zos": (("time", "yh", "xh"), np.zeros((3, 16, 21)), {"units": "m"})},
        coords={"xh": ("xh", xh, ax("h point nominal longitude", "degrees_east")),
                "xq": ("xq", xh + 0.5, ax("q point nominal longitude", "degrees_east")),
                "yh": ("yh", yh, ax("h point nominal latitude", "degrees_north")), "time": ("time", TIMES)})
    assert _latlon(ds, variables=["uo"]) == ("yh", "xq")
    assert _latlon(ds, variables=["zos"]) == ("yh", "xh")


def _coast(land_value):
    """A curvilinear coastal grid, its land east of column 15 (``land_value`` there, or NaN), coastal gaps."""
    ny, nx = 20, 24
    lat = 40.0 + 0.25 * np.arange(ny)[:, None] + 0.05 * np.arange(nx)[None, :]
    lon = -30.0 + 0.25 * np.arange(nx)[None, :] - 0.05 * np.arange(ny)[:, None]
    eta = np.stack([_eta(lat, lon, k) for k in range(3)]) + 0.5
    land = np.broadcast_to(np.arange(nx)[None, :] > 15, (ny, nx))
    eta[:, land] = land_value
    eta[1:3, 4:16, 12:16] = np.nan
    return xr.Dataset({"zos": (("time", "y", "x"), eta, {"units": "m"}), "tmask": (("y", "x"), ~land)},
                      coords={"nav_lat": (("y", "x"), lat, {"standard_name": "latitude"}),
                              "nav_lon": (("y", "x"), lon, {"standard_name": "longitude"}), "time": ("time", TIMES)})


def test_fill_gaps_with_a_mask_neither_fits_nor_changes_what_lies_outside_it():
    zeros, nans = _coast(0.0), _coast(np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # the land outside the mask is outside the fitted region: quiet
        filled = zeros.inr.fill_gaps("zos", mask=zeros.tmask, **FIT)
    reference = nans.inr.fill_gaps("zos", mask=nans.tmask, **FIT)
    gaps = np.isnan(zeros.zos.values)
    np.testing.assert_allclose(filled.zos.values[gaps], reference.zos.values[gaps], atol=1e-6)
    assert (filled.zos.values[:, ~zeros.tmask.values] == 0.0).all()  # kept as it was: neither fitted nor filled
    assert np.isnan(reference.zos.values[:, ~nans.tmask.values]).all()


def test_plot_maps_draws_a_curvilinear_grid_across_the_dateline_where_it_is():
    import matplotlib.pyplot as plt

    lat = 10.0 + 0.5 * np.arange(12)[:, None] + 0.0 * np.arange(20)[None, :]
    lon = 175.0 + 0.5 * np.arange(20)[None, :] + 0.1 * np.arange(12)[:, None]
    lon = (lon + 180.0) % 360.0 - 180.0  # in [-180, 180): 175 ... 180, -180 ... -175
    da = xr.DataArray(_eta(lat, lon), dims=("y", "x"), name="zos",
                      coords={"lat": (("y", "x"), lat, {"units": "degrees_north"}),
                              "lon": (("y", "x"), lon, {"units": "degrees_east"})})
    fig, axes = geoinr.plot.plot_maps(da, da + 0.01)
    west, east = next(iter(axes.values())).get_xlim()
    assert east - west < 20.0
    plt.close(fig)


def test_a_grid_mapping_of_a_target_grid_alone_reaches_the_outputs():
    data = geoinr.datasets.synthetic_grid(days=2, resolution=1.0)
    model = data.inr.fit("sla", **FIT)
    target = data.drop_vars("sla").assign(crs=((), 0, {"grid_mapping_name": "latitude_longitude"}))
    assert model.predict(target).attrs["grid_mapping"] == "crs"
    derived = model.derive("geostrophic_velocity", target)
    assert all(derived[k].attrs.get("grid_mapping") == "crs" for k in derived.data_vars)


def test_velocities_along_a_grid_axis_warn_under_the_mass_constraint():
    data = geoinr.datasets.synthetic_grid(days=2, resolution=1.0)
    uv = xr.Dataset({"u": data.sla.assign_attrs(units="m s-1", standard_name="sea_water_x_velocity"),
                     "v": data.sla.assign_attrs(units="m s-1", standard_name="sea_water_y_velocity")})
    with pytest.warns(UserWarning, match="along a model grid's axes.*rotate them first"):
        uv.inr.fit(["u", "v"], physics="mass", physics_weight=0.1, **FIT)
    east = uv.assign(u=uv.u.assign_attrs(standard_name="eastward_sea_water_velocity"),
                     v=uv.v.assign_attrs(standard_name="northward_sea_water_velocity"))
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        east.inr.fit(["u", "v"], physics="mass", physics_weight=0.1, **FIT)
    assert not any("grid's axes" in str(w.message) for w in seen)
