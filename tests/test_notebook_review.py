"""A review of the Jupyter experience (2026-12-07, sixth session): each test failed before its fix.

- a model on a cell's last line showed scikit-learn's widget: Jupyter asked it first, and geoinr's table was never
  shown; a baseline showed the widget too;
- without ipywidgets, the first fit cell of a notebook warned "IProgress not found" (tqdm.auto);
- an epochs fit on a busy machine was told to fit again "with a longer max_time";
- Ctrl-C during the scale search said the best weights were kept, then returned nothing, in silence;
- the README's baselines block used names no earlier block defined.
"""
import importlib.util
import re
from pathlib import Path

import pytest

import geoinr
from geoinr.cpu_load import busy_note
from geoinr.frames import progress_bar

README = Path(__file__).resolve().parents[1] / "README.md"


def test_jupyter_shows_geoinr_s_own_table():
    formatter = pytest.importorskip("IPython.core.formatters").DisplayFormatter()
    shown, _ = formatter.format(geoinr.INRModel(width=8))
    assert shown["text/html"].startswith('<div class="geoinr-model">')
    shown, _ = formatter.format(geoinr.baselines.OptimalInterpolation(lx=50.0))
    assert shown["text/html"] == "<pre>OptimalInterpolation(lx=50.0)</pre>"
    assert shown["text/plain"] == "OptimalInterpolation(lx=50.0)"


def test_the_progress_bar_is_text_without_ipywidgets():
    bar = progress_bar()
    widgets = importlib.util.find_spec("ipywidgets") is not None
    assert bar.__module__ == ("tqdm.notebook" if widgets else "tqdm.std") or (widgets and bar.__module__ == "tqdm.auto")


def test_an_epochs_fit_on_a_busy_machine_is_not_told_to_take_longer():
    assert "longer max_time" in busy_note(0.6)
    assert busy_note(0.6, timed=False) == ("other processes took 60 % of the CPUs' time while it trained: it took "
                                           "longer than alone")
    fitted = geoinr.INRModel(width=8, depth=1, epochs=2, max_time=None, progress=False).fit(
        geoinr.datasets.synthetic_tracks(days=2, seed=0), "sla")
    fitted.cpu_contention_ = 0.6
    assert "busy machine" in repr(fitted) and "longer max_time" not in repr(fitted)
    fitted = geoinr.INRModel(width=8, depth=1, epochs=2, progress=False).fit(  # (max_time left at its 60 s)
        geoinr.datasets.synthetic_tracks(days=2, seed=0), "sla")
    fitted.cpu_contention_ = 0.6
    assert "busy machine" in repr(fitted) and "longer max_time" not in repr(fitted)


def test_ctrl_c_in_the_scale_search_says_there_is_no_model(monkeypatch):
    from geoinr.model import scale_search

    def interrupted(self, *args, **kwargs):
        self.stop_reason_ = "interrupted"
        return self

    import numpy as np

    from geoinr.coords import PointTable

    model = geoinr.INRModel(progress=False)
    model.n_points_ = 4
    table = PointTable(np.zeros(4), np.zeros(4), None, np.zeros((4, 1)))
    monkeypatch.setattr(geoinr.INRModel, "fit", interrupted)
    with pytest.raises(KeyboardInterrupt, match="during the scale search.*no model to keep"):
        scale_search._held_out_errors(model, table, np.ones(4, bool), None, 100.0, None, {})


def test_the_readme_s_baselines_block_defines_what_it_uses():
    text = README.read_text()
    block = re.search(r"```python\n(tracks = .*?oi\.score\(reference\).*?)```", text, re.S)
    assert block is not None
    assert "reference = " in block.group(1)


def test_the_scale_search_shows_a_bar_over_its_candidates(monkeypatch):
    from geoinr.model import scale_search

    bars = []

    class Recorder:
        def __init__(self, *args, **kwargs):
            self.kwargs, self.n, self.closed = kwargs, 0, False
            bars.append(self)

        def update(self, k):
            self.n += k

        def close(self):
            self.closed = True

    monkeypatch.setattr(scale_search, "progress_bar", lambda: Recorder)
    tracks = geoinr.datasets.synthetic_tracks(days=4, seed=0)
    geoinr.INRModel(width=8, depth=1, epochs=4, max_time=None, min_wavelength="search", progress=True).fit(tracks, "sla")
    assert bars and bars[0].kwargs["desc"] == "scale search" and bars[0].n >= 2 and bars[0].closed
