"""A review of the public API's consistency (2026-12-07, fifth session): each test failed before its fix.

- ``fit({"lon", "lat", "h"}, "h")`` (the baselines' dict form) raised "values have dtype <U1";
- ``geoinr.NotFittedError`` did not exist, and an unfitted model's ``n_parameters_`` raised a bare AttributeError;
- ``history`` was refused after ``set_params`` (the record of what was trained stands);
- ``regrid`` replaced the source variable's ``source`` with the model's note (``fill_gaps`` keeps it);
- ``dir(geoinr)`` did not name the documented submodules before their first use.
"""
import warnings

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError as SklearnNotFitted

import geoinr

FIT = dict(width=8, depth=1, epochs=1, max_time=None, progress=False, seed=0)


def _points():
    rng = np.random.default_rng(0)
    n = 300
    return {"lon": rng.uniform(0, 10, n), "lat": rng.uniform(30, 40, n), "h": rng.normal(size=n),
            "u": rng.normal(size=n)}


def test_a_dict_s_own_entries_are_fitted_as_the_baselines_read_them():
    obs = _points()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        assert geoinr.INRModel(**FIT).fit(obs, "h").variables_ == ["h"]
        assert geoinr.INRModel(**FIT).fit(obs, variables=["h", "u"]).variables_ == ["h", "u"]
        oi = geoinr.baselines.OptimalInterpolation(progress=False).fit(obs, "h")
        assert oi.variables_ == ["h"]
    with pytest.raises(ValueError, match=r"name the dict's own entry"):
        geoinr.INRModel(**FIT).fit({"lon": obs["lon"], "lat": obs["lat"]}, variables="x")


def test_not_fitted_is_one_public_exception():
    assert issubclass(geoinr.NotFittedError, SklearnNotFitted)
    with pytest.raises(geoinr.NotFittedError):
        geoinr.INRModel().n_parameters_


def test_history_stands_after_set_params():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        m = geoinr.INRModel(**FIT).fit(geoinr.datasets.synthetic_tracks(days=2, seed=0), "sla")
    rows = len(m.history)
    m.set_params(width=32)
    assert len(m.history) == rows and m.n_parameters_ > 0
    with pytest.raises(ValueError, match="parameters changed since the fit"):
        m.predict(m.target_grid(2.0))


def test_regrid_keeps_the_source_variable_s_source():
    ds = geoinr.datasets.synthetic_grid(days=2, resolution=1.0, gap_fraction=0.0)
    ds.sla.attrs["source"] = "satellite altimetry"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        out = ds.inr.regrid(2.0, "sla", **FIT)
        both = ds.inr.regrid(2.0, "sla", uncertainty="ensemble", n_members=2, **FIT)
    assert out.attrs["source"].startswith("satellite altimetry; regridded by geoinr")
    assert both.sla.attrs["source"].startswith("satellite altimetry; regridded by geoinr")


def test_dir_names_the_documented_submodules():
    assert {"plot", "physics", "uncertainty", "osse", "NotFittedError"} <= set(dir(geoinr))
