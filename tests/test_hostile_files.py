"""Damaged, edited or hostile files: one clear ValueError naming the file and the field, fast (issue 16).

Every saved model (``INRModel.save`` / ``geoinr.load``) and every training
checkpoint (``fit(checkpoint=...)`` / ``fit(resume=...)``) that is not what it
claims to be is refused with a ``ValueError`` that names the file and the wrong
field, never a raw ``KeyError``/``TypeError``/``RecursionError``, a model that
predicts NaN, or a load that allocates gigabytes because a 3 kB header asks for
them. Saves killed mid-way leave temporary files that the next save removes.
"""
import json
import os
import shutil
import subprocess
import sys
import time

import numpy as np
import pytest
import torch
from safetensors import safe_open
from safetensors.torch import save_file

import geoinr
from geoinr import persistence

SMALL = dict(width=16, depth=2, max_time=None, progress=False, seed=0)
FIT_KW = dict(batch_size=4096, patience=10**6)


@pytest.fixture(scope="module")
def tracks():
    return geoinr.datasets.synthetic_tracks(days=2, seed=0)


@pytest.fixture(scope="module")
def saved(tracks, tmp_path_factory):
    """A small fitted model's file."""
    path = tmp_path_factory.mktemp("saved") / "sla.geoinr"
    geoinr.INRModel(epochs=1, **SMALL).fit(tracks, variables="sla").save(path)
    return path


@pytest.fixture(scope="module")
def saved_ensemble(tracks, tmp_path_factory):
    """A small fitted deep ensemble's file (3 members)."""
    path = tmp_path_factory.mktemp("saved") / "ens.geoinr"
    geoinr.INRModel(epochs=1, uncertainty="ensemble", n_members=3, **SMALL).fit(tracks, variables="sla").save(path)
    return path


def _read(path):
    with safe_open(str(path), framework="pt") as f:
        return {k: f.get_tensor(k) for k in f.keys()}, dict(f.metadata())


def _set(tree: dict, dotted: str, value):
    *parents, last = dotted.split(".")
    for key in parents:
        tree = tree[key]
    if value is _DELETE:
        del tree[last]
    else:
        tree[last] = value


_DELETE = object()


class Raw(str):
    """A JSON token written as it is (``1e999``, ``NaN``): what an editor can put in a header."""


def edited(src, dst, changes=None, *, meta=None, tensors=None, key="config", checksum=True):
    """Copy of ``src`` at ``dst`` with ``changes`` (dotted JSON path -> value) in its JSON header.

    The header's checksum is written anew for the edited contents (``checksum=False``: the original's kept), so
    that the checks of each field are what refuses the file: a hostile file can carry a matching checksum."""
    data, header = _read(src)
    raws = {}

    def placeholders(value):  # Raw tokens, anywhere in value, become strings replaced after json.dumps
        if isinstance(value, Raw):
            raws[f'"@raw{len(raws)}@"'] = str(value)
            return f"@raw{len(raws) - 1}@"
        if isinstance(value, list):
            return [placeholders(v) for v in value]
        if isinstance(value, dict):
            return {k: placeholders(v) for k, v in value.items()}
        return value

    if changes:
        doc = json.loads(header[key])
        for dotted, value in changes.items():
            _set(doc, dotted, placeholders(value))
        text = json.dumps(doc)
        for token, raw in raws.items():
            assert token in text
            text = text.replace(token, raw)
        header[key] = text
    header.update(meta or {})
    data.update(tensors or {})
    data = {k: v for k, v in data.items() if v is not None}
    if checksum:
        header["sha256"] = persistence.checksum(data, header)
    save_file(data, str(dst), metadata=header)
    return dst


def refused(path, *fields, load=geoinr.load):
    """The ValueError of loading ``path``; asserts that it names the file and every one of ``fields``."""
    with pytest.raises(ValueError) as info:
        load(path)
    msg = str(info.value)
    assert str(path) in msg, msg
    said = msg.replace(str(path), "")  # pytest names tmp_path after the test, which can hold the field's name
    for field in fields:
        assert field in said, msg
    return msg


# ---------------------------------------------------------------- 1. raw errors escaping the header parser

