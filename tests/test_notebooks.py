"""The notebooks in examples/ are their scripts' cells, ran to the end, and one runs in a real Jupyter kernel.

The scripts are the source: ``tools/make_notebooks.py`` makes each ``examples/<name>.ipynb``
from ``examples/<name>.py`` and runs it so that the outputs are saved. These tests
fail when a notebook and its script drift apart (rerun the tool), and run the
quickstart notebook in an ``ipykernel`` kernel through ``nbclient``, in the quick
mode of tests/test_examples.py (``GEOINR_QUICK=1``).
"""
import json
import os
import pathlib
import runpy

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
TOOL = runpy.run_path(str(ROOT / "tools" / "make_notebooks.py"))
NOTEBOOKS = TOOL["NOTEBOOKS"]


def _notebook(name):
    with open(ROOT / "examples" / f"{name}.ipynb", encoding="utf-8") as f:
        return json.load(f)


def test_every_example_script_has_its_notebook_or_a_reason():
    """A new examples/*.py gets a notebook (add it to NOTEBOOKS in tools/make_notebooks.py) or a reason not to."""
    scripts = {p.stem for p in (ROOT / "examples").glob("*.py")}
    assert scripts == set(NOTEBOOKS) | set(TOOL["NOT_NOTEBOOKS"])
    assert {p.stem for p in (ROOT / "examples").glob("*.ipynb")} == set(NOTEBOOKS)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_cells_are_the_scripts_cells(name):
    """examples/<name>.ipynb holds exactly the cells tools/make_notebooks.py makes from examples/<name>.py."""
    cells = TOOL["cells_of_notebook"](ROOT / "examples" / f"{name}.ipynb")
    expected = TOOL["cells_from_script"](ROOT / "examples" / f"{name}.py")
    stale = f"examples/{name}.ipynb differs from examples/{name}.py: run python tools/make_notebooks.py {name}"
    assert [kind for kind, _ in cells] == [kind for kind, _ in expected], stale
    for (_, got), (_, want) in zip(cells, expected):
        assert got == want, stale


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_was_run_and_shows_its_outputs(name):
    """Every code cell ran, in order and without error, at full size; the pictures are in the notebook, and small."""
    import nbformat

    nb = _notebook(name)
    nbformat.validate(nbformat.from_dict(nb))  # a valid nbformat 4 file: it renders on the forge and in Jupyter
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    counts = [c["execution_count"] for c in code]
    assert counts == list(range(1, len(code) + 1)), f"{name}.ipynb was not run top to bottom: {counts}"
    outputs = [o for c in code for o in c["outputs"]]
    assert not [o for o in outputs if o["output_type"] == "error"]
    assert nb["metadata"]["geoinr"] == {"quick": False}, f"{name}.ipynb was run in quick mode"
    assert "wrote " in "".join("".join(o.get("text", "")) for o in outputs)
    pictures = [o for o in outputs if "image/png" in o.get("data", {})]
    assert pictures, f"{name}.ipynb shows no picture"
    size = (ROOT / "examples" / f"{name}.ipynb").stat().st_size
    assert size < 600_000, f"{name}.ipynb is {size / 1e3:.0f} kB: save smaller figures (dpi 80)"


def test_quickstart_notebook_runs_in_a_jupyter_kernel(tmp_path):
    """examples/quickstart.ipynb, run by nbclient in an ipykernel kernel (quick mode): no error, maps, picture, model."""
    import nbformat

    nb = nbformat.read(ROOT / "examples" / "quickstart.ipynb", as_version=4)
    for cell in nb.cells:  # start from the cells only, as a user does
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    TOOL["execute"](nb, tmp_path, quick=True, timeout=300)
    out = tmp_path / "demo_output"
    for name in ("sla_maps.nc", "sla_map.png", "sla.geoinr"):
        assert (out / name).stat().st_size > 1000, name
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "".join(o.get("text", "") for o in outputs)
    assert "width=64, depth=2" in text  # the quick mode's tiny model: GEOINR_QUICK reached the kernel
    mu = float(text.split("mu = ")[1].split()[0])
    assert mu > 0.3, text
    assert any("image/png" in o.get("data", {}) for o in outputs)


def test_cells_only_and_quick_runs_leave_the_committed_notebooks_alone(tmp_path, capsys):
    """``--no-execute`` (and ``--quick``) write into a temporary folder or ``--out-dir``: they overwrote
    examples/<name>.ipynb with notebooks the tests then refused."""
    committed = (ROOT / "examples" / "quickstart.ipynb").read_bytes()
    assert TOOL["main"](["--no-execute", "quickstart"]) == 0
    written = pathlib.Path(capsys.readouterr().out.split("wrote ", 1)[1].split(" (", 1)[0])
    assert written.is_absolute() and written.exists() and ROOT not in written.resolve().parents
    assert TOOL["main"](["--no-execute", "--out-dir", str(tmp_path), "quickstart"]) == 0
    assert (tmp_path / "quickstart.ipynb").exists()
    assert (ROOT / "examples" / "quickstart.ipynb").read_bytes() == committed


def test_a_relative_out_dir_inside_the_checkout_is_written(monkeypatch, capsys):
    """A relative --out-dir run from the checkout (it wrote the notebook, then failed naming it)."""
    import shutil

    relative = pathlib.Path("build") / f"notebooks_test_{os.getpid()}"  # build/ is ignored by git
    monkeypatch.chdir(ROOT)
    try:
        assert TOOL["main"](["--no-execute", "--out-dir", str(relative), "quickstart"]) == 0
        assert (ROOT / relative / "quickstart.ipynb").exists()
        assert f"wrote {relative / 'quickstart.ipynb'}" in capsys.readouterr().out
    finally:
        shutil.rmtree(ROOT / relative, ignore_errors=True)
