"""Persistence: one safetensors file with a JSON header; no pickle; bit-identical predictions."""
import json
import os
import pathlib

import numpy as np
import pytest
import torch
from safetensors import safe_open
from safetensors.torch import save_file

import geoinr
from conftest import FAST


@pytest.fixture
def fitted(scattered):
    return scattered.inr.fit("sla", **{**FAST, "epochs": 20})


def test_round_trip_is_bit_identical(fitted, tmp_path):
    """A loaded model predicts exactly the same values on CPU, with all its state."""
    path = tmp_path / "sla.geoinr"
    fitted.save(path)
    again = geoinr.load(path)
    grid = fitted.target_grid(0.5)
    np.testing.assert_array_equal(fitted.predict(grid).values, again.predict(grid).values)
    assert again.get_params() == fitted.get_params()
    assert again.variables_ == ["sla"] and again.variable_attrs_ == fitted.variable_attrs_
    assert again.time_axis_ == fitted.time_axis_ and again.region_ == fitted.region_
    assert again.mean_ == fitted.mean_ and again.std_ == fitted.std_
    assert list(again.history.dtypes) == list(fitted.history.dtypes)
    np.testing.assert_allclose(again.history.values, fitted.history.values, rtol=1e-12)
    assert again.predict(grid).attrs["units"] == "m"


def test_file_is_plain_safetensors_with_json_config(fitted, tmp_path):
    """Any safetensors reader opens the file; the config is JSON with version and parameters."""
    path = tmp_path / "m.geoinr"
    fitted.save(path)
    with safe_open(str(path), framework="pt") as f:
        meta = f.metadata()
        keys = list(f.keys())
    assert meta["format"] == "geoinr" and meta["format_version"] == "2"
    config = json.loads(meta["config"])
    assert config["geoinr_version"] == geoinr.__version__
    assert config["params"]["width"] == 64
    assert config["learned"]["time_axis_"]["reference"] == "2021-03-01"
    assert any(k.endswith("weight") for k in keys)
    with open(path, "rb") as fh:
        assert b"pickle" not in fh.read(200) and not open(path, "rb").read(2) == b"\x80\x04"


def test_loading_never_unpickles(fitted, scattered, tmp_path, monkeypatch):
    """Loading reads safetensors only: no torch.load or pickle anywhere in the package, nor at run time."""
    import pickle

    package = pathlib.Path(geoinr.__file__).parent
    for path in package.rglob("*.py"):
        src = path.read_text()
        for banned in ("torch.load(", "import pickle", "pickle.load", "Unpickler"):
            assert banned not in src, f"{path.relative_to(package)} uses {banned}"
    path = tmp_path / "m.geoinr"
    fitted.save(path)

    def refuse(*args, **kwargs):
        raise AssertionError("loading unpickled")

    for owner, name in ((torch, "load"), (pickle, "load"), (pickle, "loads"), (pickle, "Unpickler")):
        monkeypatch.setattr(owner, name, refuse)
    few = scattered.isel(time=slice(0, 5))
    np.testing.assert_allclose(geoinr.load(path).predict(few).values, fitted.predict(few).values)


def test_truncated_file_is_refused(fitted, tmp_path):
    path = tmp_path / "m.geoinr"
    fitted.save(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="not a readable geoinr file"):
        geoinr.load(path)


def test_other_format_version_is_refused(fitted, tmp_path):
    path = tmp_path / "m.geoinr"
    fitted.save(path)
    with safe_open(str(path), framework="pt") as f:
        meta = f.metadata()
        tensors = {k: f.get_tensor(k) for k in f.keys()}
    save_file(tensors, str(path), metadata={**meta, "format_version": "99"})
    with pytest.raises(ValueError, match="format 99.*reads format 2"):
        geoinr.load(path)


def test_weights_not_matching_config_are_refused(fitted, tmp_path):
    path = tmp_path / "m.geoinr"
    fitted.save(path)
    with safe_open(str(path), framework="pt") as f:
        meta = f.metadata()
        tensors = {k: f.get_tensor(k) for k in f.keys()}
    tensors["network.head.weight"] = torch.zeros(1, 3)
    meta.pop("sha256")  # the shape check, not the checksum, is tested: a format 1 file (no checksum, a warning)
    save_file(tensors, str(path), metadata={**meta, "format_version": "1"})
    with pytest.raises(ValueError, match="do not match its config"), pytest.warns(UserWarning, match="checksum"):
        geoinr.load(path)


def test_not_a_geoinr_file(tmp_path):
    path = tmp_path / "other.safetensors"
    save_file({"a": torch.zeros(2)}, str(path))
    with pytest.raises(ValueError, match="not a geoinr file"):
        geoinr.load(path)
    (tmp_path / "junk").write_bytes(b"\x80\x04junk")
    with pytest.raises(ValueError, match="not a readable"):
        geoinr.load(tmp_path / "junk")
    with pytest.raises(FileNotFoundError):
        geoinr.load(tmp_path / "missing.geoinr")


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes (Windows reports 0o666 for any writable file)")
def test_saved_files_honour_the_umask_and_errors_name_the_path(tmp_path):
    """Saved models are readable by colleagues (umask, not mkstemp's 0600); bad targets fail with the user's path."""
    import os
    import stat

    import torch

    from geoinr.persistence import write_safetensors_atomic

    meta = {"format": "demo", "format_version": "1"}
    old = os.umask(0o022)
    try:
        path = tmp_path / "shared.safetensors"
        write_safetensors_atomic(path, {"w": torch.ones(2)}, meta)
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o644
    finally:
        os.umask(old)
    with pytest.raises(FileNotFoundError, match="missing.*does not exist"):
        write_safetensors_atomic(tmp_path / "missing" / "x.safetensors", {"w": torch.ones(2)}, meta)
    with pytest.raises(IsADirectoryError, match="is a directory"):
        write_safetensors_atomic(tmp_path, {"w": torch.ones(2)}, meta)
    with pytest.raises(ValueError, match="empty"):
        write_safetensors_atomic("", {"w": torch.ones(2)}, meta)
    locked = tmp_path / "locked.safetensors"
    locked.write_bytes(b"keep me")
    locked.chmod(0o444)
    if not os.access(locked, os.W_OK):  # root may write anything: the check only means something for users
        with pytest.raises(PermissionError, match="read-only"):
            write_safetensors_atomic(locked, {"w": torch.ones(2)}, meta)
        assert locked.read_bytes() == b"keep me"
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".tmp-")]


def test_a_bad_checkpoint_path_fails_before_training(tmp_path):
    tracks = geoinr.datasets.synthetic_tracks(days=2, seed=0)
    m = geoinr.INRModel(width=8, depth=1, epochs=1, max_time=None, progress=False)
    with pytest.raises(FileNotFoundError, match="nowhere.*does not exist"):
        m.fit(tracks, variables="sla", checkpoint=tmp_path / "nowhere" / "ckpt.safetensors")
    assert not m.is_fitted
