"""A geophysical fluid dynamicist's review of the derived quantities (2026-12-07, tenth session): PV of a height's
departure from its mean, the fit's deformation radius, geopotential heights, QG of a variable named as no height,
the log-normal warning of a height, CF's current name of sea level."""
import warnings

import numpy as np
import pytest

import geoinr
from geoinr.observations import warn_skewed
from geoinr.coords import PointTable
from geoinr.physics.derived import derived_attrs


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


def _fit(ds, **kwargs):
    return _quiet(ds.inr.fit, "sla", **{"width": 16, "depth": 1, "epochs": 2, "max_time": None, "progress": False,
                                       **kwargs})


def test_pv_does_not_depend_on_the_heights_level():
    """A flat 0.6 m sea gave q = -1.6 f at 40 N (psi of the whole height, mean included)."""
    tracks = geoinr.datasets.synthetic_tracks(days=4, seed=0)
    raised = tracks.assign(sla=tracks.sla + 0.6)
    m, m2 = _fit(tracks), _fit(raised)
    grid = m.target_grid(1.0)
    q, q2 = _quiet(m.derive, "pv", grid).q, _quiet(m2.derive, "pv", grid).q
    np.testing.assert_allclose(q2.values, q.values, rtol=1e-5, atol=1e-12)
    f = 2 * 7.2921e-5 * np.sin(np.radians(35.0))
    assert float(np.nanmax(np.abs(q2))) < 0.5 * f  # (0.6 m of level alone gave more than f)
    assert "anomaly" in q.attrs["long_name"] and "planetary vorticity" in q.attrs["comment"]


def test_pv_takes_the_fits_own_deformation_radius():
    tracks = geoinr.datasets.synthetic_tracks(days=4, seed=0)
    m = _fit(tracks, rossby_radius=40.0)
    grid = m.target_grid(1.0)
    q = _quiet(m.derive, "pv", grid).q
    assert q.attrs["rossby_radius"] == "40.0 km"
    np.testing.assert_allclose(q.values, _quiet(m.derive, "pv", grid, rossby_radius=40.0).q.values)
    assert _quiet(m.derive, "pv", grid, rossby_radius=20.0).q.attrs["rossby_radius"] == "20.0 km"  # given wins


def test_a_geopotential_heights_pv_and_qg_need_a_radius():
    tracks = geoinr.datasets.synthetic_tracks(days=4, seed=0)
    z = tracks.assign(sla=tracks.sla.assign_attrs(standard_name="geopotential_height", units="m"))
    m = _fit(z)
    with pytest.raises(ValueError, match="geopotential height, needs rossby_radius="):
        m.derive("pv", m.target_grid(1.0))
    assert np.isfinite(_quiet(m.derive, "pv", m.target_grid(1.0), rossby_radius=1000.0).q.values).any()
    with pytest.raises(ValueError, match="geopotential height, needs rossby_radius="):
        _fit(z, physics="qg")
    _fit(z, physics="qg", rossby_radius=1000.0)  # (given: fitted)


def test_qg_warns_of_a_variable_named_as_no_height():
    tracks = geoinr.datasets.synthetic_tracks(days=4, seed=0)
    mld = tracks.assign(sla=tracks.sla.assign_attrs(standard_name="ocean_mixed_layer_thickness", units="m"))
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        mld.inr.fit("sla", physics="qg", width=16, depth=1, epochs=2, max_time=None, progress=False)
    assert any("physics='qg' treats 'sla' as a sea-surface height" in str(w.message) for w in seen)


def test_a_positive_eddy_of_sea_level_is_not_called_log_normal():
    r2 = np.linspace(0, 25, 2000)
    eddy = 0.2 * np.exp(-r2)  # (tails to 1e-12 m: "orders of magnitude")
    table = PointTable(np.zeros(eddy.size), np.zeros(eddy.size), None, np.c_[eddy, eddy, eddy])
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        warn_skewed(table, ["sla", "ssh", "mld"],
                    {"sla": {"units": "m", "standard_name": "sea_surface_height_above_sea_level"}, "ssh": {"units": "cm"},
                     "mld": {"units": "m", "standard_name": "ocean_mixed_layer_thickness"}})
    said = [str(w.message) for w in seen]
    assert len(said) == 1 and said[0].startswith("'mld' is positive")  # (a named thickness may be log-normal)
    rain = np.random.default_rng(0).lognormal(0.0, 2.0, 500)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        warn_skewed(PointTable(np.zeros(500), np.zeros(500), None, rain[:, None]), ["pr"], {"pr": {"units": "mm"}})
    assert any("orders of magnitude" in str(w.message) for w in seen)  # (precipitation in mm: a diff review)


def test_currents_of_cfs_current_sea_level_name_are_named():
    name = derived_attrs("ugos", "sla", "sea_surface_height_above_mean_sea_level")["standard_name"]
    assert name == "surface_geostrophic_eastward_sea_water_velocity_assuming_mean_sea_level_for_geoid"
