"""The optional JAX backend gives the numpy engine's q0 (to 1e-6) on committed workspaces (CPU).

Skipped, with the reason, where jax is not installed (``pip install "cevns-stats[jax]"``).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from cevns_stats.inference.discovery import asimov_z, generate_toys, q0
from cevns_stats.inference.engine import CompiledModel
from cevns_stats.likelihood.patches import apply_patch

pytest.importorskip("jax", reason="the JAX backend is optional: pip install 'cevns-stats[jax]'")


WORKSPACES = Path(__file__).resolve().parents[1] / "workspaces"


def _committed(folder: str) -> dict:
    """The folder's workspace: ``workspace.json``, or BkgOnly + the middle patch of its patchset."""
    here = WORKSPACES / folder
    if (here / "workspace.json").is_file():
        return json.loads((here / "workspace.json").read_text())
    patchset = json.loads((here / "patchset.json").read_text())
    name = patchset["patches"][len(patchset["patches"]) // 2]["metadata"]["name"]
    return apply_patch(json.loads((here / "BkgOnly.json").read_text()), patchset, name)


@pytest.mark.parametrize("folder", ["darwin_scalar-universal", "argo_vector-minimal"])
def test_jax_q0_equals_numpy_q0_on_committed_workspaces(folder):
    if not (WORKSPACES / folder).is_dir():
        pytest.skip(f"committed workspace {folder} not present")
    model = CompiledModel.from_workspace(_committed(folder))
    poi = model.par_index(model.poi_name)
    truth = model.init.copy()
    truth[poi] = 1.0
    truth[poi] = 3.0 / float(asimov_z(model, truth)[0])  # a signal of Asimov Z ≈ 3 (Z ≈ linear in μ)
    main, aux = generate_toys(model, truth, 30, seed=4)
    main = np.vstack([model.observed_main, main])
    aux = np.vstack([model.observed_aux, aux])
    ours = q0(model, main, aux)
    theirs = q0(model, main, aux, backend="jax")
    assert ours.converged.all() and theirs.converged.all()
    assert np.count_nonzero(ours.q0 > 1.0) >= 5  # real excesses are compared, not only zeros
    np.testing.assert_allclose(theirs.q0, ours.q0, rtol=1e-6, atol=1e-6)
