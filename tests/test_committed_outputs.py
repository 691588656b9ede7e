"""The committed templates/ and workspaces/ equal a fresh build (DESIGN.md: reproducibility)."""

import json
from pathlib import Path

import numpy as np
import pyhf
import pytest

from cevns_stats.likelihood.outputs import (
    TEMPLATE_SPECS,
    WORKSPACE_SPECS,
    build_template_set,
    build_workspace_files,
    rounded_digest,
)
from cevns_stats.likelihood.templates import read_templates

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("spec", TEMPLATE_SPECS, ids=lambda s: s.basename)
def test_committed_templates_equal_fresh_build(spec):
    fresh = build_template_set(spec)
    for suffix in (".json", ".root"):
        committed = read_templates(ROOT / "templates" / f"{spec.basename}{suffix}")
        assert committed.channels == fresh.channels
        np.testing.assert_allclose(committed.edges_keV, fresh.edges_keV, rtol=1e-12)
        for comp in ("SM", "LIN", "QUAD"):
            np.testing.assert_allclose(committed.values[comp], fresh.values[comp], rtol=1e-10, atol=0)
        assert committed.metadata["config_sha256"] == fresh.metadata["config_sha256"]


@pytest.mark.parametrize("spec", WORKSPACE_SPECS, ids=lambda s: s.directory)
def test_committed_workspaces_equal_fresh_build(spec):
    fresh = build_workspace_files(spec)
    for name, content in fresh.items():
        if name.endswith(".json"):
            committed = json.loads((ROOT / "workspaces" / spec.directory / name).read_text())
            if name == "patchset.json":  # the BkgOnly sha256 is of unrounded floats: checked by pyhf verify
                # PatchSet.verify returns None and raises PatchSetVerificationError on a digest mismatch
                pyhf.PatchSet(committed).verify(
                    pyhf.Workspace(
                        json.loads((ROOT / "workspaces" / spec.directory / "BkgOnly.json").read_text())
                    )
                )
                committed, content = _without_digests(committed), _without_digests(content)
            assert rounded_digest(committed) == rounded_digest(content), f"{spec.directory}/{name} is stale"


def _without_digests(patchset: dict) -> dict:
    return {**patchset, "metadata": {k: v for k, v in patchset["metadata"].items() if k != "digests"}}
