"""What a review of saving and loading found (2026-12-05, fourth session): files save may write, load may refuse."""
import json
import os

import numpy as np
import pytest
import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file

import geoinr
from geoinr.model import state
from geoinr.persistence import format as fmt

TINY = dict(width=16, depth=1, epochs=1, max_time=None, progress=False, seed=0)


@pytest.fixture(scope="module")
def tracks():
    return geoinr.datasets.synthetic_tracks(days=4, seed=0)


def _as_earlier(model, path, edit):
    """Save ``model``, then rewrite its header as ``edit`` says (a file an earlier version wrote)."""
    model.save(path)
    with safe_open(path, "pt") as f:
        meta = f.metadata()
    config = json.loads(meta["config"])
    edit(config)
    meta.pop("sha256", None)  # an earlier version wrote no checksum, in format 1
    with pytest.warns(UserWarning, match="written before geoinr files carried a checksum"):
        save_file(load_file(path), path, {**meta, "format_version": "1", "config": json.dumps(config)})
        geoinr.load(path)


def test_seeds_a_file_cannot_store_are_refused_before_the_fit(tracks):
    with pytest.raises(ValueError, match=r"seed must be a whole number in \[0, 2\*\*63 - 1\]"):
        tracks.inr.fit("sla", **{**TINY, "seed": -1})  # before: fitted, saved, then refused by load as "damaged"


def test_numpy_numbers_and_devices_given_to_the_fit_save(tracks, tmp_path):
    model = tracks.inr.fit("sla", **{**TINY, "width": np.int64(16), "lr": np.float32(1e-3),
                                     "device": torch.device("cpu")})
    model.save(tmp_path / "m.geoinr")  # before: TypeError: Object of type int64 is not JSON serializable
    back = geoinr.load(tmp_path / "m.geoinr")
    assert back.width == 16 and back.device == "cpu"


def test_a_file_from_before_members_saves_again_and_loads(tracks, tmp_path):
    def earlier(config):  # before 2026-12-02: n_members 5 (the default then) and no members_
        config["params"]["n_members"] = 5
        config["learned"].pop("members_")

    _as_earlier(tracks.inr.fit("sla", **TINY), tmp_path / "old.geoinr", earlier)
    old = geoinr.load(tmp_path / "old.geoinr")
    old.save(tmp_path / "again.geoinr")  # before: refused on load ("n_members is 5, but members_ is 1")
    assert geoinr.load(tmp_path / "again.geoinr").members_ == 1


def test_a_filter_network_from_before_its_default_width_changed_loads(tracks, tmp_path):
    model = tracks.inr.fit("sla", model="fourier_net", **{**TINY, "width": 256})

    def earlier(config):  # before 2026-12-02: width unset meant 256, and no network_size_ was stored
        config["params"]["width"] = None
        config["learned"].pop("network_size_")

    _as_earlier(model, tmp_path / "old.geoinr", earlier)
    back = geoinr.load(tmp_path / "old.geoinr")
    target = {"lon": [1.0], "lat": [35.0], "time": [tracks.time.values[10]]}
    assert np.array_equal(back.predict(target), model.predict(target))


def test_from_state_reads_what_to_state_gives(tracks):
    model = tracks.inr.fit("sla", **TINY)
    back = state.from_state(geoinr.INRModel, *state.to_state(model))  # before: "region_ is (...), not a list"
    assert back.region_ == model.region_


@pytest.mark.parametrize("error", ["safetensors", "os"])
def test_a_full_disk_is_an_os_error_naming_the_file(tmp_path, monkeypatch, error):
    from safetensors import SafetensorError

    def full(*args, **kw):
        if error == "os":  # the file's write (geoinr writes the bytes safetensors made)
            raise OSError(28, "No space left on device")
        raise SafetensorError("Error while serializing: I/O error: No space left on device (os error 28)")

    monkeypatch.setattr(fmt, "canonical_parts", full)
    path = tmp_path / "m.geoinr"
    with pytest.raises(OSError, match="Could not write .*m.geoinr.*No space left"):
        fmt.write_safetensors_atomic(path, {"w": torch.ones(2)}, {"format": "demo", "format_version": "1"})
    assert os.listdir(tmp_path) == []  # the temporary file is gone


def test_a_long_file_name_saves(tmp_path):
    path = tmp_path / ("a" * 230 + ".safetensors")  # 242 bytes: a valid name; its temporary name was not
    fmt.write_safetensors_atomic(path, {"w": torch.ones(2)}, {"format": "demo", "format_version": "1"})
    assert fmt.read_safetensors(path, "demo", 1)[0]["w"].tolist() == [1.0, 1.0]


def test_a_read_only_file_is_not_replaced_even_by_root(tmp_path, monkeypatch):
    path = tmp_path / "m.safetensors"
    fmt.write_safetensors_atomic(path, {"w": torch.ones(2)}, {"format": "demo", "format_version": "1"})
    os.chmod(path, 0o444)
    monkeypatch.setattr(os, "access", lambda *a, **kw: True)  # as for root
    with pytest.raises(PermissionError, match="read-only"):
        fmt.write_safetensors_atomic(path, {"w": torch.zeros(2)}, {"format": "demo", "format_version": "1"})


def test_loading_a_directory_says_so(tmp_path):
    with pytest.raises(IsADirectoryError, match="is a directory"):
        geoinr.load(tmp_path)


def test_numpy_numbers_given_to_a_checkpointed_fit_checkpoint_and_resume(tmp_path):
    """The checkpoint's header holds the parameters too: written through the same conversion as a saved model."""
    tracks = geoinr.datasets.synthetic_tracks(days=12, seed=0)
    path = str(tmp_path / "fit.ckpt")
    kw = dict(width=np.int64(8), depth=1, epochs=np.int64(12), batch_size=256, max_time=None, progress=False, seed=0)
    geoinr.INRModel(**kw).fit(tracks, "sla", checkpoint=path, checkpoint_every=0.0)  # before: TypeError (int64)
    assert geoinr.INRModel(**kw).fit(tracks, "sla", resume=path).history_["epoch"].max() == 12