@pytest.mark.parametrize("changes, field", [
    ({"learned.mean_": "abc"}, "learned.mean_"),
    ({"learned.mean_": ["a"]}, "learned.mean_[0]"),
    ({"learned.std_": [0.1, 0.2]}, "learned.std_"),  # one value per variable
    ({"learned.variables_": [1]}, "learned.variables_[0]"),
    ({"learned.time_axis_.reference": "not a date"}, "learned.time_axis_"),
    ({"learned.time_axis_.kind": "lunar"}, "learned.time_axis_.kind"),
    ({"learned.encoding_config_.bogus": 1}, "learned.encoding_config_"),
    ({"learned.encoding_config_.space_params.bogus": 1}, "learned.encoding_config_.space_params"),
    ({"learned.encoding_config_.space": "torus"}, "learned.encoding_config_.space"),
    ({"learned.encoding_config_.min_wavelength": "far"}, "learned.encoding_config_.min_wavelength"),
    ({"history.loss": [1.0, 2.0, 3.0]}, "history"),  # columns of different lengths (pandas ValueError)
    ({"history.loss": "abc"}, "history.loss"),
    ({"history": [1, 2]}, "history"),
    ({"params.bogus": 1}, "params.bogus"),  # unknown constructor argument (TypeError)
    ({"params.width": "wide"}, "params.width"),
    ({"params.model": "transformer"}, "params"),
    ({"params": _DELETE}, "params"),  # KeyError
    ({"learned.calibration_": {"variance_scale": "x"}}, "learned.calibration_"),
    ({"learned.region_": [0, 1]}, "learned.region_"),
    ({"learned.n_points_": -5}, "learned.n_points_"),
    ({"learned.network_options_": {"init": 3.5}}, "learned.network_options_.init"),
    ({"learned.network_options_": {"rank": -1}}, "learned.network_options_.rank"),
    ({"learned.network_options_": {"rank": True}}, "learned.network_options_.rank"),
    ({"learned.network_options_": ["siren"]}, "learned.network_options_"),
    ({"learned.network_size_": {"depth": 0}}, "learned.network_size_.depth"),
    ({"learned.network_size_": {"depth": 2.5}}, "learned.network_size_.depth"),
    ({"learned.network_size_": {"layers": 3}}, "learned.network_size_"),
    ({"params.width": None, "learned.network_size_": {"width": 10**9}}, "learned.network_size_.width"),  # too wide
    ({"learned.network_size_": 3}, "learned.network_size_"),
])
def test_a_damaged_config_names_the_file_and_the_field(saved, tmp_path, changes, field):
    refused(edited(saved, tmp_path / "m.geoinr", changes), field)


def test_a_format_version_that_is_not_a_number_is_refused(saved, tmp_path):
    """int('one') used to escape."""
    refused(edited(saved, tmp_path / "m.geoinr", meta={"format_version": "one"}), "format_version")


def test_deeply_nested_json_is_refused(saved, tmp_path):
    """A RecursionError used to escape; a nesting Python can parse is still refused, before any walk."""
    path = edited(saved, tmp_path / "m.geoinr", meta={"config": "[" * 100_000 + "]" * 100_000})
    refused(path, "config")
    path = edited(saved, tmp_path / "m2.geoinr", {"learned.variable_attrs_.sla.units": json.loads("[" * 200 + "]" * 200)})
    refused(path, "learned.variable_attrs_", "nest")


def test_a_config_that_is_not_json_or_not_an_object_is_refused(saved, tmp_path):
    refused(edited(saved, tmp_path / "a.geoinr", meta={"config": "{not json"}), "config")
    refused(edited(saved, tmp_path / "b.geoinr", meta={"config": "[1, 2]"}), "config")
    refused(edited(saved, tmp_path / "c.geoinr", meta={"config": "9" * 5000}), "config")  # int digits limit


def test_files_that_are_not_safetensors_name_the_file(saved, tmp_path):
    data = saved.read_bytes()
    for name, content in [("cut.geoinr", data[: len(data) - 7]), ("junk.geoinr", os.urandom(3000)),
                          ("huge_header.geoinr", (10**15).to_bytes(8, "little") + b"{}"), ("empty.geoinr", b"")]:
        (tmp_path / name).write_bytes(content)
        refused(tmp_path / name, "not a readable geoinr file")


# ---------------------------------------------------------------- 2. every number read is validated

