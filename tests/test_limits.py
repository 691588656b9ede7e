"""Signed-ε profile-likelihood intervals and the limit helpers (linear-basis workspace from templates/)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyhf
import pytest

from cevns_stats.errors import InvalidInput
from cevns_stats.inference.discovery import asimov_data
from cevns_stats.inference.engine import CompiledModel
from cevns_stats.inference.limits import (
    allowed_intervals,
    eps_intervals,
    pyhf_tight_backend,
    upper_limit_asymptotic,
)
from cevns_stats.likelihood.templates import read_templates
from cevns_stats.likelihood.workspace import build_workspace, set_eps

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"


@pytest.fixture(scope="module")
def linear_spec() -> dict:
    """Linear-basis xenon vector-minimal (μ flavour, d quark) workspace, 1 t·yr, SM Asimov observation."""
    return build_workspace(read_templates(TEMPLATES / "xenon_vector-minimal_mu_d_th1keV.json"), form="linear")


def _pyhf_t(spec: dict, eps: float, eps_hat: float) -> float:
    """t_ε = 2[−log L(ε) + log L(ε̂)] from pyhf fits of the nuisances at fixed nsi_lin = ε, nsi_quad = ε²."""
    values = []
    for value in (eps, eps_hat):
        ws = pyhf.Workspace(set_eps(spec, value))
        model = ws.model()
        _, twice_nll = pyhf.infer.mle.fit(ws.data(model), model, return_fitted_val=True)
        values.append(float(twice_nll))
    return values[0] - values[1]


def test_eps_intervals_cross_threshold_by_pyhf(linear_spec):
    tied = CompiledModel.from_workspace(linear_spec).tied()
    intervals, scan = eps_intervals(tied, tied.observed_main, tied.observed_aux, cl=0.95, eps_max=2.0)
    assert scan.converged.all() and abs(scan.eps_hat) < 1e-6  # SM Asimov data: ε̂ = 0
    assert len(intervals) == 2  # around 0 and around the blind spot 2ε₀ > 0 (rate = SM again)
    (lo1, hi1), (lo2, hi2) = intervals
    assert lo1 < 0 < hi1 < lo2 < hi2
    with pyhf_tight_backend():
        for end in (lo1, hi1, lo2, hi2):
            assert _pyhf_t(linear_spec, end, 0.0) == pytest.approx(3.841459, abs=2e-3)


def test_eps_intervals_shrink_with_lower_cl(linear_spec):
    tied = CompiledModel.from_workspace(linear_spec).tied()
    wide, _ = eps_intervals(tied, tied.observed_main, tied.observed_aux, cl=0.95, eps_max=2.0)
    narrow, _ = eps_intervals(tied, tied.observed_main, tied.observed_aux, cl=0.90, eps_max=2.0)
    assert wide[0][0] < narrow[0][0] < 0 < narrow[0][1] < wide[0][1]


def test_eps_intervals_exclude_zero_for_a_signal(linear_spec):
    tied = CompiledModel.from_workspace(linear_spec).tied()
    pars = tied.init.copy()
    pars[tied.par_index("eps")] = -0.2
    main, aux = (a[0] for a in asimov_data(tied, pars))
    intervals, _scan = eps_intervals(tied, main, aux, cl=0.95, eps_max=2.0)
    assert any(lo <= -0.2 <= hi for lo, hi in intervals)
    assert not any(lo <= 0.0 <= hi for lo, hi in intervals)


def test_allowed_intervals_from_a_scan():
    eps = np.linspace(-1.0, 1.0, 201)
    t = np.minimum((eps / 0.1) ** 2, ((eps - 0.6) / 0.05) ** 2)
    intervals = allowed_intervals(eps, t, 1.0)
    np.testing.assert_allclose(intervals, [(-0.1, 0.1), (0.55, 0.65)], atol=2e-3)
    assert allowed_intervals(eps, t + 5.0, 1.0) == []
    assert allowed_intervals(eps, np.zeros_like(eps), 1.0) == [(-1.0, 1.0)]  # open at the scan edges


def test_counting_upper_limit_matches_known_value():
    # one bin, b = 100 known (σ → 0), n = 100: the 95 % CLs limit on s is ≈ 1.96·√100·(1 + …) ≈ 20 events
    spec = {
        "channels": [
            {
                "name": "c",
                "samples": [
                    {
                        "name": "b",
                        "data": [100.0],
                        "modifiers": [
                            {"name": "nu_flux_b", "type": "normsys", "data": {"hi": 1.0001, "lo": 0.9999}}
                        ],
                    },
                    {
                        "name": "s",
                        "data": [1.0],
                        "modifiers": [{"name": "mu", "type": "normfactor", "data": None}],
                    },
                ],
            }
        ],
        "observations": [{"name": "c", "data": [100.0]}],
        "version": "1.0.0",
        "measurements": [
            {"name": "m", "config": {"poi": "mu", "parameters": [{"name": "mu", "bounds": [[0, 100]]}]}}
        ],
    }
    model = CompiledModel.from_workspace(spec)
    limit = upper_limit_asymptotic(model, model.observed_main, model.observed_aux, cl=0.95)
    assert 18.0 < limit.observed < 23.0
    assert limit.expected[2] == pytest.approx(limit.observed, rel=1e-6)  # n = b: observed = median expected
    with pytest.raises(InvalidInput, match="confidence level"):
        upper_limit_asymptotic(model, model.observed_main, model.observed_aux, cl=1.5)
