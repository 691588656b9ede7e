"""Shared fixtures: the reference-data folder ../shared/data (tests only), and --runslow."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from cevns_stats.likelihood.templates import TemplateSet

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def pytest_addoption(parser):
    parser.addoption("--runslow", action="store_true", default=False, help="run slow statistical studies")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--runslow"):
        return
    skip_slow = pytest.mark.skip(reason="slow study: run with --runslow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip_slow)


def _in_ci() -> bool:
    """Whether the tests run in CI (``CI=true``, as GitHub Actions, GitLab CI and most services set)."""
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Path of ../shared/data: locally a skip (with the reason) when absent, in CI (``CI=true``) a failure."""
    if not SHARED_DATA.is_dir():
        reason = f"reference tables not found at {SHARED_DATA} (../shared/data beside the project root)"
        if _in_ci():
            pytest.fail(f"{reason}; CI must provide them (tests that need them fail, not skip, in CI)")
        pytest.skip(reason)
    return SHARED_DATA


def load_reference_table(path: Path) -> np.ndarray:
    """Read a reference table (comma- or whitespace-separated, '#' comments, blank lines) as floats."""
    rows = []
    for line in Path(path).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        try:
            rows.append([float(x) for x in line.replace(",", " ").split()])
        except ValueError:
            continue  # header row
    return np.array(rows)


PROJECT_ROOT = Path(__file__).resolve().parents[1]


def committed_scalar_spec(folder: str = "darwin_scalar-universal", patch: str = "eps_0p01") -> dict:
    """A committed scalar likelihood as one workspace: BkgOnly + one patch of its patchset (ε = 0.01, μ = 1)."""
    import json

    from cevns_stats.likelihood.patches import apply_patch

    here = PROJECT_ROOT / "workspaces" / folder
    read = lambda name: json.loads((here / name).read_text())  # noqa: E731
    return apply_patch(read("BkgOnly.json"), read("patchset.json"), patch)


# A small synthetic template set shared by the workspace and publication tests.
CHANNELS = ("8B", "7Be_384", "7Be_862", "atm_numu")
SIGMAS = (0.12, 0.06, 0.06, 0.5)
NUISANCES = ("nu_flux_8B", "nu_flux_7Be", "nu_flux_7Be", "nu_flux_atm_numu")


def make_templates(name: str, scale: float = 1.0, *, interference: bool = True, seed: int = 0) -> TemplateSet:
    """Rates (Q + ε·ΔQ)²·shape per channel (so SM + εLIN + ε²QUAD ≥ 0 for every ε), 6 bins."""
    rng = np.random.default_rng(seed)
    shape = scale * rng.uniform(0.2, 5.0, size=(len(CHANNELS), 6))
    charge, delta = -1.0, rng.uniform(2.0, 6.0, size=(len(CHANNELS), 1))
    values = {
        "SM": charge**2 * shape,
        "LIN": 2 * charge * delta * shape * interference,
        "QUAD": delta**2 * shape,
    }
    meta = {
        "detector": name,
        "target": name,
        "model": "vector-universal" if interference else "scalar-universal",
    }
    return TemplateSet(np.linspace(1.0, 7.0, 7), values, CHANNELS, SIGMAS, NUISANCES, meta)
