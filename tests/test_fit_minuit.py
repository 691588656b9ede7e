"""MINUIT fits (``cevns-stats fit``) against cabinetry's ``fit.fit`` on the same workspaces, and the minima.

cabinetry runs MINUIT through pyhf with a tighter tolerance than its default (1e-5 instead of 0.1) so
that both fits are converged to far better than the 1e-3 compared; HESSE errors are compared for
parameters away from their bounds (MINUIT's error at a bound depends on its internal transformation).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyhf
import pytest

from cevns_stats.inference.minuit import fit_workspace

cabinetry = pytest.importorskip("cabinetry")

FOLDER = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "external_likelihoods"
TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
CASES = [
    "multichannel.json",
    "multibin.json",
    "val_1bin_lumi.json",
    "val_1bin_normsys.json",
    "val_2bin_histosys.json",
    "val_2bin_2channel_couplednorm.json",
    "xmlimport.json",
    "tests_test_workspace_poiless.json",
]


def _compare(spec: dict) -> None:
    ours = fit_workspace(spec)
    ws = pyhf.Workspace(spec)
    model, data = cabinetry.model_utils.model_and_data(ws)
    theirs = cabinetry.fit.fit(model, data, tolerance=1e-5)
    assert list(theirs.labels) == list(ours.labels)
    np.testing.assert_allclose(ours.bestfit, theirs.bestfit, rtol=1e-3, atol=1e-3)
    bounds = np.asarray(model.config.suggested_bounds(), dtype=float)
    span = bounds[:, 1] - bounds[:, 0]
    inside = (ours.bestfit - bounds[:, 0] > 1e-2 * span) & (bounds[:, 1] - ours.bestfit > 1e-2 * span)
    np.testing.assert_allclose(ours.uncertainty[inside], theirs.uncertainty[inside], rtol=1e-3)
    assert ours.nll == pytest.approx(theirs.best_twice_nll / 2.0, rel=1e-6, abs=1e-6)
    np.testing.assert_allclose(
        ours.corr_mat[np.ix_(inside, inside)], theirs.corr_mat[np.ix_(inside, inside)], atol=2e-3
    )


@pytest.mark.parametrize("name", CASES)
def test_fit_equals_cabinetry_on_external_workspaces(name, shared_data):
    _compare(json.loads((FOLDER / name).read_text()))


def test_fit_equals_cabinetry_on_our_workspace():
    from cevns_stats.likelihood.templates import read_templates
    from cevns_stats.likelihood.workspace import build_workspace

    spec = build_workspace(read_templates(TEMPLATES / "argon_scalar-universal_th1keV.json"), form="scalar")
    model = pyhf.Workspace(spec).model()
    pars = model.config.suggested_init()
    pars[model.config.poi_index] = 2.0  # an observed excess
    spec["observations"][0]["data"] = np.round(np.asarray(model.expected_actualdata(pars))).tolist()
    _compare(spec)
    pulls = {p.name for p in fit_workspace(spec).pulls}
    assert "nu_flux_8B" in pulls and all(p.startswith("nu_flux_") for p in pulls)


def test_deeper_minimum_than_pyhf_default_start_is_found_and_stated(shared_data):
    """pyhf's (and cabinetry's) MIGRAD from the default start stops in a local minimum of this model."""
    spec = json.loads((FOLDER / "val_2bin_2channel_coupledhistosys.json").read_text())
    ours = fit_workspace(spec)
    ws = pyhf.Workspace(spec)
    model, data = cabinetry.model_utils.model_and_data(ws)
    theirs = cabinetry.fit.fit(model, data, tolerance=1e-5)
    assert ours.nll < theirs.best_twice_nll / 2.0 - 0.1
    assert any("deeper minimum" in note for note in ours.notes)
    np.testing.assert_allclose(-model.logpdf(ours.bestfit, data)[0], ours.nll, rtol=1e-12)


def test_minos_interval_brackets_the_best_fit(shared_data):
    spec = json.loads((FOLDER / "multichannel.json").read_text())
    ours = fit_workspace(spec, minos=("SigXsecOverSM",))
    lo, hi = ours.minos["SigXsecOverSM"]
    assert lo < 0 < hi
    k = ours.labels.index("SigXsecOverSM")
    assert hi == pytest.approx(ours.uncertainty[k], rel=0.3)
    assert -ours.bestfit[k] - 1e-9 <= lo  # the lower MINOS error stops at the bound mu = 0
