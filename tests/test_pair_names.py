"""Velocity pairs by the names other providers give them, and the messages around them (2026-12-07, ninth session).

From the eighth session's reviews: CMEMS HF radar's ``EWCT``/``NSCT`` (long names "West-east current component"),
MITgcm's ``UVEL``/``VVEL``, HYCOM's ``water_u``/``water_v`` and names such as ``eastward_velocity`` were not read
as a pair, so ``derive("relative_vorticity")`` asked for a sea surface height; two fitted pairs got a generic
message; a pair's divergence with ``return_std`` was refused in a height's words; an array of names failed as
"unhashable type"; ``m·s-1`` was not read.
"""
import warnings

import numpy as np
import pytest
import xarray as xr

from geoinr.geometry import metres_per_second
from geoinr.model.fitting import _direction
from geoinr.observations import names_as_values

FAST = dict(width=8, depth=1, epochs=1, max_time=None, progress=False)


def _currents(names, long_names=None, units="m s-1"):
    lon, lat = np.meshgrid(np.arange(0.0, 1.0, 0.1), np.arange(40.0, 41.0, 0.1))
    data = {}
    for k, name in enumerate(names):
        attrs = {"units": units}
        if long_names:
            attrs["long_name"] = long_names[k]
        data[name] = (("lat", "lon"), 0.1 * np.sin(lat if k % 2 == 0 else lon), attrs)
    return xr.Dataset(data, coords={"lat": lat[:, 0], "lon": lon[0]})


def _fit(ds, names):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ds.inr.fit(names, **FAST)


@pytest.mark.parametrize("names, long_names", [
    (["EWCT", "NSCT"], ["West-east current component", "South-north current component"]),
    (["a", "b"], ["West-east current component", "South-north current component"]),
    (["UVEL", "VVEL"], None), (["water_u", "water_v"], None), (["u10", "v10"], None),
    (["eastward_velocity", "northward_velocity"], None),
])
def test_providers_pairs_are_read_as_pairs(names, long_names):
    ds = _currents(names, long_names)
    m = _fit(ds, names)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = m.derive("relative_vorticity", ds)
    assert out["zeta"].attrs["units"] == "s-1"
    assert np.isfinite(out["zeta"].values).all()
    assert ", ".join(names) in out["zeta"].attrs["long_name"]


def test_direction_words():
    assert _direction("x", {"long_name": "West-east current component"})[0] == "eastward"
    assert _direction("x", {"long_name": "South-north current component"})[0] == "northward"
    assert _direction("eastward_sea_water_velocity", {"units": "m s-1"})[0] == "eastward"
    assert _direction("zonally_averaged", {"units": "m s-1"})[0] is None  # (a word, not a part of one)
    assert _direction("sla", {"long_name": "sea level anomaly"})[0] is None


def test_two_fitted_pairs_are_offered_by_name():
    names = ["u", "v", "ugos", "vgos"]
    ds = _currents(names)
    m = _fit(ds, names)
    with pytest.raises(ValueError, match=r"variable=\('u', 'v'\) or variable=\('ugos', 'vgos'\)"):
        m.derive("relative_vorticity", ds)


def test_pair_messages():
    ds = _currents(["u", "v"])
    m = _fit(ds, ["u", "v"])
    with pytest.raises(ValueError, match="velocity pair's divergence"):
        m.derive("divergence", ds, return_std=True)
    with pytest.raises(ValueError, match=r"variable='<name>' \(one of \['u', 'v'\]\)"):
        m.derive("gradient", ds)


def test_names_as_arrays():
    ds = _currents(["u", "v"])
    m = _fit(ds, xr.DataArray(["u", "v"]))
    assert m.variables_ == ["u", "v"]
    assert names_as_values(None, np.array(["u"])) == (None, ["u"])
    values = np.array([1.0, 2.0])
    assert names_as_values(values, None)[0] is values  # values, not names


def test_middle_dot_units():
    assert metres_per_second("m·s-1") == 1.0
    assert metres_per_second("cm·s⁻¹") == 0.01


def test_a_names_words_need_a_speed():
    """A diff review: sst_zonal_gradient (K m-1) was read as an eastward velocity by its name's words."""
    assert _direction("sst_zonal_gradient", {"units": "K m-1"})[0] is None
    assert _direction("meridional_heat_transport", {"units": "W"})[0] is None
    assert _direction("eastward_velocity", {"units": "cm/s"})[0] == "eastward"
