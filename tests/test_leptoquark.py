"""S1 leptoquark bounds in the (m_S1, λ) plane (PHYSICS.md §6, §10, §11): LZ recast and future detectors."""

from __future__ import annotations

import json
import math

import numpy as np
import pyhf
import pytest
from scipy import stats

from cevns_stats.cli import main
from cevns_stats.detector.efficiency import LZ_WS2022_EFFICIENCY
from cevns_stats.errors import InvalidInput, UnknownName
from cevns_stats.experiments import leptoquark as lq
from cevns_stats.experiments import lq_overlays
from cevns_stats.experiments.lz_ws2022 import LZ_EXPOSURE_TONNE_YEAR, LZ_SIGNAL_EVENTS_90CL
from cevns_stats.likelihood.patches import apply_patch
from cevns_stats.likelihood.publish import build_patchset
from cevns_stats.physics import constants as c
from cevns_stats.physics.fluxes.catalogue import get_channels
from cevns_stats.physics.fluxes.solar_8b import b8_shape_per_MeV
from cevns_stats.physics.interactions import (
    leptoquark_epsilon,
    make_model,
    vector_charge_sm,
    vector_delta_charge,
)
from cevns_stats.physics.nuclei import get_target
from cevns_stats.physics.oscillation import flavour_fractions
from cevns_stats.physics.rates import rate_components, unit_rates


@pytest.fixture(scope="module")
def lz_mu():
    return lq.lz_lq_limit("mu")


@pytest.fixture(scope="module")
def lz_tau():
    return lq.lz_lq_limit("tau")


def test_bound_scales_linearly_with_mass(lz_mu):
    # contact limit: λ_excluded / m_S1 is one constant (q ≪ m_S1)
    big = lz_mu.masses_GeV >= 1000.0
    ratio = lz_mu.lambda_bound[big] / lz_mu.masses_GeV[big]
    assert np.allclose(ratio, ratio[0], rtol=1e-12)
    assert float(lq.lambda_from_epsilon(1.0e4, lz_mu.epsilon_90)) == pytest.approx(
        10.0 * lz_mu.lambda_at_1TeV
    )


def test_epsilon_benchmark_in_the_bound_mapping(lz_mu):
    eps_1 = leptoquark_epsilon(1000.0, 1.0)
    assert eps_1 == pytest.approx(-0.0152, abs=5e-5)
    assert float(lq.lambda_from_epsilon(1000.0, eps_1)) == pytest.approx(1.0, rel=1e-12)
    # the bound's λ at 1 TeV maps back to ε_90, and |ε_90| = 0.01516 λ²
    assert leptoquark_epsilon(1000.0, lz_mu.lambda_at_1TeV) == pytest.approx(lz_mu.epsilon_90, rel=1e-12)
    assert -lz_mu.epsilon_90 == pytest.approx(-eps_1 * lz_mu.lambda_at_1TeV**2, rel=1e-12)
    scale = math.sqrt(4.0 * math.sqrt(2.0) * c.FERMI_CONSTANT_GeV2)
    assert lz_mu.lambda_at_1TeV == pytest.approx(1000.0 * scale * math.sqrt(-lz_mu.epsilon_90))


def test_lz_excess_at_the_bound_equals_event_limit_by_direct_integration(lz_mu):
    # independent of the recast's Gauss–Legendre quadrature: a fine trapezoid over 0–20 keVnr
    energy = np.linspace(1e-4, 20.0, 8001)
    comps = rate_components(
        unit_rates(get_target("xenon"), get_channels(), energy), make_model("lq-s1", flavour="mu")
    )
    eps = lz_mu.epsilon_90
    excess_rate = LZ_WS2022_EFFICIENCY(energy) * (eps * comps[1] + eps**2 * comps[2]).sum(axis=0)
    excess = LZ_EXPOSURE_TONNE_YEAR * np.trapezoid(excess_rate, energy)
    assert excess == pytest.approx(LZ_SIGNAL_EVENTS_90CL, rel=2e-3)


def test_lz_bound_at_1TeV_is_physically_sensible(lz_mu):
    # one-isotope ⁸B estimate: s ≈ f_μ N_8B [(Q_V + ε ΔQ)²/Q_V² − 1] must supply most of N_90 = 2.55
    # (hep and atmospheric ν add the rest); with N_8B ≈ 0.2 events LZ needs |ε| ~ 1, i.e. λ(1 TeV) ~ 7
    iso = max(get_target("xenon").isotopes, key=lambda i: i.mass_fraction)
    q_v, dq = vector_charge_sm(iso), vector_delta_charge(iso, "d")
    f_mu = float(flavour_fractions(get_channels(["8B"])[0], 10.0)[1].squeeze())
    n_b8 = lz_mu.details["sm_8b_events_direct"]
    estimate = f_mu * n_b8 * ((q_v + lz_mu.epsilon_90 * dq) ** 2 / q_v**2 - 1.0)
    assert 0.6 * LZ_SIGNAL_EVENTS_90CL < estimate < 1.0 * LZ_SIGNAL_EVENTS_90CL
    assert 0.15 < n_b8 < 0.30  # PHYSICS.md §11: our direct ⁸B count vs LZ's quoted 0.14
    assert 3.0 < lz_mu.lambda_at_1TeV < 15.0
    assert lz_mu.lambda_at_1TeV > lq_overlays.PERTURBATIVITY_PROXY  # LZ alone is weak at 1 TeV


