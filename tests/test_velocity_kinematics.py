"""Vorticity, divergence, strain and Okubo-Weiss of a fitted velocity pair (2026-12-07, eighth session).

An HF radar review: ``derive`` took a height alone, so a fitted current's vorticity (the reason to fit a smooth
surrogate of radar or drifter currents) meant two ``gradient`` calls combined by hand, in cm s-1 m-1 (100 times
off in s-1) and without the sphere's metric terms.
"""
import warnings

import numpy as np
import pytest
import torch
import xarray as xr

import geoinr
from geoinr.physics import derivatives
from geoinr.physics.constants import EARTH_RADIUS_M
from geoinr.physics.kinematics import kinematics
from geoinr.model import velocity as _velocity

R = EARTH_RADIUS_M


def _flow(raw):
    """An analytic velocity on the sphere (m/s) of raw (lon deg, lat deg): rotation, divergence and shear."""
    lam, phi = torch.deg2rad(raw[:, 0]), torch.deg2rad(raw[:, 1])
    u = 0.3 * torch.sin(3 * lam) * torch.cos(2 * phi) + 0.1 * torch.sin(phi)
    v = 0.2 * torch.cos(2 * lam) * torch.sin(3 * phi) - 0.05 * torch.cos(lam)
    return u, v


def _spherical_fd(quantity, lon, lat, h=1e-4):
    """The quantity by centred differences of the spherical formulas (curl and divergence with cos(lat))."""
    def uv(lo, la):
        return [x.numpy() for x in _flow(torch.tensor(np.column_stack([lo, la]), dtype=torch.float64))]
    lam_h, phi_h = np.radians(h), np.radians(h)
    (ue, ve), (uw, vw) = uv(lon + h, lat), uv(lon - h, lat)
    (un, vn), (us, vs) = uv(lon, lat + h), uv(lon, lat - h)
    cos = np.cos(np.radians(lat))
    cos_n, cos_s = np.cos(np.radians(lat + h)), np.cos(np.radians(lat - h))
    if quantity == "relative_vorticity":
        return ((ve - vw) / (2 * lam_h) - (un * cos_n - us * cos_s) / (2 * phi_h)) / (R * cos)
    return ((ue - uw) / (2 * lam_h) + (vn * cos_n - vs * cos_s) / (2 * phi_h)) / (R * cos)


@pytest.mark.parametrize("quantity,key", [("relative_vorticity", "zeta"), ("divergence", "div")])
def test_the_formulas_are_the_spherical_curl_and_divergence(quantity, key):
    rng = np.random.default_rng(0)
    lon, lat = rng.uniform(-180, 180, 200), rng.uniform(-80, 80, 200)
    raw = torch.tensor(np.column_stack([lon, lat]), dtype=torch.float64)
    du = derivatives(lambda r: _flow(r)[0], raw, laplacian=False)
    dv = derivatives(lambda r: _flow(r)[1], raw, laplacian=False)
    got = kinematics(quantity, du, dv, raw[:, 1])[key].numpy()
    np.testing.assert_allclose(got, _spherical_fd(quantity, lon, lat), rtol=1e-5, atol=1e-12)


def test_strain_and_okubo_weiss_are_frame_free():
    """Strain rate and Okubo-Weiss do not depend on which way x points: a pure shear and the same shear rotated
    45 degrees (a pure stretch) have one strain rate; solid rotation has none and a negative W."""
    lat = torch.zeros(1)
    zero = torch.zeros(1)
    s = 1e-5
    shear = kinematics("strain_rate", {"f": zero, "f_x": zero, "f_y": torch.tensor([s])},
                       {"f": zero, "f_x": torch.tensor([s]), "f_y": zero}, lat)["strain"]
    stretch = kinematics("strain_rate", {"f": zero, "f_x": torch.tensor([s]), "f_y": zero},
                         {"f": zero, "f_x": zero, "f_y": torch.tensor([-s])}, lat)["strain"]
    assert float(shear) == pytest.approx(2 * s) and float(stretch) == pytest.approx(2 * s)
    spin = ({"f": zero, "f_x": zero, "f_y": torch.tensor([-s])}, {"f": zero, "f_x": torch.tensor([s]), "f_y": zero})
    assert float(kinematics("strain_rate", *spin, lat)["strain"]) == 0.0
    assert float(kinematics("okubo_weiss", *spin, lat)["ow"]) == pytest.approx(-(2 * s) ** 2)