@pytest.mark.parametrize("changes, field", [
    ({"learned.std_": [Raw("1e999")]}, "learned.std_[0]"),  # JSON 1e999 parses to inf
    ({"learned.std_": [Raw("NaN")]}, "learned.std_[0]"),
    ({"learned.mean_": [Raw("-Infinity")]}, "learned.mean_[0]"),
    ({"learned.std_": [-0.5]}, "learned.std_[0]"),
    ({"learned.region_": [0, Raw("1e400"), 30, 40]}, "learned.region_[1]"),
    ({"learned.encoding_config_.space_params.scale": 0.0}, "learned.encoding_config_.space_params.scale"),
    ({"learned.encoding_config_.min_wavelength": -1.0}, "learned.encoding_config_.min_wavelength"),
    ({"history.loss": [Raw("Infinity")]}, "history.loss[0]"),
])
def test_non_finite_or_out_of_range_numbers_are_refused(saved, tmp_path, changes, field):
    """A header edited to std_: 1e999 used to load and predict no finite value at all."""
    refused(edited(saved, tmp_path / "m.geoinr", changes), field)


def test_non_finite_weights_are_refused(saved, tmp_path):
    data, _ = _read(saved)
    weight = data["network.head.weight"].clone()
    weight[0, 0] = float("nan")
    refused(edited(saved, tmp_path / "m.geoinr", tensors={"network.head.weight": weight}), "network.head.weight")


def test_a_constant_variable_keeps_loading(saved, tmp_path):
    """std_ = 0 is what fit stores for a constant variable (predicted exactly): not damage."""
    model = geoinr.load(edited(saved, tmp_path / "m.geoinr", {"learned.std_": [0.0]}))
    assert model.std_ == [0.0]


# ---------------------------------------------------------------- 3. no denial of service

def _no_build(monkeypatch):
    def build(*args, **kwargs):
        raise AssertionError("the network was built before the header was checked against the stored tensors")

    monkeypatch.setattr(geoinr.INRModel, "_build", build)


def _fast_refusal(path, *fields, limit=1.0):
    t0 = time.perf_counter()
    msg = refused(path, *fields)
    assert time.perf_counter() - t0 < limit, "the refusal was not fast"
    return msg


@pytest.mark.parametrize("changes, field", [
    ({"params.width": 30000}, "params.width"),  # two 3.6 GB layers from a 3 kB file
    ({"params.depth": 10**6}, "params.depth"),
    ({"params.model_options": {"w0_hidden": 30.0}, "params.model": "modulated_siren",
      "params.model_options.mod_width": 10**6}, "params.model_options.mod_width"),
    ({"learned.encoding_config_.space": "spherical_harmonics",
      "learned.encoding_config_.space_params": {"degree": 10**5}}, "learned.encoding_config_.space_params.degree"),
    ({"learned.encoding_config_.time": "sinusoidal",
      "learned.encoding_config_.time_params": {"n": 10**9}}, "learned.encoding_config_.time_params.n"),
])
def test_a_header_asking_for_more_than_the_file_holds_fails_fast_without_building(saved, tmp_path, monkeypatch,
                                                                                   changes, field):
    path = edited(saved, tmp_path / "m.geoinr", changes)
    assert path.stat().st_size < 5000
    _no_build(monkeypatch)
    _fast_refusal(path, field)


def test_n_members_must_match_the_stored_ensemble(saved_ensemble, tmp_path, monkeypatch):
    """n_members=10**8 used to build networks until MemoryError."""
    path = edited(saved_ensemble, tmp_path / "m.geoinr", {"params.n_members": 10**8})
    _no_build(monkeypatch)
    _fast_refusal(path, "params.n_members", "learned.members_ (the networks fitted) is 3")
    _fast_refusal(edited(saved_ensemble, tmp_path / "m4.geoinr", {"params.n_members": 4}), "params.n_members")


def test_a_file_cannot_buy_a_large_build_with_one_large_tensor(saved, tmp_path):
    """A stored tensor 30000 long makes width=30000 plausible by shape; building is still bounded by the file."""
    path = edited(saved, tmp_path / "m.geoinr", {"params.width": 30000}, tensors={"pad": torch.zeros(30000)})
    msg = _fast_refusal(path, "params", "width=30000")
    assert "holds" in msg


def test_empty_tensors_are_refused(saved, tmp_path):
    data, _ = _read(saved)
    refused(edited(saved, tmp_path / "m.geoinr", tensors={"network.head.bias": torch.zeros(0)}), "network.head.bias")


