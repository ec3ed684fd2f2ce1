"""Reviews of long interactive sessions and of portability (2026-12-07, fourth session): each test failed before.

Sessions: Ctrl-C outside the training loop (the calibration, a scale search's candidate) left a model that said it
was fitted, or was swallowed; an interrupted fit's outputs did not say so; the predict bar stayed open after an
error; the saver set the umask to 0 for a moment (other threads' files world-writable). Portability: a loaded
model kept its file memory-mapped (Windows cannot replace a mapped file), Windows never removed the temporary files
of killed saves, its memory check was off, ``~`` was not expanded, a recipe folder named ``SLA [2017]`` held no
files.
"""
import os
import sys
import types

import numpy as np
import pytest

import geoinr
from geoinr import machine
from geoinr.base import NotFittedError
from geoinr.model import evaluation, fitting
from geoinr.persistence import format as fmt

FIT = dict(width=16, depth=1, epochs=3, max_time=None, progress=False, seed=0)


@pytest.fixture(scope="module")
def tracks():
    return geoinr.datasets.synthetic_tracks(days=2, seed=0)


def test_ctrl_c_outside_training_leaves_the_model_unfitted(tracks, monkeypatch):
    model = geoinr.INRModel(**FIT).fit(tracks, variables="sla")  # fitted once: a refit that fails must not keep it

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(fitting, "calibrate", interrupted)
    with pytest.raises(KeyboardInterrupt):
        model.set_params(width=24).fit(tracks, variables="sla")
    assert not model.is_fitted and not hasattr(model, "_fit_params_")
    with pytest.raises(NotFittedError):
        model.predict(tracks)


def test_ctrl_c_in_a_scale_search_stops_the_fit(tracks, monkeypatch):
    from geoinr import training

    calls = []
    original = training.Trainer.train_step

    def step(self, *args):
        calls.append(1)
        if len(calls) == 3:  # in the first candidate
            raise KeyboardInterrupt
        return original(self, *args)

    monkeypatch.setattr(training.Trainer, "train_step", step)
    model = geoinr.INRModel(**{**FIT, "epochs": 30}, min_wavelength="search")
    with pytest.warns(UserWarning, match="interrupted"), pytest.raises(KeyboardInterrupt):
        model.fit(tracks, variables="sla")
    assert not model.is_fitted and len(calls) == 3


def test_an_interrupted_fit_says_so_in_its_outputs(tracks, monkeypatch):
    from geoinr import training

    original = training.Trainer.train_step

    def step(self, *args):
        if self.step >= 5:
            raise KeyboardInterrupt
        return original(self, *args)

    monkeypatch.setattr(training.Trainer, "train_step", step)
    with pytest.warns(UserWarning, match="interrupted"):
        model = tracks.inr.fit("sla", **{**FIT, "epochs": 50})
    assert "interrupted (Ctrl-C)" in model.predict(tracks).attrs["source"]


def test_the_predict_bar_is_closed_when_predict_fails(tracks, monkeypatch):
    import tqdm.auto
    import tqdm.std

    bars = []

    class Bar:  # records what predict does with its bar
        def __init__(self, *args, **kwargs):
            self.closed = False
            bars.append(self)

        def update(self, n):
            pass

        def close(self):
            self.closed = True

    model = tracks.inr.fit("sla", **FIT).set_params(progress=True)
    model._remember_params()  # progress is no fitted parameter here: predict as the fit left it
    monkeypatch.setattr(evaluation, "PROGRESS_MIN_POINTS", 1)
    monkeypatch.setattr(tqdm.auto, "tqdm", Bar)
    monkeypatch.setattr(tqdm.std, "tqdm", Bar)  # (the bar without ipywidgets)

    def broken(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(type(model), "_standardized", broken)
    with pytest.raises(KeyboardInterrupt):
        model.predict(tracks)
    assert len(bars) == 1 and bars[0].closed


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="Linux gives the umask in /proc/self/status")
def test_the_umask_is_read_without_being_changed(monkeypatch):
    expected = os.umask(0o027)
    os.umask(0o027)
    try:
        monkeypatch.setattr(fmt.os, "umask", lambda mask: pytest.fail("os.umask was called"))
        assert fmt._umask() == 0o027
    finally:
        monkeypatch.undo()
        os.umask(expected)


@pytest.mark.skipif(not os.path.exists("/proc/self/maps"), reason="Linux lists a process's mappings")
def test_a_loaded_model_keeps_no_mapping_of_its_file(tracks, tmp_path):
    path = tmp_path / "ens.geoinr"
    tracks.inr.fit("sla", uncertainty="ensemble", n_members=2, **FIT).save(path)
    model = geoinr.load(path)
    with open("/proc/self/maps") as maps:
        assert str(path) not in maps.read()
    model.save(path)  # over the file it was loaded from (Windows refused that while it was mapped)
    assert geoinr.load(path).is_fitted