def _currents(units="cm s-1"):
    lon, lat = np.arange(-1.0, 1.01, 0.1), np.arange(39.0, 41.01, 0.1)
    LON, LAT = np.meshgrid(lon, lat)
    raw = torch.tensor(np.column_stack([LON.ravel(), LAT.ravel()]), dtype=torch.float64)
    u, v = (x.numpy().reshape(LON.shape) for x in _flow(raw))
    k = {"cm s-1": 100.0, "m s-1": 1.0}[units]
    return xr.Dataset({"u": (("lat", "lon"), k * u, {"units": units, "standard_name": "surface_eastward_sea_water_velocity"}),
                       "v": (("lat", "lon"), k * v, {"units": units, "standard_name": "surface_northward_sea_water_velocity"})},
                      coords={"lat": lat, "lon": lon})


@pytest.fixture(scope="module")
def pair_fit():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _currents().inr.fit(["u", "v"], width=16, depth=1, epochs=20, max_time=None, seed=0, progress=False)


def test_a_pairs_vorticity_is_in_per_second_and_that_of_its_own_predictions(pair_fit):
    """derive's vorticity and divergence are the finite differences of the same model's predictions, in s-1 from
    cm/s, with the metric term."""
    lon, lat = np.array([0.0, 0.3, -0.4]), np.array([40.0, 40.2, 39.6])
    h = 1e-3
    def at(lo, la):
        out = pair_fit.predict({"lon": lo, "lat": la})
        return out[:, 0] / 100.0, out[:, 1] / 100.0  # m/s
    (ue, ve), (uw, vw) = at(lon + h, lat), at(lon - h, lat)
    (un, vn), (us, vs) = at(lon, lat + h), at(lon, lat - h)
    u0, v0 = at(lon, lat)
    dx = np.radians(2 * h) * R * np.cos(np.radians(lat))
    dy = np.radians(2 * h) * R
    zeta_fd = (ve - vw) / dx - (un - us) / dy + u0 * np.tan(np.radians(lat)) / R
    div_fd = (ue - uw) / dx + (vn - vs) / dy - v0 * np.tan(np.radians(lat)) / R
    target = xr.Dataset(coords={"lon": ("p", lon), "lat": ("p", lat)})
    zeta = pair_fit.derive("relative_vorticity", target)
    div = pair_fit.derive("divergence", target)
    assert zeta.zeta.attrs["units"] == "s-1" and "velocity (u, v)" in zeta.zeta.attrs["long_name"]
    assert "of ('u', 'v')" in zeta.attrs["history"]  # what was differentiated (a review)
    np.testing.assert_allclose(zeta.zeta.values, zeta_fd, rtol=2e-2, atol=2e-8)
    np.testing.assert_allclose(div.div.values, div_fd, rtol=2e-2, atol=2e-8)
    assert np.abs(zeta.zeta.values).max() > 1e-9  # a signal, not zeros (the fit is short)


def test_the_pair_is_named_by_a_tuple_and_wrong_requests_are_refused(pair_fit):
    grid = pair_fit.target_grid(0.5)
    named = pair_fit.derive("okubo_weiss", grid, variable=("u", "v"))
    assert named.ow.attrs["units"] == "s-2" and np.isfinite(named.ow.values).all()
    assert pair_fit.derive("strain_rate", grid).strain.attrs["units"] == "s-1"
    with pytest.raises(ValueError, match=r"one component of a velocity.*variable=\('u', 'v'\)"):
        pair_fit.derive("relative_vorticity", grid, variable="u")
    with pytest.raises(ValueError, match=r"give variable=\('u', 'v'\)"):
        pair_fit.derive("relative_vorticity", grid, variable=("v", "u"))
    with pytest.raises(ValueError, match="differentiates a sea-surface height"):
        pair_fit.derive("geostrophic_velocity", grid, variable=("u", "v"))
    with pytest.raises(ValueError, match="return_std"):
        pair_fit.derive("divergence", grid, return_std=True)
    assert pair_fit.derive("gradient", grid, variable="u").deta_dx.attrs["units"] == "cm s-1 m-1"  # as before