def test_lz_quoted_normalisation_is_weaker_variant(lz_mu):
    quoted = lq.lz_lq_limit("mu", normalisation="lz-quoted")
    assert quoted.details["excess_scale"] == pytest.approx(0.14 / lz_mu.details["sm_8b_events_direct"])
    assert quoted.sm_8b_events == 0.14
    assert quoted.lambda_at_1TeV > lz_mu.lambda_at_1TeV
    assert lz_mu.details["lambda_at_1TeV_by_normalisation"]["lz-quoted"] == pytest.approx(
        quoted.lambda_at_1TeV
    )
    scaled = quoted.details["excess_scale"] * lq.lz_excess_events("mu").excess(quoted.epsilon_90)
    assert float(scaled) == pytest.approx(LZ_SIGNAL_EVENTS_90CL, rel=1e-10)


def _b8_event_weighted_fraction(flavour_index: int) -> float:
    """Flavour share of ⁸B weighted by LZ-visible events per E_ν (σ kernel × LZ efficiency, F ≈ 1, A = 131)."""
    mass_GeV = 131 * c.ATOMIC_MASS_UNIT_GeV
    energy = np.linspace(2.0, 17.0, 600)  # E_ν [MeV]
    recoil = np.linspace(0.0, 20.0, 2001)  # E_R [keV]
    e_max = 2.0 * (energy * 1e-3) ** 2 / (mass_GeV + 2.0 * energy * 1e-3) * 1e6  # keV
    kernel = 1.0 - mass_GeV * recoil[None, :] * 1e-6 / (2.0 * (energy[:, None] * 1e-3) ** 2)
    visible = np.where(recoil[None, :] <= e_max[:, None], np.clip(kernel, 0, None), 0.0)
    weight = b8_shape_per_MeV(energy) * np.trapezoid(
        visible * LZ_WS2022_EFFICIENCY(recoil)[None, :], recoil, axis=1
    )
    fractions = flavour_fractions(get_channels(["8B"])[0], energy)[flavour_index]
    return float(np.sum(weight * fractions) / np.sum(weight))


def test_mu_and_tau_differ_only_by_solar_flavour_shares(lz_mu, lz_tau):
    b8 = get_channels(["8B"])
    mu, tau = lq.lz_excess_events("mu", channels=b8), lq.lz_excess_events("tau", channels=b8)
    assert mu.sm_events == tau.sm_events
    assert tau.lin_events / mu.lin_events == pytest.approx(tau.quad_events / mu.quad_events, rel=1e-4)
    expected = _b8_event_weighted_fraction(2) / _b8_event_weighted_fraction(1)
    assert tau.lin_events / mu.lin_events == pytest.approx(expected, rel=0.01)
    # the full bounds: the excess curves differ by a near-constant factor (⁸B dominates the excess)
    full_mu, full_tau = lq.lz_excess_events("mu"), lq.lz_excess_events("tau")
    factor = full_tau.lin_events / full_mu.lin_events
    assert full_tau.quad_events / full_mu.quad_events == pytest.approx(factor, rel=0.02)
    nu = lq.solve_excess(factor * full_mu.lin_events, factor * full_mu.quad_events, LZ_SIGNAL_EVENTS_90CL)
    assert -lz_tau.epsilon_90 == pytest.approx(nu, rel=0.01)


def test_cls_critical_value():
    assert pytest.approx(1.6448536**2, rel=1e-6) == lq.ASIMOV_Q_CLS90
    assert 2.0 * stats.norm.sf(math.sqrt(lq.ASIMOV_Q_CLS90)) == pytest.approx(0.10, rel=1e-9)


def test_future_bound_tightens_with_exposure():
    eps = [
        lq.future_lq_limit("darwin", "mu", exposure_tonne_year=x, masses_GeV=[1000.0]).epsilon_90
        for x in (10.0, 100.0, 1000.0)
    ]
    assert eps[0] < 0 and np.all(np.diff(np.abs(eps)) < 0), eps


def test_asymptotic_bound_agrees_with_pyhf_hypotest():
    templates = lq.future_templates("darwin", "mu", exposure_tonne_year=10.0)
    model = lq.future_model(templates)
    eps90 = lq.asimov_epsilon_90(model)
    assert lq.asimov_exclusion_q(model, -eps90)[0] == pytest.approx(lq.ASIMOV_Q_CLS90, rel=1e-6)
    lam = float(lq.lambda_from_epsilon(1000.0, eps90))
    bkg, patchset = build_patchset(templates, [(1000.0, lam)], kind="lq")
    workspace = pyhf.Workspace(apply_patch(bkg, patchset, patchset["patches"][0]["metadata"]["name"]))
    pdf = workspace.model()
    pyhf.set_backend("numpy", pyhf.optimize.scipy_optimizer())
    _, expected = pyhf.infer.hypotest(1.0, workspace.data(pdf), pdf, test_stat="qtilde", return_expected=True)
    assert float(expected) == pytest.approx(0.10, abs=1e-3)


