"""The package layout keeps data flowing one way (issue 10, docs/architecture.md).

Every module under ``cevns_stats/`` is parsed with :mod:`ast` (nothing is imported) and its imports, at
module level and inside functions alike, become edges of a module graph. The tests then check the rules of
the layout: stages import only their own or lower stages, inference never reaches physics or detector, no
import cycle, a nearly empty top level, library code that leaves matplotlib's global state alone, and a
docstring per stage that says what the stage takes and gives.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

PACKAGE = "cevns_stats"
PACKAGE_DIR = Path(__file__).resolve().parents[1] / PACKAGE

# Stage order, lowest first: a module may import from its own stage or a lower one. ``errors`` is below all;
# the top-level package (its lazy API facade) and ``__main__`` sit above the command line.
STAGES = ("errors", "physics", "detector", "likelihood", "inference", "experiments", "plots", "paper", "cli")
TOP = len(STAGES)
RANK = {name: rank for rank, name in enumerate(STAGES)}
TOP_LEVEL_FILES = {"__init__.py", "__main__.py", "errors.py"}
# The modules of a lower stage that inference may read: pure pyhf JSON, no physics.
INFERENCE_MAY_USE = {
    f"{PACKAGE}.likelihood",
    f"{PACKAGE}.likelihood.workspace",
    f"{PACKAGE}.likelihood.patches",
}


def module_name(path: Path) -> str:
    """``cevns_stats/physics/rates.py`` -> ``cevns_stats.physics.rates`` (a package is its ``__init__``)."""
    parts = list(path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def modules() -> dict[str, Path]:
    """Every module of the package, by dotted name."""
    return {module_name(path): path for path in sorted(PACKAGE_DIR.rglob("*.py"))}


def stage_rank(module: str) -> int:
    """The stage of ``module`` as its rank in :data:`STAGES` (the facade and ``__main__`` are on top)."""
    parts = module.split(".")
    return RANK[parts[1]] if len(parts) > 1 and parts[1] in RANK else TOP


def _resolve(module: str, node: ast.ImportFrom) -> str:
    """The absolute module named by a (possibly relative) ``from … import``."""
    if not node.level:
        return node.module or ""
    is_package = modules()[module].name == "__init__.py"
    base = module.split(".")[: len(module.split(".")) - node.level + is_package]
    return ".".join(base + ([node.module] if node.module else []))


def _known(name: str) -> str | None:
    """The longest prefix of ``name`` that is a module of the package (None outside it)."""
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        if ".".join(parts[:end]) in modules():
            return ".".join(parts[:end])
    return None


def _targets(module: str, node: ast.AST) -> Iterator[str]:
    if isinstance(node, ast.Import):
        for alias in node.names:
            yield from filter(None, [_known(alias.name)])
    elif isinstance(node, ast.ImportFrom):
        source = _resolve(module, node)
        for alias in node.names:
            if source == PACKAGE and alias.name == "__version__":
                # Package metadata: the top-level __init__ defines it before anything else and imports nothing
                # at import time (test_top_level_import_is_light), so this is no edge into the facade.
                continue
            target = _known(f"{source}.{alias.name}") or _known(source)
            if target:
                yield target


@cache
def imports() -> dict[str, frozenset[str]]:
    """Module -> the package modules it imports anywhere in its body (function-level imports too)."""
    graph = {}
    for name, path in modules().items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        graph[name] = frozenset(t for node in ast.walk(tree) for t in _targets(name, node) if t != name)
    return graph


def _with_parents(module: str) -> set[str]:
    """``module`` and the packages whose ``__init__`` importing it runs.

    The top-level package is left out: its API names are imported lazily, on first access, so running its
    ``__init__`` loads no stage (:func:`test_top_level_import_is_light`).
    """
    parts = module.split(".")
    return {".".join(parts[:end]) for end in range(2, len(parts) + 1)}


def reachable(start: str) -> set[str]:
    """Every module that importing ``start`` may load, following imports and parent packages."""
    seen, todo = set(), [start]
    while todo:
        for module in _with_parents(todo.pop()) - seen:
            seen.add(module)
            todo.extend(imports()[module])
    return seen


def find_cycle(graph: dict[str, frozenset[str]]) -> list[str] | None:
    """One import cycle of ``graph`` as a list of modules (first repeated at the end), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        state[node] = 2
        path.pop()
        return None

    return next((c for node in sorted(graph) if node not in state and (c := visit(node))), None)


def test_graph_sees_the_package():
    """The parser finds the stages and the imports a glance at the code shows (guards the other tests)."""
    assert {f"{PACKAGE}.{stage}" for stage in STAGES} <= set(modules())
    assert f"{PACKAGE}.errors" in imports()[f"{PACKAGE}.inference.engine"]
    # function-level import: the command group imports its command modules inside _register()
    assert f"{PACKAGE}.cli.infer" in imports()[f"{PACKAGE}.cli"]


def test_find_cycle_detects_a_cycle():
    graph = {"a": frozenset({"b"}), "b": frozenset({"c"}), "c": frozenset({"a"}), "d": frozenset()}
    assert find_cycle(graph) == ["a", "b", "c", "a"]
    assert find_cycle({"a": frozenset({"b"}), "b": frozenset()}) is None