def test_weights_of_the_wrong_shape_are_still_refused_by_name(saved, tmp_path):
    data, _ = _read(saved)
    path = edited(saved, tmp_path / "m.geoinr", tensors={"network.head.weight": torch.zeros(1, 3)})
    refused(path, "do not match its config", "network.head.weight")


def test_intact_files_still_load(saved, saved_ensemble, tracks):
    """The checks refuse nothing a fit writes (plain and ensemble models)."""
    for path in (saved, saved_ensemble):
        model = geoinr.load(path)
        out = model.predict(model.target_grid(1.0))
        assert np.isfinite(out.values).all()


# ---------------------------------------------------------------- 4. a device that is not there

def test_loading_onto_a_missing_gpu_says_so(saved, monkeypatch):
    """torch's AssertionError used to escape; the message is the one fit gives."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ValueError, match="no CUDA GPU is available here"):
        geoinr.load(saved, device="cuda")
    with pytest.raises(ValueError, match="not a device torch knows"):
        geoinr.load(saved, device="gpu0")
    assert geoinr.load(saved, device="auto").field_.network.head.weight.device.type == "cpu"


# ---------------------------------------------------------------- 5. temporary files of killed saves

def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _temp(folder, target: str, pid: int, age_s: float, host: str | None = None):
    from geoinr.persistence.format import HOST_TAG

    path = folder / f".tmp-{target}-{pid}-{host or HOST_TAG}-abc123xy"
    path.write_bytes(b"half a model")
    old = time.time() - age_s
    os.utime(path, (old, old))
    return path


@pytest.mark.skipif(os.name != "posix", reason="process liveness by os.kill(pid, 0)")
def test_the_next_save_removes_temporary_files_of_killed_saves(saved, tmp_path):
    model = geoinr.load(saved)
    stale = _temp(tmp_path, "m.geoinr", _dead_pid(), age_s=3600)
    live = _temp(tmp_path, "m.geoinr", os.getpid(), age_s=3600)  # a save still writing (another thread)
    fresh = _temp(tmp_path, "m.geoinr", _dead_pid(), age_s=5)  # too young to judge
    other = _temp(tmp_path, "other.geoinr", _dead_pid(), age_s=3600)  # another target's
    remote = _temp(tmp_path, "m.geoinr", 1, age_s=3600, host="0123abcd")  # another machine's (shared folder)
    model.save(tmp_path / "m.geoinr")
    assert not stale.exists()
    assert live.exists() and fresh.exists() and other.exists() and remote.exists()
    assert geoinr.load(tmp_path / "m.geoinr").variables_ == ["sla"]


def test_an_interrupted_save_leaves_no_temporary_file(saved, tmp_path, monkeypatch):
    from geoinr.persistence import format as fmt

    model = geoinr.load(saved)
    target = tmp_path / "m.geoinr"
    shutil.copy(saved, target)
    before = target.read_bytes()

    def killed(tensors, metadata):  # Ctrl-C while the bytes are made: the temporary file exists, empty
        raise KeyboardInterrupt

    monkeypatch.setattr(fmt, "canonical_parts", killed)
    with pytest.raises(KeyboardInterrupt):
        model.save(target)
    assert sorted(os.listdir(tmp_path)) == ["m.geoinr"] and target.read_bytes() == before


# ---------------------------------------------------------------- 1. (checkpoints)

@pytest.fixture(scope="module")
def checkpoint(tracks, tmp_path_factory):
    path = tmp_path_factory.mktemp("ckpt") / "run.ckpt"
    geoinr.INRModel(epochs=120, **SMALL, **FIT_KW).fit(tracks, variables="sla", checkpoint=path, checkpoint_every=0.0)
    assert path.exists()
    return path


def _resume(tracks):
    def load(path):
        return geoinr.INRModel(epochs=120, **SMALL, **FIT_KW).fit(tracks, variables="sla", resume=path)

    return load


@pytest.mark.parametrize("changes, field", [
    ({"fingerprint": _DELETE}, "fingerprint"),  # KeyError 'fingerprint'
    ({"step": "ten"}, "step"),
    ({"epoch": -1}, "epoch"),
    ({"lr_scale": Raw("1e999")}, "lr_scale"),
    ({"best_val": Raw("NaN")}, "best_val"),
    ({"history": {"loss": 1}}, "history"),
    ({"param_groups": []}, "param_groups"),
    ({"extra": [1]}, "extra"),
])
def test_a_damaged_checkpoint_names_the_file_and_the_field(checkpoint, tracks, tmp_path, changes, field):
    refused(edited(checkpoint, tmp_path / "c.ckpt", changes, key="state"), field, load=_resume(tracks))


def test_damaged_checkpoint_tensors_and_headers_are_refused(checkpoint, tracks, tmp_path):
    load = _resume(tracks)
    data, _ = _read(checkpoint)
    refused(edited(checkpoint, tmp_path / "a.ckpt", tensors={"gen_state": torch.zeros(3)}), "gen_state", load=load)
    some_opt = next(k for k in data if k.startswith("opt.") and not k.endswith(".step"))
    refused(edited(checkpoint, tmp_path / "b.ckpt", tensors={some_opt: torch.zeros(2, 2)}), some_opt, load=load)
    some_model = next(k for k in data if k.startswith("model."))
    refused(edited(checkpoint, tmp_path / "c.ckpt", tensors={some_model: None}), some_model, load=load)
    refused(edited(checkpoint, tmp_path / "d.ckpt", meta={"format_version": "one"}), "format_version", load=load)
    refused(edited(checkpoint, tmp_path / "e.ckpt", meta={"state": "{" * 100_000}), "state", load=load)
    path = tmp_path / "f.ckpt"
    path.write_bytes(checkpoint.read_bytes()[:-9])
    refused(path, "not a readable", load=load)


def test_files_changed_after_writing_fail_their_checksum(saved, checkpoint, tracks, tmp_path):
    """A flipped bit in a weight or an edited header (no matching checksum written) is refused as damaged, for
    saved models and checkpoints alike; the untouched files load."""
    data, _ = _read(saved)
    name = next(k for k in data if k.endswith("weight"))
    weight = data[name].clone()
    weight.view(-1)[0] = torch.nextafter(weight.view(-1)[0], torch.tensor(float("inf")))  # one bit of one weight
    refused(edited(saved, tmp_path / "w.geoinr", tensors={name: weight}, checksum=False), "checksum")
    raw = bytearray(saved.read_bytes())
    raw[-3] ^= 0x01  # the last bytes of the file are tensor data
    (tmp_path / "bit.geoinr").write_bytes(bytes(raw))
    refused(tmp_path / "bit.geoinr", "checksum")
    refused(edited(saved, tmp_path / "h.geoinr", meta={"written_by": "someone"}, checksum=False), "checksum")
    state = json.loads(_read(checkpoint)[1]["state"])
    refused(edited(checkpoint, tmp_path / "c.ckpt", {"epoch": state["epoch"] + 1}, key="state", checksum=False),
            "checksum", load=_resume(tracks))
    assert geoinr.load(saved).is_fitted


def test_files_written_before_checksums_still_load(saved, tmp_path):
    """Format 1 (before checksums) loads, with a warning that it cannot be checked; a format 2 file without its
    checksum was edited (an edit that deleted the checksum too loaded in silence: a review)."""
    data, header = _read(saved)
    assert len(header.pop("sha256")) == 64
    save_file(data, str(tmp_path / "edited.geoinr"), metadata=header)
    with pytest.raises(ValueError, match="carry a sha256 checksum and this one has none"):
        geoinr.load(tmp_path / "edited.geoinr")
    save_file(data, str(tmp_path / "old.geoinr"), metadata={**header, "format_version": "1"})
    with pytest.warns(UserWarning, match="written before geoinr files carried a checksum"):
        assert geoinr.load(tmp_path / "old.geoinr").is_fitted


def test_an_intact_checkpoint_still_resumes(checkpoint, tracks):
    model = _resume(tracks)(checkpoint)
    assert model.is_fitted


def test_a_fit_without_a_seed_is_not_resumed_on_other_held_out_points(tracks, tmp_path):
    """seed=None draws the held-out points anew: the checkpoint's best weights and score belong to another split."""
    path = tmp_path / "run.ckpt"
    options = {**SMALL, **FIT_KW, "seed": None, "validation": 0.2}
    with pytest.warns(UserWarning, match="cannot be resumed; give a seed"):
        geoinr.INRModel(epochs=120, **options).fit(tracks, variables="sla", checkpoint=path, checkpoint_every=0.0)
    msg = refused(path, "seed", load=lambda p: geoinr.INRModel(epochs=120, **options).fit(tracks, variables="sla",
                                                                                          resume=p))
    assert "seed=None" in msg
