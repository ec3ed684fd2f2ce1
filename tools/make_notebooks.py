"""Make the notebooks ``examples/<name>.ipynb`` from the example scripts, and run them.

The scripts in ``examples/`` are the source; the notebooks are generated from them
and executed in a Jupyter kernel, so that they show their outputs (text and
pictures) on the forge. Edit a script, then run:

    python tools/make_notebooks.py                # every notebook, full size (a few minutes each on 2 CPU cores)
    python tools/make_notebooks.py quickstart     # one notebook
    python tools/make_notebooks.py --quick        # the tests' quick mode (seconds), into a temporary folder
    python tools/make_notebooks.py --no-execute   # cells only, no outputs, into a temporary folder
    python tools/make_notebooks.py --check        # exit 1 if a notebook's cells differ from its script

It needs ``nbformat``, ``nbclient`` and ``ipykernel`` (``pip install -e ".[test]"``).
``tests/test_notebooks.py`` fails when a notebook's cells and its script differ.

The scripts keep their cells inside ``main(out, quick, ...)`` (``# %%`` markers,
indented), so that the tests can call ``main(quick=True)``; jupytext reads them as
one cell per function. This module turns them into notebook cells itself:

1. the module docstring becomes the first (markdown) cell;
2. the script's imports (not ``argparse``) become one code cell;
3. main's arguments become a parameters cell: their defaults, except ``quick``,
   which is true when the environment has ``GEOINR_QUICK=1`` (the tests set it);
   main's statements before the first ``# %%`` follow them;
4. the script's other top-level functions become one code cell, and a small
   ``show_pictures`` helper another: the scripts write their figures to PNG
   files, and a cell that writes some shows them;
5. every ``# %%`` section of main becomes a markdown cell (the ``# %%`` comment
   and the comment lines right after it) and a code cell (the rest, dedented);
   main's final ``return`` is left out.
"""
from __future__ import annotations

import argparse
import ast
import json
import os
import pathlib
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
# the examples that are notebooks, in the order a reader meets them
NOTEBOOKS = ("quickstart", "regrid", "gap_filling", "physics_currents", "surrogate", "save_load")
# the examples that are not, and why
NOT_NOTEBOOKS = {"distributed_fit": "runs under torchrun, one process per GPU; a notebook is one process"}
QUICK_ENV = "GEOINR_QUICK"

SHOW_PICTURES = '''\
# Notebook only: the script writes its figures to PNG files; this shows, below a cell,
# the ones that cell wrote.
from IPython.display import Image, display

shown = {}


def show_pictures(folder):
    """Display the PNG files in ``folder`` written since they were last shown."""
    pngs = [os.path.join(folder, name) for name in os.listdir(folder) if name.endswith(".png")]
    for path in sorted(pngs, key=os.path.getmtime):
        if shown.get(path) != os.path.getmtime(path):
            shown[path] = os.path.getmtime(path)
            display(Image(filename=path))'''

SCRIPT_NOTE = "Copy it cell by cell into a notebook, or run it:"


def _lines(text: str, node: ast.AST) -> list[str]:
    """The source lines of a top-level node, decorators included."""
    start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
    return text.splitlines()[start - 1 : node.end_lineno]


def _dedent(lines: list[str], width: int = 4) -> list[str]:
    out = []
    for line in lines:
        if line.strip() and not line.startswith(" " * width):
            raise ValueError(f"line not indented by {width} spaces inside main(): {line!r}")
        out.append(line[width:])
    return out


def _strip_blank(lines: list[str]) -> list[str]:
    while lines and not lines[0].strip():
        lines = lines[1:]
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    return lines


def _markdown_from_docstring(doc: str, name: str) -> str:
    title, _, body = doc.strip().partition("\n")
    note = (f"*This notebook is made from [`{name}.py`]({name}.py) by `tools/make_notebooks.py`, "
            "which also ran it: edit the script, then rerun that.*")
    body = body.strip().replace(SCRIPT_NOTE, "The same example as a script:")
    return f"# {title.strip()}\n\n{note}\n\n{body}"


def _parameters(main: ast.FunctionDef, name: str, text: str) -> list[str]:
    args = main.args.args
    defaults = [None] * (len(args) - len(main.args.defaults)) + list(main.args.defaults)
    lines = [f"# The arguments of main() in {name}.py. {QUICK_ENV}=1 in the environment gives the",
             "# tests' quick mode: a tiny model, a few seconds."]
    for arg, default in zip(args, defaults):
        if arg.arg == "quick":
            lines.append(f'quick = os.environ.get("{QUICK_ENV}", "0") == "1"')
        elif default is None:
            raise ValueError(f"main() argument {arg.arg!r} of {name}.py has no default")
        else:
            lines.append(f"{arg.arg} = {ast.get_source_segment(text, default)}")
    return lines