def test_no_import_from_a_higher_stage():
    """(a) physics < detector < likelihood < inference < experiments < plots < paper < cli; errors below all."""
    upward = [
        f"{module} (stage {STAGES[stage_rank(module)] if stage_rank(module) < TOP else 'top'}) imports {target}"
        for module, targets in imports().items()
        for target in sorted(targets)
        if stage_rank(target) > stage_rank(module)
    ]
    assert not upward, "imports from a higher stage:\n" + "\n".join(upward)


@pytest.mark.parametrize("module", sorted(m for m in modules() if stage_rank(m) == RANK["inference"]))
def test_inference_never_reaches_physics_or_detector(module):
    """(b) directly or through the modules it imports; of likelihood only the pure-pyhf-JSON modules."""
    reached = reachable(module)
    forbidden = sorted(m for m in reached if stage_rank(m) in (RANK["physics"], RANK["detector"]))
    assert not forbidden, f"{module} reaches {forbidden}"
    likelihood = {m for m in reached if stage_rank(m) == RANK["likelihood"]}
    assert likelihood <= INFERENCE_MAY_USE, f"{module} reaches {sorted(likelihood - INFERENCE_MAY_USE)}"


def test_no_import_cycle():
    """(c) between modules, counting imports inside functions."""
    cycle = find_cycle(imports())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_top_level_holds_only_init_main_and_errors():
    """(d) everything else lives in a stage's subpackage."""
    assert {path.name for path in PACKAGE_DIR.glob("*.py")} <= TOP_LEVEL_FILES


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=300
    )


def test_top_level_import_is_light():
    """``import cevns_stats`` loads none of the stages: the facade resolves its names on first use."""
    code = "import sys, cevns_stats; print(sorted(m for m in sys.modules if m.startswith('cevns_stats.')))"
    result = _run(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_library_leaves_matplotlib_state_alone():
    """(e) importing every module that draws leaves the backend and rcParams as the user had them."""
    drawing = sorted(m for m in modules() if stage_rank(m) in (RANK["plots"], RANK["paper"]))
    code = "\n".join(
        [
            "import matplotlib",
            "matplotlib.use('svg')",  # a non-default backend, so that a switch to Agg shows
            "backend, params = matplotlib.get_backend(), dict(matplotlib.rcParams)",
            *(f"import {module}" for module in drawing),
            "assert matplotlib.get_backend() == backend, (backend, matplotlib.get_backend())",
            "changed = sorted(k for k, v in matplotlib.rcParams.items() if params[k] != v)",
            "assert not changed, changed",
        ]
    )
    result = _run(code)
    assert result.returncode == 0, result.stderr


def test_drawing_leaves_rcparams_alone(tmp_path):
    """Drawing and saving a figure uses a style context only: the global rcParams are unchanged after."""
    code = "\n".join(
        [
            "import matplotlib",
            "matplotlib.rcParams['font.size'] = 7.5",
            "params = dict(matplotlib.rcParams)",
            "import numpy as np",
            "from cevns_stats.plots.common import new_figure, save_figure, style",
            "with style():",
            "    fig, ax = new_figure()",
            "    ax.plot(np.arange(3.0))",
            f"save_figure(fig, {str(tmp_path / 'f.png')!r})",
            "changed = sorted(k for k, v in matplotlib.rcParams.items() if params[k] != v)",
            "assert not changed, changed",
        ]
    )
    result = _run(code)
    assert result.returncode == 0, result.stderr


def _dotted(node: ast.AST) -> str:
    """``a.b.c`` for a Name/Attribute chain, else ``""``."""
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else ""
    return node.id if isinstance(node, ast.Name) else ""


# Calls that write to the terminal or change process-wide state the user owns.
_GLOBAL_STATE_CALLS = {
    "print",
    "logging.basicConfig",
    "matplotlib.use",
    "matplotlib.rc",
    "matplotlib.rcParams.update",
    "matplotlib.style.use",
    "mpl.use",
    "mpl.rc",
    "mpl.rcParams.update",
    "mpl.style.use",
    "plt.rc",
    "plt.rcParams.update",
    "plt.style.use",
    "mplhep.style.use",
    "hep.style.use",
}


def test_library_code_leaves_global_state_to_the_user():
    """No print, no ``logging.basicConfig``, no backend or global matplotlib style; module loggers."""
    found = []
    for name, path in modules().items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            called = _dotted(node.func)
            if called in _GLOBAL_STATE_CALLS:
                found.append(f"{name}:{node.lineno}: {called}()")
            named = [a for a in node.args if not (isinstance(a, ast.Name) and a.id == "__name__")]
            # the command line is the application: it may configure the package's logger ("cevns_stats")
            if called == "logging.getLogger" and named and stage_rank(name) != RANK["cli"]:
                found.append(f"{name}:{node.lineno}: logging.getLogger without __name__")
    assert not found, "\n".join(found)


_TAKES_GIVES = (
    re.compile(r"\btakes\b.*\bgives\b", re.IGNORECASE | re.DOTALL),
    re.compile(r"\bin\b[;,].*\bout\b", re.IGNORECASE | re.DOTALL),
)


@pytest.mark.parametrize("stage", STAGES[1:])
def test_stage_docstring_says_what_it_takes_and_gives(stage):
    """(f) each subpackage's ``__init__`` says in a few lines what the stage takes and gives."""
    path = PACKAGE_DIR / stage / "__init__.py"
    docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    assert any(p.search(docstring) for p in _TAKES_GIVES), (
        f"{path.relative_to(PACKAGE_DIR.parent)}: the docstring should say what the stage takes and gives "
        f"('Takes …; gives …' or '… in; … out'), got {docstring!r}"
    )
