"""The fast engine's discovery and limit statistics equal pyhf's on the committed workspaces.

pyhf runs with a tight SLSQP tolerance (its default 1e-6 on −2 log L is too loose for 1e-4). In the fast
q0 comparison pyhf's free and background-only fits start from ours (pyhf then minimises on its own and
must end at the same minimum); the slow version starts pyhf from its default init.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyhf
import pytest
from conftest import committed_scalar_spec

from cevns_stats.inference.discovery import asimov_z, generate_toys, q0
from cevns_stats.inference.engine import CompiledModel
from cevns_stats.inference.limits import (
    cls_asymptotic,
    pyhf_tight_backend,
    pyhf_upper_limit,
    upper_limit_asymptotic,
)
from cevns_stats.likelihood.patches import apply_patch

WORKSPACES = Path(__file__).resolve().parents[1] / "workspaces"


def _json(path: Path) -> dict:
    return json.loads(path.read_text())


@pytest.fixture(scope="module")
def scalar_model() -> CompiledModel:
    return CompiledModel.from_workspace(committed_scalar_spec())


@pytest.fixture(scope="module")
def vector_model() -> CompiledModel:
    """The committed DARWIN vector-minimal BkgOnly with the ε = −0.05 patch (POI μ scales the NSI change)."""
    folder = WORKSPACES / "darwin_vector-minimal"
    spec = apply_patch(_json(folder / "BkgOnly.json"), _json(folder / "patchset.json"), "eps_m0p05")
    return CompiledModel.from_workspace(spec)


@pytest.fixture
def tight_pyhf():
    with pyhf_tight_backend():
        yield


def _pyhf_q0(model: CompiledModel, data_main, data_aux, starts) -> np.ndarray:
    """pyhf's q0 per toy (as ``pyhf.infer.test_statistics.q0``) from pyhf's own free and μ = 0 fits.

    ``starts`` = (free-fit starts (n, P), null-fit starts (n, P)); pyhf minimises from there.
    """
    ref, cfg = model.pyhf_model, model.pyhf_model.config
    bounds, fixed, poi = cfg.suggested_bounds(), cfg.suggested_fixed(), cfg.poi_index
    out = []
    for main, aux, free_init, null_init in zip(data_main, data_aux, *starts):
        data = np.concatenate([main, aux])
        free, free_val = pyhf.infer.mle.fit(data, ref, list(free_init), bounds, fixed, return_fitted_val=True)
        _, null_val = pyhf.infer.mle.fixed_poi_fit(
            0.0, data, ref, list(null_init), bounds, fixed, return_fitted_val=True
        )
        out.append(0.0 if free[poi] < 0.0 else max(float(null_val - free_val), 0.0))
    return np.array(out)


def _toys(model: CompiledModel, mu: float, n: int, seed: int):
    truth = model.init.copy()
    truth[model.par_index("mu")] = mu
    return generate_toys(model, truth, n, seed=seed, aux="resampled")


@pytest.mark.parametrize(("which", "mu"), [("scalar_model", 0.05), ("vector_model", 1.5)])
def test_q0_equals_pyhf_on_100_committed_toys(which, mu, request, tight_pyhf):
    model = request.getfixturevalue(which)
    data_main, data_aux = _toys(model, mu, 100, seed=7)
    ours = q0(model, data_main, data_aux)
    assert ours.converged.all()
    reference = _pyhf_q0(model, data_main, data_aux, (ours.free.pars, ours.null.pars))
    assert np.count_nonzero(reference > 1.0) >= 20  # real excesses, not only q0 = 0
    np.testing.assert_array_less(np.abs(ours.q0 - reference), 1e-4 * np.maximum(1.0, reference))


@pytest.mark.slow
def test_q0_equals_pyhf_cold_start(scalar_model, tight_pyhf):
    data_main, data_aux = _toys(scalar_model, 0.05, 100, seed=8)
    ours = q0(scalar_model, data_main, data_aux)
    inits = np.tile(scalar_model.init, (100, 1))
    reference = _pyhf_q0(scalar_model, data_main, data_aux, (inits, inits))
    np.testing.assert_array_less(np.abs(ours.q0 - reference), 1e-4 * np.maximum(1.0, reference))


def test_asymptotic_cls_equals_pyhf_hypotest(scalar_model, tight_pyhf):
    mus = np.array([0.02, 0.12, 0.3])
    data = np.concatenate([scalar_model.observed_main, scalar_model.observed_aux])
    ours = cls_asymptotic(scalar_model, scalar_model.observed_main, scalar_model.observed_aux, mus)
    assert ours.converged.all()
    for k, mu in enumerate(mus):
        observed, expected = pyhf.infer.hypotest(mu, data, scalar_model.pyhf_model, return_expected_set=True)
        assert abs(ours.cls_observed[k] - float(observed)) <= 1e-4
        np.testing.assert_allclose(ours.cls_expected[k], np.asarray(expected, dtype=float), rtol=0, atol=1e-4)
    assert ours.cls_observed[-1] < 0.05 < ours.cls_observed[0]  # the μ values span the 95 % CL limit


def _small_scalar(scalar_model_spec: dict) -> dict:
    """The committed DARWIN scalar workspace pruned to its ⁸B and atmospheric-νμ samples (fast pyhf)."""
    keep = {"8B", "atm_numu"}
    ws = pyhf.Workspace(scalar_model_spec)
    drop = [s for s in ws.samples if s.split("_", 1)[1] not in keep]
    mods = [m for m, _ in ws.modifiers if m.startswith("nu_flux_") and m[len("nu_flux_") :] not in keep]
    return json.loads(json.dumps(ws.prune(samples=drop, modifiers=mods)))


def test_upper_limits_equal_pyhf_fast():
    cl = 0.90
    spec = _small_scalar(committed_scalar_spec())
    model = CompiledModel.from_workspace(spec)
    ours = upper_limit_asymptotic(model, model.observed_main, model.observed_aux, cl=cl)
    reference = pyhf_upper_limit(model, cl=cl)
    assert ours.observed == pytest.approx(reference.observed, rel=1e-3)
    np.testing.assert_allclose(ours.expected, reference.expected, rtol=1e-3)
    assert list(ours.expected) == sorted(ours.expected)


@pytest.mark.slow
def test_upper_limits_equal_pyhf_full(scalar_model):
    ours = upper_limit_asymptotic(
        scalar_model, scalar_model.observed_main, scalar_model.observed_aux, cl=0.95
    )
    reference = pyhf_upper_limit(scalar_model, cl=0.95)
    assert ours.observed == pytest.approx(reference.observed, rel=1e-3)
    np.testing.assert_allclose(ours.expected, reference.expected, rtol=1e-3)


def _xenon_8b_asimov_z(n_bins: int, mu: float) -> float:
    from cevns_stats.detector.presets import make_detector
    from cevns_stats.likelihood.templates import build_templates
    from cevns_stats.likelihood.workspace import build_workspace
    from cevns_stats.physics.fluxes.catalogue import get_channels
    from cevns_stats.physics.interactions import make_model

    detector = make_detector("xenon", exposure_tonne_year=1.0, n_bins=n_bins)
    templates = build_templates(detector, get_channels(None), make_model("scalar-universal"))
    sm = dict(zip(templates.channels, templates.values["SM"].sum(axis=1)))
    assert sm["8B"] > 0.95 * sum(sm.values())  # ⁸B-dominated
    model = CompiledModel.from_workspace(build_workspace(templates, form="scalar", eps_ref=0.01))
    pars = model.init.copy()
    pars[model.par_index("mu")] = mu
    return float(asimov_z(model, pars)[0])


def test_binned_asimov_z_converges_40_to_80_bins():
    # 1 t·yr xenon, 1 keV tanh threshold, scalar-universal ε = 0.02 (μ = (ε/0.01)² = 4): Z ≈ 4.3
    z40, z80 = _xenon_8b_asimov_z(40, 4.0), _xenon_8b_asimov_z(80, 4.0)
    assert 3.0 < z40 < 5.0
    assert abs(z80 - z40) / z80 < 0.02
