"""A review of untrusted files (2026-12-07, fifth session: crafted checkpoints and model files, the data recipe's
download and extraction): each test failed before its fix.

- a checkpoint's recorded number of networks was built before anything compared it with the checkpoint's tensors
  (an edited 20,000 allocated 650 MB before the shapes were refused; -5 resumed, then saved an unloadable file);
  its optimizer's name and its scale search were read unchecked (raw TypeErrors naming no file);
- a model file's ``scale_search_`` and ``physics_choice_`` were checked only as mappings, so that ``print(model)``
  raised; a region or time range running backwards, and calibration sites with the wrong number of columns, loaded;
  finite options past any fit's (``w0_hidden`` 1e308) loaded a model predicting NaN everywhere.
"""
import json
import warnings

import numpy as np
import pytest
from safetensors import safe_open
from safetensors.torch import load_file, save_file

import geoinr
from geoinr.persistence import DamagedFileError
from geoinr.persistence.format import CHECKSUM_FIELD, checksum


def _model(**kw):
    return geoinr.INRModel(**{**dict(width=8, depth=1, epochs=2, max_time=None, progress=False, seed=0,
                                     batch_size=256), **kw})


@pytest.fixture(scope="module")
def tracks():
    return geoinr.datasets.synthetic_tracks(days=2, seed=0)


def _edited(src, dst, key, edit):
    """``src`` (a safetensors file) with its JSON ``key`` edited by ``edit`` and its checksum made anew."""
    with safe_open(str(src), "pt") as f:
        meta = dict(f.metadata())
    tensors = load_file(str(src))
    record = json.loads(meta[key])
    edit(record)
    meta = {k: v for k, v in meta.items() if k != CHECKSUM_FIELD}
    meta[key] = json.dumps(record)
    meta[CHECKSUM_FIELD] = checksum(tensors, meta)
    save_file(tensors, str(dst), metadata=meta)
    return dst


@pytest.mark.parametrize("field, value, match", [
    ("members", 20000, r"extra.choices.members is 20000; it must be in \[1, 1\]"),
    ("members", -5, r"extra.choices.members is -5"),
    ("members", "x", r"extra.choices.members is 'x', not an integer"),
    ("optimizer", "evil", r"extra.choices.optimizer is 'evil'"),
])
def test_a_checkpoint_s_edited_choices_are_refused_before_any_network_is_built(tmp_path, tracks, field, value, match):
    path = tmp_path / "run.ckpt"
    _model().fit(tracks, "sla", checkpoint=path, checkpoint_every=0.0)
    bad = _edited(path, tmp_path / "bad.ckpt", "state", lambda s: s["extra"]["choices"].__setitem__(field, value))
    with pytest.raises(DamagedFileError, match="bad.ckpt.*" + match):
        _model().fit(tracks, "sla", resume=bad)
    _model().fit(tracks, "sla", resume=path)  # the genuine one resumes


def test_a_checkpoint_s_edited_scale_search_is_refused(tmp_path, tracks):
    from geoinr.model.state import check_scale_search
    from geoinr.persistence import BadField
    record = {"min_wavelength": 100.0, "min_period": 10.0, "budget_share": 0.3, "candidates": [], "held_out": "passes",
              "rule_min_wavelength": 120.0}
    check_scale_search(record, "extra.scale_search")
    check_scale_search(None, "extra.scale_search")
    for key, value in (("budget_share", "x"), ("budget_share", 2.0), ("min_wavelength", "abc"), ("candidates", 3)):
        with pytest.raises(BadField, match=f"extra.scale_search.{key}"):
            check_scale_search({**record, key: value}, "extra.scale_search")
    with pytest.raises(BadField, match="extra.scale_search.min_wavelength is missing"):
        check_scale_search({"x": 1}, "extra.scale_search")


@pytest.fixture(scope="module")
def saved(tmp_path_factory, tracks):
    path = tmp_path_factory.mktemp("m") / "m.geoinr"
    _model(uncertainty="ensemble", n_members=2, depth=2).fit(tracks, "sla").save(path)
    return path


@pytest.mark.parametrize("edit, match", [
    (lambda c: c["learned"].__setitem__("scale_search_", {"x": 1}), r"learned.scale_search_.min_wavelength is missing"),
    (lambda c: c["learned"].__setitem__("physics_choice_", {"candidates": [{"physics_weight": "a", "val_loss": None}]}),
     r"learned.physics_choice_.candidates\[0\].physics_weight is 'a'"),
    (lambda c: c["learned"].__setitem__("region_", [0.0, 10.0, 40.0, 30.0]), r"learned.region_ has south 40"),
    (lambda c: c["learned"].__setitem__("time_range_", [1e300, -1e300]), r"learned.time_range_ runs from"),
    (lambda c: c["params"].__setitem__("model_options", {"w0_hidden": 1e308}), r"predict NaN or infinite"),
    (lambda c: c["learned"]["encoding_config_"].__setitem__("min_wavelength", 1e-300), r"predict NaN or infinite"),
])
def test_a_model_file_s_edited_records_are_refused_at_load(tmp_path, saved, edit, match):
    bad = _edited(saved, tmp_path / "bad.geoinr", "config", edit)
    with pytest.raises(DamagedFileError, match=match):
        geoinr.load(bad)


def test_calibration_sites_with_other_columns_are_refused_at_load(tmp_path, saved):
    with safe_open(str(saved), "pt") as f:
        meta = dict(f.metadata())
    tensors = load_file(str(saved))
    names = [n for n in tensors if n.startswith("calibration.data_sites")]
    assert names and all(tensors[n].shape[1] == 4 for n in names)
    import torch
    tensors[names[0]] = torch.zeros((10, 7))
    meta = {k: v for k, v in meta.items() if k != CHECKSUM_FIELD}
    meta[CHECKSUM_FIELD] = checksum(tensors, meta)
    save_file(tensors, str(tmp_path / "bad.geoinr"), metadata=meta)
    with pytest.raises(DamagedFileError, match=r"calibration.data_sites.* has 7 columns"):
        geoinr.load(tmp_path / "bad.geoinr")


def test_a_repr_never_fails_on_a_record_no_check_foresaw(saved):
    model = geoinr.load(saved)
    model.scale_search_ = {"odd": True}  # set in memory, past every check
    model.min_wavelength = "search"
    text = repr(model)
    assert "summary failed" in text
    assert "summary failed" in model._repr_html_()