def test_temporary_files_of_killed_saves_are_removed_where_processes_cannot_be_asked(tmp_path, monkeypatch):
    name = "m.geoinr"
    tmp = tmp_path / f".tmp-{name}-4321-{fmt.HOST_TAG}-abc123"
    tmp.write_bytes(b"half")
    old = os.stat(tmp).st_mtime - fmt.FOREIGN_STALE_AFTER_S - 60
    os.utime(tmp, (old, old))
    monkeypatch.setattr(fmt.os, "name", "nt")
    fmt._remove_stale_temps(str(tmp_path), name)
    monkeypatch.undo()
    assert not tmp.exists()


def test_without_sysconf_the_memory_comes_from_psutil(monkeypatch):
    monkeypatch.delattr(os, "sysconf")
    monkeypatch.setattr(machine, "_cgroup_limit", lambda root=None: None)
    monkeypatch.setitem(sys.modules, "psutil", types.SimpleNamespace(virtual_memory=lambda: types.SimpleNamespace(total=8 * 2**30)))
    assert machine.memory_bytes() == 8 * 2**30
    with pytest.raises(MemoryError):
        machine.check_memory(6 * 2**30, "An eager prediction", "Predict lazily.")


def test_paths_starting_with_a_tilde_are_the_home_folder(tracks, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    model = tracks.inr.fit("sla", checkpoint="~/run.ckpt", **FIT)
    model.save("~/m.geoinr")
    assert sorted(os.listdir(tmp_path)) == ["m.geoinr", "run.ckpt"]
    np.testing.assert_array_equal(geoinr.load("~/m.geoinr").predict(tracks).values, model.predict(tracks).values)
    assert tracks.inr.fit("sla", resume="~/run.ckpt", **FIT).is_fitted


def test_a_recipe_folder_whose_name_looks_like_a_pattern_is_read(tmp_path):
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "_recipe_cmems_l3_brackets", os.path.join(os.path.dirname(os.path.dirname(__file__)), "data_recipes",
                                                  "cmems_l3.py"))
    recipe = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(recipe)
    folder = tmp_path / "SLA [2017]"
    folder.mkdir()
    (folder / "day.nc").write_bytes(b"")
    assert recipe._find_files(str(folder)) == [str(folder / "day.nc")]
    assert recipe._find_files(str(folder / "day.nc")) == [str(folder / "day.nc")]


def test_a_rename_refused_for_a_moment_on_windows_is_tried_again(tmp_path, monkeypatch):
    path, tmp = tmp_path / "m.geoinr", tmp_path / "tmp"
    tmp.write_bytes(b"new")
    refusals = []
    original = os.replace

    def held_open(src, dst):  # an antivirus holding the target for two tries (WinError 32)
        if len(refusals) < 2:
            refusals.append(1)
            raise PermissionError(32, "The process cannot access the file")
        original(src, dst)

    monkeypatch.setattr(fmt.os, "replace", held_open)
    monkeypatch.setattr(fmt.time, "sleep", lambda s: None)
    monkeypatch.setattr(fmt.os, "name", "nt")
    fmt._replace(str(tmp), str(path))
    monkeypatch.undo()
    assert path.read_bytes() == b"new" and len(refusals) == 2
    tmp.write_bytes(b"again")

    def denied(src, dst):
        raise PermissionError(13, "denied")

    monkeypatch.setattr(fmt.os, "replace", denied)
    with pytest.raises(PermissionError):  # elsewhere a refusal is an answer: raised at once
        fmt._replace(str(tmp), str(path))


def test_a_data_challenge_unpacked_on_windows_counts_as_unpacked_elsewhere(tmp_path):
    import importlib.util
    import json

    spec = importlib.util.spec_from_file_location(
        "_recipe_dc2020a_marker", os.path.join(os.path.dirname(os.path.dirname(__file__)), "data_recipes", "dc2020a.py"))
    recipe = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(recipe)
    (tmp_path / "dc_obs").mkdir()
    (tmp_path / "dc_obs" / "a.nc").write_bytes(b"12345")
    with open(recipe.marker_path(str(tmp_path), "obs"), "w") as f:  # as Windows wrote it: backslashes
        json.dump({"files": {"dc_obs\\a.nc": 5}}, f)
    assert recipe.is_unpacked(str(tmp_path), "obs")
