"""The linter, the formatter check and the type checker pass on the whole tree (issue 10; CI runs them here).

Each tool runs as a subprocess from the project root with the configuration in ``pyproject.toml``
(``[tool.ruff]``, ``[tool.mypy]``); a failure shows the tool's own report. ruff and mypy come with the
``test`` extra (``pip install -e .[test]``), as does pytest itself, so a missing tool is a failure, not a skip.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

CHECKS = {
    "ruff check": ["ruff", "check", "--no-fix", "."],
    "ruff format --check": ["ruff", "format", "--check", "."],
    "mypy": ["mypy"],  # files and flags from [tool.mypy]
}


@pytest.mark.parametrize("name", list(CHECKS))
def test_tool_passes(name):
    tool, *args = CHECKS[name]
    assert importlib.util.find_spec(tool), f"{tool} is not installed: pip install -e .[test]"
    result = subprocess.run(
        [sys.executable, "-m", tool, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert result.returncode == 0, f"{name} failed:\n{result.stdout}\n{result.stderr}"