def cells_from_script(path) -> list[tuple[str, str]]:
    """The notebook's cells, ``(cell_type, source)``, made from the example script at ``path``."""
    path = pathlib.Path(path)
    name = path.stem
    text = path.read_text(encoding="utf-8")
    tree = ast.parse(text)
    doc = ast.get_docstring(tree, clean=False)
    if not doc:
        raise ValueError(f"{path} has no module docstring")
    imports, helpers, main, previous = [], [], None, None
    for node in tree.body[1:]:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            if not (isinstance(node, ast.Import) and [a.name for a in node.names] == ["argparse"]):
                if imports and node.lineno > previous + 1:  # the script's blank lines between groups
                    imports.append("")
                imports.extend(_lines(text, node))
            previous = node.end_lineno
        elif isinstance(node, ast.FunctionDef) and node.name == "main":
            main = node
        elif isinstance(node, ast.If) and "__name__" in ast.unparse(node.test):
            continue
        else:
            helpers.append("\n".join(_lines(text, node)))
    if main is None:
        raise ValueError(f"{path} has no main()")
    if "import os" not in imports:
        imports.insert(0, "import os")

    # main's body, without its final return, cut at the `# %%` markers
    body = main.body
    body_end = body[-1].lineno - 1 if isinstance(body[-1], ast.Return) else main.end_lineno
    lines = _dedent(text.splitlines()[body[0].lineno - 1 : body_end])
    sections = [[]]
    for line in lines:
        if line.startswith("# %%"):
            sections.append([])
        sections[-1].append(line)

    cells = [("markdown", _markdown_from_docstring(doc, name)), ("code", "\n".join(imports))]
    cells.append(("code", "\n".join(_parameters(main, name, text) + _strip_blank(sections[0]))))
    if helpers:
        cells.append(("code", "\n\n\n".join(helpers)))
    cells.append(("code", SHOW_PICTURES))
    for section in sections[1:]:
        comment = [section[0][len("# %%"):].strip()]
        rest = section[1:]
        while rest and rest[0].startswith("#"):
            comment.append(rest[0].lstrip("#").strip())
            rest = rest[1:]
        code = _strip_blank(rest)
        if ".png" in "\n".join(code):
            code = code + ["show_pictures(out)"]
        cells.append(("markdown", " ".join(c for c in comment if c)))
        cells.append(("code", "\n".join(code)))
    return cells


def notebook_from_script(path):
    """An ``nbformat`` notebook (no outputs) made from the example script at ``path``."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    for i, (kind, source) in enumerate(cells_from_script(path)):
        new = nbformat.v4.new_markdown_cell if kind == "markdown" else nbformat.v4.new_code_cell
        nb.cells.append(new(source, id=f"cell-{i:02d}"))  # fixed ids: regenerating changes nothing
    return nb


def execute(nb, workdir, quick=False, timeout=1800):
    """Run ``nb`` in a fresh ``python3`` kernel started in ``workdir``; return it with its outputs."""
    from nbclient import NotebookClient

    env = dict(os.environ)
    env.pop("MPLBACKEND", None)  # the kernel's own (inline) backend
    env[QUICK_ENV] = "1" if quick else "0"
    # without ipywidgets, tqdm.auto warns once (naming this machine's paths) and draws a text bar:
    # the bar is worth saving, the warning is not
    env["PYTHONWARNINGS"] = "ignore:IProgress not found"
    client = NotebookClient(
        nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(workdir)}},
        record_timing=False, coalesce_streams=True,
    )
    client.execute(env=env)
    for cell in nb.cells:  # a progress bar that erased itself leaves blanks and a carriage return
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.outputs if o.output_type != "stream" or o.text.strip()]
    nb.metadata["geoinr"] = {"quick": quick}  # tests/test_notebooks.py wants the saved outputs full size
    return nb


def cells_of_notebook(path) -> list[tuple[str, str]]:
    """``(cell_type, source)`` of every cell of a saved notebook (plain JSON, no nbformat needed)."""
    with open(path, encoding="utf-8") as f:
        nb = json.load(f)
    return [(c["cell_type"], "".join(c["source"]) if isinstance(c["source"], list) else c["source"])
            for c in nb["cells"]]


def check(names) -> list[str]:
    """The names of the notebooks whose cells differ from their script's (or that are missing)."""
    return [n for n in names if not (EXAMPLES / f"{n}.ipynb").exists()
            or cells_of_notebook(EXAMPLES / f"{n}.ipynb") != cells_from_script(EXAMPLES / f"{n}.py")]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 1)[1],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", default=list(NOTEBOOKS), help=f"examples (default: {' '.join(NOTEBOOKS)})")
    parser.add_argument("--quick", action="store_true", help=f"run in quick mode ({QUICK_ENV}=1)")
    parser.add_argument("--no-execute", action="store_true", help="write the cells without running them")
    parser.add_argument("--check", action="store_true", help="only compare the notebooks' cells with the scripts")
    parser.add_argument("--out-dir", type=pathlib.Path, default=None,
                        help="where to write the notebooks (default: examples/ for full runs; a new temporary folder "
                             "with --quick or --no-execute, whose notebooks the tests would refuse in examples/)")
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in NOTEBOOKS]
    if unknown:
        parser.error(f"not a notebook example: {unknown}; choose from {list(NOTEBOOKS)}"
                     + "".join(f"\n  ({k}: {v})" for k, v in NOT_NOTEBOOKS.items()))
    if args.check:
        stale = check(args.names)
        for n in stale:
            print(f"examples/{n}.ipynb differs from examples/{n}.py: run python tools/make_notebooks.py {n}")
        return 1 if stale else 0

    import nbformat

    out_dir = args.out_dir
    if out_dir is None:
        out_dir = pathlib.Path(tempfile.mkdtemp(prefix="notebooks_")) if args.quick or args.no_execute else EXAMPLES
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in args.names:
        nb = notebook_from_script(EXAMPLES / f"{name}.py")
        if not args.no_execute:
            start = time.perf_counter()
            with tempfile.TemporaryDirectory() as workdir:  # the outputs (netCDF, PNG, model) land here
                execute(nb, workdir, quick=args.quick)
            print(f"ran {name}.ipynb in {time.perf_counter() - start:.0f} s", file=sys.stderr)
        path = out_dir / f"{name}.ipynb"
        nbformat.write(nb, path)
        shown = path.resolve().relative_to(ROOT.resolve()) if path.resolve().is_relative_to(ROOT.resolve()) else path
        print(f"wrote {shown} ({path.stat().st_size / 1e3:.0f} kB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
