"""The public API is pinned: every public module says what it exports, and ``dir()`` shows exactly that.

As pyhf's ``tests/test_public_api_repr.py``: a module's ``__all__`` is its public API, every name in it
exists, and a module-level ``__dir__`` (PEP 562) makes ``dir(module)`` list just those names. A module that
defines nothing (a stage package whose ``__init__`` is only its docstring) needs no ``__all__``.
"""

from __future__ import annotations

import ast
import importlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

import cevns_stats

ROOT = Path(__file__).resolve().parents[1]
PACKAGE_DIR = ROOT / "cevns_stats"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _defines_names(path: Path) -> bool:
    """Whether the module's body does more than hold a docstring and ``from __future__`` imports."""
    body = ast.parse(path.read_text(encoding="utf-8")).body
    return any(
        not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant))
        and not (isinstance(node, ast.ImportFrom) and node.module == "__future__")
        for node in body
    )


PUBLIC = sorted(
    _module_name(path)
    for path in PACKAGE_DIR.rglob("*.py")
    if path.name != "__main__.py"
    and not any(part.startswith("_") and part != "__init__.py" for part in path.relative_to(ROOT).parts)
    and _defines_names(path)
)


def test_public_modules_found():
    assert {"cevns_stats", "cevns_stats.inference.engine", "cevns_stats.cli", "cevns_stats.errors"} <= set(
        PUBLIC
    )


@pytest.mark.parametrize("name", PUBLIC)
def test_module_pins_its_api(name):
    module = importlib.import_module(name)
    exported = getattr(module, "__all__", None)
    assert exported is not None, f"{name} defines no __all__"
    assert len(set(exported)) == len(exported), f"{name}.__all__ repeats a name"
    missing = [n for n in exported if not hasattr(module, n)]
    assert not missing, f"{name}.__all__ names what the module lacks: {missing}"
    assert dir(module) == sorted(exported), (
        f"{name}: dir() is not __all__ (add `def __dir__(): return __all__`)"
    )


def test_top_level_api_chain_resolves_to_the_stages():
    """``from cevns_stats import …`` gives the very objects of the stage modules."""
    from cevns_stats.detector.presets import make_detector
    from cevns_stats.inference.discovery import asimov_data, q0
    from cevns_stats.inference.engine import CompiledModel
    from cevns_stats.likelihood.templates import build_templates
    from cevns_stats.likelihood.workspace import build_workspace
    from cevns_stats.physics.fluxes.catalogue import get_channels
    from cevns_stats.physics.interactions import make_model

    expected = {
        "make_detector": make_detector,
        "get_channels": get_channels,
        "make_model": make_model,
        "build_templates": build_templates,
        "build_workspace": build_workspace,
        "CompiledModel": CompiledModel,
        "asimov_data": asimov_data,
        "q0": q0,
    }
    assert {name: getattr(cevns_stats, name) for name in expected} == expected
    assert set(cevns_stats.__all__) == {"__version__", *expected}


def test_unknown_top_level_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'simulate'"):
        cevns_stats.simulate


DOCS = sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md")])


def _resolves(dotted: str) -> bool:
    """Whether ``cevns_stats.a.b.name`` is a module, or an attribute of the longest importable module prefix."""
    parts = dotted.split(".")
    for end in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:end]))
        except ModuleNotFoundError:
            continue
        for attr in parts[end:]:
            if not hasattr(obj, attr):
                return False
            obj = getattr(obj, attr)
        return True
    return False


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_docs_name_what_exists(doc):
    """Every ``cevns_stats/…`` path and ``cevns_stats.…`` name in the README and docs/ is in the package."""
    text = doc.read_text(encoding="utf-8")
    paths = set(re.findall(r"cevns_stats/[\w/]+\.py", text))
    names = set(re.findall(r"\bcevns_stats(?:\.\w+)+", text))
    stale = sorted(p for p in paths if not (ROOT / p).is_file()) + sorted(
        n for n in names if not _resolves(n)
    )
    assert not stale, f"{doc.relative_to(ROOT)} names what the package lacks: {stale}"


def _python_blocks(markdown: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", markdown, flags=re.DOTALL)


@pytest.mark.parametrize("document", ["docs/architecture.md", "README.md"])
def test_python_example_runs(document):
    """The Python example of docs/architecture.md and the README runs as written (it ends with its own asserts)."""
    blocks = _python_blocks((ROOT / document).read_text(encoding="utf-8"))
    assert blocks, f"{document} has no ```python example"
    result = subprocess.run(
        [sys.executable, "-c", blocks[0]], cwd=ROOT, capture_output=True, text=True, check=False, timeout=600
    )
    assert result.returncode == 0, result.stderr
