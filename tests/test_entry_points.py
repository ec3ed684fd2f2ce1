"""Every public entry point meets at least one hostile input and answers with a clear error (issue 16).

A clear error is a ValueError/TypeError/FileNotFoundError/NotFittedError raised by
geoinr with a message that names the problem, not an exception escaping from inside
numpy, torch, pandas or json. The deeper cases of each class live in
test_hostile_inputs.py (fit side), test_hostile_files.py (files) and test_errors.py.
"""
import numpy as np
import pytest
import xarray as xr

import geoinr
from conftest import FAST
from geoinr import osse
from geoinr.base import NotFittedError

QUICK = {**FAST, "epochs": 1, "width": 16}


@pytest.fixture(scope="module")
def fitted():
    tracks = geoinr.datasets.synthetic_tracks(days=2, seed=0)
    return tracks, geoinr.INRModel(**QUICK).fit(tracks, variables="sla")


def _save_to_a_directory(model, tmp_path):
    model.save(tmp_path)


def _load_text(tmp_path):
    path = tmp_path / "notes.geoinr"
    path.write_text("not a model")
    geoinr.load(path)


CASES = {
    # estimator
    "INRModel(misspelled)": (lambda t, m, p: geoinr.INRModel(max_tim=1), TypeError, "Did you mean 'max_time'"),
    "fit(list)": (lambda t, m, p: geoinr.INRModel(**QUICK).fit([1, 2, 3]), TypeError, "takes an xarray"),
    "fit(width=0)": (lambda t, m, p: geoinr.INRModel(width=0).fit(t, variables="sla"), ValueError, "width must be"),
    "predict(unfitted)": (lambda t, m, p: geoinr.INRModel().predict(t), NotFittedError, "not fitted yet"),
    "predict(no coordinates)": (lambda t, m, p: m.predict(xr.Dataset(coords={"x": [1, 2]})), ValueError,
                                "Could not find latitude and longitude"),
    "predict(batch_size=0)": (lambda t, m, p: m.predict(m.target_grid(1.0), batch_size=0), ValueError, "batch_size"),
    "score(other variable)": (lambda t, m, p: m.score(t.rename(sla="adt")), ValueError, "none of the fitted variables"),
    "scores(other variable)": (lambda t, m, p: m.scores(t.rename(sla="adt")), ValueError, "none of the fitted"),
    "sample(no uncertainty)": (lambda t, m, p: m.sample(m.target_grid(1.0)), ValueError, "uncertainty="),
    "derive(misspelled)": (lambda t, m, p: m.derive("vorticty", m.target_grid(1.0)), ValueError, "Unknown quantity"),
    "target_grid(0)": (lambda t, m, p: m.target_grid(0), ValueError, "resolution must be positive"),
    "grid(-1)": (lambda t, m, p: m.grid(-1.0), ValueError, "resolution must be positive"),
    "grid(return_std, no uncertainty)": (lambda t, m, p: m.grid(1.0, return_std=True), ValueError, "return_std"),
    "set_params(unknown)": (lambda t, m, p: geoinr.INRModel().set_params(epoch=2), ValueError, "Did you mean"),
    "plot_history(unfitted)": (lambda t, m, p: geoinr.INRModel().plot_history(), NotFittedError, "not fitted"),
    "save(directory)": (lambda t, m, p: _save_to_a_directory(m, p), (IsADirectoryError, ValueError),
                        "is a directory; give"),
    "load(missing)": (lambda t, m, p: geoinr.load(p / "absent.geoinr"), FileNotFoundError,
                      "No such model file.*absent.geoinr"),
    "load(text file)": (lambda t, m, p: _load_text(p), ValueError, "notes.geoinr"),
    # accessor
    "ds.inr.fit(misspelled)": (lambda t, m, p: t.inr.fit("sla", max_tim=1), TypeError, "Did you mean 'max_time'"),
    "ds.inr.fit(['sla', 'sla'])": (lambda t, m, p: t.inr.fit(["sla", "sla"], **QUICK), ValueError, "more than once"),
    "ds.inr.regrid(bad target)": (lambda t, m, p: t.inr.regrid(xr.Dataset(coords={"x": [1.0]}), "sla", **QUICK),
                                  ValueError, "latitude and longitude"),
    # baselines
    "OptimalInterpolation(lx=-1)": (lambda t, m, p: geoinr.baselines.OptimalInterpolation(lx=-1).fit(t, "sla"),
                                    ValueError, "lx must be a positive"),
    "OptimalInterpolation.predict(unfitted)": (lambda t, m, p: geoinr.baselines.OptimalInterpolation().predict(t),
                                               NotFittedError, "not fitted"),
    "LinearInterpolator(fill=?)": (lambda t, m, p: geoinr.baselines.LinearInterpolator(fill="nearst").fit(t, "sla"),
                                   ValueError, "fill must be"),
    # metrics
    "rmse(shapes)": (lambda t, m, p: geoinr.metrics.rmse(np.zeros(3), np.zeros(4)), ValueError, "point by point"),
    "nrmse_score(all NaN)": (lambda t, m, p: geoinr.metrics.nrmse_score(np.full(3, np.nan), np.full(3, np.nan)),
                             ValueError, "no finite values"),
    "effective_resolution_along_track(mismatch)": (
        lambda t, m, p: geoinr.metrics.effective_resolution_along_track(t.sla, t.sla[:5]), ValueError, "same 1-D"),
    "effective_resolution_zonal(no coords)": (
        lambda t, m, p: geoinr.metrics.effective_resolution_zonal(xr.DataArray(np.zeros(5)), xr.DataArray(np.zeros(5))),
        ValueError, "latitude and longitude"),
    # coordinates, data sets, OSSE tools
    "coords.regular_grid(0)": (lambda t, m, p: geoinr.coords.regular_grid((0, 1, 0, 1), 0), ValueError, "resolution"),
    "datasets.synthetic_tracks(days=0)": (lambda t, m, p: geoinr.datasets.synthetic_tracks(days=0), ValueError, "days"),
    "datasets.synthetic_grid(days=0)": (lambda t, m, p: geoinr.datasets.synthetic_grid(days=0), ValueError, "days"),
    "osse.sample_along_track(mission?)": (
        lambda t, m, p: osse.sample_along_track(geoinr.datasets.synthetic_grid(days=1, resolution=1.0).sla,
                                                missions=["jasn3"]), ValueError, "Unknown mission"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_entry_point_answers_hostile_input_clearly(name, fitted, tmp_path):
    call, kind, words = CASES[name]
    tracks, model = fitted
    with pytest.raises(kind, match=words) as err:
        call(tracks, model, tmp_path)
    assert type(err.value).__module__.split(".")[0] in ("builtins", "geoinr", "sklearn"), type(err.value)