def test_api_rejects_bad_input():
    with pytest.raises(UnknownName):
        lq.lq_limit("xenon1t", "mu")
    with pytest.raises(UnknownName):
        lq.lq_limit("lz-ws2022", "e")
    for bad in (0.0, -1.0, math.nan, math.inf):
        with pytest.raises(InvalidInput):
            lq.lq_limit("darwin", "mu", exposure_tonne_year=bad)
    with pytest.raises(InvalidInput):
        lq.lq_limit("lz-ws2022", "mu", exposure_tonne_year=1.0)
    with pytest.raises(InvalidInput):
        lq.lq_limit("argo", "mu", normalisation="lz-quoted")
    with pytest.raises(InvalidInput):
        lq.lz_lq_limit("mu", masses_GeV=[100.0, -1.0])


def test_overlays_are_cited_and_flavour_specific():
    (cms,) = lq_overlays.collider_bounds("mu")
    assert cms.mass_GeV == 1285.0 and "1808.05082" in cms.citation and cms.verified
    assert lq_overlays.CMS_2ND_GEN_PAIR_BETA_ONE.mass_GeV == 1530.0
    assert lq_overlays.collider_bounds("tau") == ()
    assert pytest.approx(3.5449077) == lq_overlays.PERTURBATIVITY_PROXY


def _run(args, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    out, err = capsys.readouterr()
    return exit_info.value.code or 0, out, err


def test_cli_json_contract_lz(lz_mu, tmp_path, capsys):
    plot = tmp_path / "lq.png"
    code, out, err = _run(
        ["lq-limit", "--experiment", "lz-ws2022", "--flavour", "mu", "--json", "--plot", str(plot)], capsys
    )
    assert code == 0, err
    result = json.loads(out)
    assert {
        "lambda_at_1TeV",
        "masses_GeV",
        "lambda_bound",
        "exposure_tonne_year",
        "normalisation",
        "method",
        "sm_8b_events",
        "epsilon_90",
        "experiment",
        "flavour",
    } <= set(result)
    assert result["lambda_at_1TeV"] == pytest.approx(lz_mu.lambda_at_1TeV)
    assert result["normalisation"] == "direct" and result["exposure_tonne_year"] == pytest.approx(
        0.9035, abs=1e-4
    )
    assert len(result["masses_GeV"]) == len(result["lambda_bound"]) > 10
    assert plot.stat().st_size > 10_000 and plot.read_bytes()[:4] == b"\x89PNG"


def test_cli_future_exposure_and_text(capsys):
    code, out, err = _run(
        ["lq-limit", "--experiment", "lead", "--flavour", "tau", "--exposure", "50", "--json"], capsys
    )
    assert code == 0, err
    result = json.loads(out)
    assert result["exposure_tonne_year"] == 50.0 and result["experiment"] == "lead"
    assert result["details"]["preset"] == "lead-future" and result["lambda_at_1TeV"] > 0
    code, out, _ = _run(["lq-limit", "--normalisation", "lz-quoted"], capsys)
    assert code == 0 and "lambda excluded above" in out and "lz-quoted" in out


def test_json_states_the_window_the_bound_used(lz_mu, capsys):
    code, out, err = _run(["lq-limit", "--experiment", "darwin", "--json"], capsys)
    assert code == 0, err
    details = json.loads(out)["details"]
    templates = lq.future_templates("darwin", "mu")
    assert details["window_keV"] == pytest.approx(templates.metadata["window_keV"], rel=1e-12)
    assert details["window_keV"] == pytest.approx(
        [templates.edges_keV[0], templates.edges_keV[-1]], rel=1e-12
    )
    assert details["n_bins"] == templates.edges_keV.size - 1 > 1
    assert details["window_energy"] == "reconstructed"
    lz = json.loads(json.dumps(lz_mu.to_json()))["details"]
    assert lz["window_keV"] == [0.0, 20.0] and lz["n_bins"] == 1


@pytest.mark.parametrize(
    "args",
    [
        ["--experiment", "xenon1t"],
        ["--flavour", "e"],
        ["--experiment", "darwin", "--exposure", "0"],
        ["--experiment", "argo", "--exposure", "-5"],
        ["--experiment", "darwin", "--exposure", "nan"],
        ["--exposure", "2"],
    ],
)
def test_cli_bad_input_one_line_error_no_file(args, tmp_path, capsys):
    plot = tmp_path / "never.png"
    code, _out, err = _run(["lq-limit", *args, "--plot", str(plot)], capsys)
    assert code != 0 and "Traceback" not in err
    assert len([line for line in err.splitlines() if line.startswith("Error")]) == 1
    assert not plot.exists() and list(tmp_path.iterdir()) == []