def _fit(ds, variables, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ds.inr.fit(variables, width=8, depth=1, epochs=2, max_time=None, seed=0, progress=False, **kw)


def test_the_diff_review_s_pair_requests():
    """ECMWF's m s**-1 is a speed; one component alone, a name twice, a height in a pair and an array of names get
    their own answers (a review of the feature: 'Several variables were fitted', a swap into another error, advice
    to label a velocity in metres, a TypeError)."""
    from geoinr.geometry import metres_per_second

    assert [metres_per_second(u) for u in ("m s**-1", "cm/sec", "knot", "kts")] == [1.0, 0.01, 0.514444, 0.514444]
    assert [metres_per_second(u) for u in ("ms-1", "cm.s-1", "meters/second", "kn")] == [1.0, 0.01, 1.0, 0.514444]
    ds = _currents("m s-1")
    for v in ("u", "v"):
        ds[v].attrs["units"] = "m s**-1"
    grid = xr.Dataset(coords={"lon": ("p", [0.0, 0.2]), "lat": ("p", [40.0, 40.1])})
    pair = _fit(ds, ["u", "v"])
    assert np.isfinite(pair.derive("relative_vorticity", grid).zeta.values).all()
    assert np.isfinite(pair.derive("divergence", grid, variable=np.array(["u", "v"])).div.values).all()
    assert np.isfinite(pair.derive("divergence", grid, variable=xr.DataArray(["u", "v"])).div.values).all()
    with pytest.raises(ValueError, match="names one variable twice"):
        pair.derive("divergence", grid, variable=("u", "u"))
    lone = _fit(_currents("cm s-1"), "u")
    with pytest.raises(ValueError, match=r"only 'u' was fitted"):
        lone.derive("relative_vorticity", grid)
    blank = _currents("cm s-1")
    blank["v"].attrs["units"] = "furlongs"
    with pytest.raises(ValueError, match=r"'v' has units 'furlongs', not a speed"):
        _fit(blank, ["u", "v"]).derive("relative_vorticity", grid)
    ds = _currents("m s-1")
    ds["adt"] = ds.u * 0 + 0.5
    ds["adt"].attrs = {"units": "m"}
    mixed = _fit(ds, ["adt", "u", "v"])
    with pytest.raises(ValueError, match="a length, not a velocity component"):
        mixed.derive("relative_vorticity", grid, variable=("adt", "u"))
    with pytest.raises(ValueError, match="not available for a velocity pair"):  # not "needs uncertainty=" first
        pair.derive("relative_vorticity", grid, return_std=True)


def test_grid_relative_components_are_warned_of():
    ds = _currents("m s-1")
    ds["u"].attrs["standard_name"] = "sea_water_x_velocity"
    ds["v"].attrs["standard_name"] = "sea_water_y_velocity"
    m = _fit(ds, ["u", "v"])
    grid = xr.Dataset(coords={"lon": ("p", [0.0]), "lat": ("p", [40.0])})
    with pytest.warns(geoinr.GeoinrWarning, match="grid-relative"):
        m.derive("relative_vorticity", grid)


def test_derived_fields_refuses_a_velocity_s_quantities():
    from geoinr.physics.derived import derived_fields

    d = {"f": torch.zeros(1), "f_x": torch.zeros(1), "f_y": torch.zeros(1), "lap": torch.zeros(1)}
    with pytest.raises(ValueError, match="divergence"):
        derived_fields("divergence", d, torch.tensor([40.0]))


def test_a_height_fitted_beside_a_pair_needs_a_choice():
    ds = _currents("m s-1")
    ds["sla"] = (("lat", "lon"), 0.1 * np.cos(np.radians(ds.lat.values))[:, None] * np.ones(ds.lon.size),
                 {"units": "m", "standard_name": "sea_surface_height_above_sea_level"})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = ds.inr.fit(["sla", "u", "v"], width=8, depth=1, epochs=2, max_time=None, seed=0, progress=False)
    grid = m.target_grid(0.5)
    with pytest.raises(ValueError, match=r"variable=\('<eastward>', '<northward>'\)"):
        m.derive("relative_vorticity", grid)
    assert "velocity (u, v)" in m.derive("relative_vorticity", grid, variable=("u", "v")).zeta.attrs["long_name"]
    assert "geostrophic" in m.derive("relative_vorticity", grid, variable="sla").zeta.attrs["long_name"]


def test_a_heights_flow_kinematics_agree_with_its_laplacian_vorticity():
    """Of a height, vorticity through the geostrophic velocity's own derivatives (the path of strain and
    Okubo-Weiss) equals the Laplacian formula derive has used."""
    tracks = geoinr.datasets.synthetic_tracks(days=3, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = tracks.inr.fit("sla", width=16, depth=1, epochs=3, max_time=None, seed=0, progress=False)
    grid = m.target_grid(1.0)
    laplacian = m.derive("relative_vorticity", grid).zeta.values
    raw = torch.tensor(np.column_stack([a.ravel() for a in np.broadcast_arrays(
        grid.longitude.values[None, None, :], grid.latitude.values[None, :, None],
        m.time_axis_.to_days(grid.time.values)[:, None, None])]), dtype=torch.float32)
    scale, offset = m.std_[0], m.mean_[0]
    flow = _velocity.velocity_kinematics(m, "relative_vorticity", raw, 0, scale, offset)["zeta"].numpy()
    np.testing.assert_allclose(flow.reshape(laplacian.shape), laplacian, rtol=1e-3, atol=1e-3 * np.abs(laplacian).max())
    strain = m.derive("strain_rate", grid)
    assert "geostrophic velocity from" in strain.strain.attrs["long_name"] and np.isfinite(strain.strain.values).any()
