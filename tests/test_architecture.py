"""The layout's rules, read from the source: data flows one way, nothing imports upward, no module grows too big.

Every import counts, including imports inside functions (a cycle hidden in a
function is still a cycle). See docs/architecture.md for the layout these rules keep.
"""
from __future__ import annotations

import ast
import pathlib
import re
import subprocess
import sys

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "geoinr"

# modules below the estimator: they never import the model, the accessor, the io shim or the package root
LOWER = (
    "geoinr.geometry", "geoinr.coords", "geoinr.scales", "geoinr.metrics", "geoinr.encoding", "geoinr.nn",
    "geoinr.physics", "geoinr.stream", "geoinr.training", "geoinr.uncertainty", "geoinr.persistence",
    "geoinr.observations", "geoinr.base", "geoinr.baselines", "geoinr.datasets", "geoinr.display", "geoinr.plot",
    "geoinr.osse", "geoinr.sentinels", "geoinr.cpu_load", "geoinr.machine", "geoinr.frames",
)
UPPER = ("geoinr.model", "geoinr.accessor", "geoinr.io")
NO_TORCH = ("geoinr.geometry", "geoinr.coords", "geoinr.scales", "geoinr.metrics", "geoinr.observations",
            "geoinr.base", "geoinr.baselines", "geoinr.datasets", "geoinr.display", "geoinr.uncertainty.calibration",
            "geoinr.osse", "geoinr.sentinels", "geoinr.cpu_load", "geoinr.machine", "geoinr.frames")
NO_XARRAY = ("geoinr.geometry", "geoinr.nn", "geoinr.physics", "geoinr.training", "geoinr.uncertainty",
             "geoinr.persistence", "geoinr.encoding", "geoinr.model.field", "geoinr.cpu_load", "geoinr.machine",
             "geoinr.frames")
# the file-format leaf and the geometry import nothing of geoinr but the version
LEAVES = {"geoinr.geometry": set(), "geoinr.persistence.format": {"geoinr._version", "geoinr.frames"}, "geoinr.cpu_load": set(),
          "geoinr.machine": set(), "geoinr.frames": set()}
MAX_CLASS_LINES = 500
MAX_FUNCTION_LINES = 120


def module_names(root: pathlib.Path, package: str) -> dict:
    """Dotted module name -> file, for every .py under ``root``."""
    out = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join([package] + parts)] = path
    return out


def imports_of(name: str, path: pathlib.Path, modules: dict) -> tuple[set, set]:
    """(modules of the package, top-level third-party names) imported anywhere in a file."""
    is_package = path.name == "__init__.py"
    package = name if is_package else name.rpartition(".")[0]
    inner, outer = set(), set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                stem = ".".join(base + ([node.module] if node.module else []))
            else:
                stem = node.module
            targets = [f"{stem}.{a.name}" if f"{stem}.{a.name}" in modules else stem for a in node.names]
        else:
            continue
        for target in targets:
            if target.split(".")[0] == next(iter(modules)).split(".")[0]:
                while target not in modules and "." in target:
                    target = target.rpartition(".")[0]
                if target != name:
                    inner.add(target)
            else:
                outer.add(target.split(".")[0])
    return inner, outer


def import_graph(root: pathlib.Path, package: str):
    modules = module_names(root, package)
    graph, third = {}, {}
    for name, path in modules.items():
        graph[name], third[name] = imports_of(name, path, modules)
    return graph, third


def cycles(graph: dict) -> list:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def _under(name: str, prefixes) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def violations(graph: dict, third: dict) -> list:
    found = []
    for name, targets in graph.items():
        if _under(name, LOWER):
            found += [f"{name} imports {t} (upward)" for t in targets if _under(t, UPPER) or t == "geoinr"]
        if name in LEAVES:
            found += [f"{name} imports {t} (a leaf)" for t in targets - LEAVES[name]]
        if _under(name, NO_TORCH) and "torch" in third[name]:
            found.append(f"{name} imports torch")
        if _under(name, NO_XARRAY) and "xarray" in third[name]:
            found.append(f"{name} imports xarray")
    return found


def test_no_import_cycle_between_geoinr_modules():
    graph, _ = import_graph(PACKAGE, "geoinr")
    assert cycles(graph) == []


def test_no_module_imports_upward():
    graph, third = import_graph(PACKAGE, "geoinr")
    assert violations(graph, third) == []


def test_the_checks_catch_a_cycle_and_an_upward_import(tmp_path):
    """The rules can fail: a cycle hidden in a function and an upward import are both reported."""
    pkg = tmp_path / "geoinr"
    (pkg / "model").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "model" / "__init__.py").write_text("from .estimator import INRModel\n")
    (pkg / "model" / "estimator.py").write_text("from ..training import Trainer\nclass INRModel: ...\n")
    (pkg / "training.py").write_text("import torch\ndef save():\n    from .model import estimator\n")
    (pkg / "coords.py").write_text("def f():\n    import torch\n")
    graph, third = import_graph(pkg, "geoinr")
    assert cycles(graph) == [["geoinr.model.estimator", "geoinr.training"]]
    found = violations(graph, third)
    assert "geoinr.training imports geoinr.model.estimator (upward)" in found
    assert "geoinr.coords imports torch" in found


def _sizes(path: pathlib.Path):
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            yield node, node.end_lineno - node.lineno + 1


def test_no_class_or_function_too_long():
    """A newcomer reads a class or a function in one sitting (docstrings included)."""
    long = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node, n in _sizes(path):
            limit = MAX_CLASS_LINES if isinstance(node, ast.ClassDef) else MAX_FUNCTION_LINES
            if n > limit:
                long.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno} {node.name} has {n} lines (> {limit})")
    assert long == []


def test_the_earth_constants_are_defined_once():
    """One Earth radius, one rotation rate and one day in seconds (geoinr.geometry); every other module imports
    them (a maintainer's review found the rotation rate and the day copied into the torch-free layers)."""
    patterns = {"radius": r"^\s*[A-Z_]*RADIUS[A-Z_]*\s*=\s*[0-9]", "rotation": r"7\.29211",
                "day": r"^\s*[A-Z_]+\s*=\s*86_?400"}
    where = {
        what: [f"{p.relative_to(PACKAGE.parent)}:{src[: m.start()].count(chr(10)) + 1}"
               for p in sorted(PACKAGE.rglob("*.py")) for src in [p.read_text()]
               for m in re.finditer(pattern, src, re.M)]
        for what, pattern in patterns.items()
    }
    assert where == {"radius": ["geoinr/geometry.py:25"], "rotation": ["geoinr/geometry.py:30"],
                     "day": ["geoinr/geometry.py:31"]}, where


def test_torch_free_modules_load_without_torch():
    """The NO_TORCH rule with everything a module loads on import, its packages' ``__init__`` included (read file by
    file, ``geoinr.uncertainty.calibration`` passed while its package's ``__init__`` imported torch)."""
    code = (
        "import sys, importlib\n"
        f"for name in {list(NO_TORCH)!r}:\n"
        "    importlib.import_module(name)\n"
        "    assert 'torch' not in sys.modules, name + ' loads torch'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=PACKAGE.parent)
    assert done.returncode == 0, done.stderr[-2000:]
