"""Combination of real data (XENONnT + PandaX-4T + LZ WS2022) and its published likelihoods (issue 14).

Checks: the LZ WS2022 counting bin reproduces the recast's 2.55-event limit; the fast engine's flux fit and q0
equal pyhf's on the combined workspace; the ε interval endpoints are where pyhf's profile likelihood ratio is
χ²₁(0.90); combining narrows every LZ-only interval; the committed ``workspaces/real-data_*`` equal a fresh
build from the shipped (release-derived) files, pass ``pyhf patchset verify`` and run with ``pyhf cls``.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyhf
import pytest
from scipy.stats import chi2, norm

from cevns_stats.experiments.leptoquark import lambda_from_epsilon
from cevns_stats.experiments.lz_ws2022 import LZ_SIGNAL_EVENTS_90CL
from cevns_stats.experiments.real_data import (
    experiment_channels,
    flux_measurement,
    lq_bound,
    lz_effective_background,
    lz_ws2022_channel,
    nsi_interval,
)
from cevns_stats.experiments.real_data_results import PUBLICATIONS, publication_files, results_markdown
from cevns_stats.experiments.recast_channel import build_recast_workspace
from cevns_stats.inference.limits import pyhf_tight_backend
from cevns_stats.likelihood.outputs import rounded_digest
from cevns_stats.physics.interactions import make_model
from cevns_stats.plots.recast import plot_recast

ROOT = Path(__file__).resolve().parents[1]
PYHF = Path(sys.executable).with_name("pyhf")
Q90 = float(chi2.ppf(0.90, 1))


@pytest.fixture(autouse=True, scope="module")
def _tight_pyhf():
    """pyhf's numpy backend with a tight tolerance in this module; the previous backend restored afterwards."""
    with pyhf_tight_backend():
        yield


@pytest.fixture(scope="module")
def combined_flux_spec():
    return build_recast_workspace(experiment_channels("combined"), form="flux")


def test_lz_bin_reproduces_the_counting_limit():
    """Asimov (observed = b) profile-likelihood ratio at s = 2.55 events equals χ²₁(0.90) = 2.706."""
    b = lz_effective_background()
    s = LZ_SIGNAL_EVENTS_90CL
    assert 2.0 * (s - b * math.log1p(s / b)) == pytest.approx(Q90, rel=1e-10)
    channel = lz_ws2022_channel()
    assert channel.observed[0] == pytest.approx(b)
    assert channel.background_events()[0] + channel.signal[0, 0].sum() == pytest.approx(b)


def test_lz_only_leptoquark_bound_matches_the_counting_recast():
    """LZ-only ε_90 gives an NSI excess of ≈ 2.55 events (flux nuisances profiled: within 5 %)."""
    bound = lq_bound("lz-ws2022", "mu")
    channel = lz_ws2022_channel(model=make_model("lq-s1", flavour="mu"))
    eps = bound.epsilon_90
    excess = float(channel.events((0.0, eps, eps**2)).sum())
    assert excess == pytest.approx(LZ_SIGNAL_EVENTS_90CL, rel=0.05)
    assert bound.lambda_at_1TeV == pytest.approx(float(lambda_from_epsilon(1000.0, eps)))
    assert bound.to_json()["confidence_level"] == 0.90 and bound.sm_8b_events > 0


def test_combined_flux_engine_equals_pyhf(combined_flux_spec):
    """μ̂(⁸B) and Z = √q0 of the fast engine equal pyhf's on the combined workspace."""
    result = flux_measurement("combined", experiment_channels("combined"))
    ws = pyhf.Workspace(combined_flux_spec)
    model = ws.model()
    data = ws.data(model)
    best = pyhf.infer.mle.fit(data, model)
    z = float(norm.isf(float(pyhf.infer.hypotest(0.0, data, model, test_stat="q0"))))
    assert result.mu_hat == pytest.approx(float(best[model.config.poi_index]), rel=2e-3)
    assert result.significance == pytest.approx(z, rel=2e-3)
    assert result.mu_interval[0] < result.mu_hat < result.mu_interval[1]


def test_combination_shares_flux_nuisances_by_name(combined_flux_spec):
    model = pyhf.Workspace(combined_flux_spec).model()
    names = model.config.par_order
    assert names.count("nu_flux_8B") == 1 and names.count("mu_8B") == 1
    samples = {(c["name"], s["name"]) for c in combined_flux_spec["channels"] for s in c["samples"]}
    for channel in (
        "xenonnt_sr0",
        "xenonnt_sr1",
        "xenonnt_sr2",
        "pandax4t_paired",
        "pandax4t_us2",
        "lz_ws2022",
    ):
        assert (channel, "SM_8B") in samples


def test_eps_interval_endpoints_are_the_pyhf_profile_crossings():
    """At each end of the scalar-universal interval, pyhf's −2Δ ln L (nuisances profiled) = χ²₁(0.90)."""
    model_nsi = make_model("scalar-universal")
    channels = experiment_channels("combined", model=model_nsi)
    interval = nsi_interval("combined", "scalar-universal", channels)
    spec = build_recast_workspace(channels, form="linear")
    model = pyhf.Workspace(spec).model()
    data = pyhf.Workspace(spec).data(model)
    lin, quad = model.config.par_slice("nsi_lin").start, model.config.par_slice("nsi_quad").start

    def nll(eps: float) -> float:
        init = np.asarray(model.config.suggested_init(), dtype=float)
        init[lin], init[quad] = eps, eps**2
        bounds = model.config.suggested_bounds()
        bounds[lin], bounds[quad] = (-10.0, 10.0), (0.0, 100.0)
        _, twice_nll = pyhf.infer.mle.fit(
            data, model, init_pars=init.tolist(), par_bounds=bounds, return_fitted_val=True
        )
        return float(twice_nll) / 2.0

    best = nll(interval.eps_hat)
    for endpoint in interval.intervals[0]:
        assert 2.0 * (nll(endpoint) - best) == pytest.approx(Q90, abs=0.02)


@pytest.mark.parametrize(
    ("name", "options"), [("scalar-universal", {}), ("vector-minimal", {"flavour": "mu", "quark": "d"})]
)
def test_combination_narrows_the_lz_only_interval(name, options):
    model = make_model(name, **options)
    eps_max = 4.0 if name == "vector-minimal" else 2.0
    lz = nsi_interval("lz-ws2022", name, experiment_channels("lz-ws2022", model=model), eps_max=eps_max)
    comb = nsi_interval("combined", name, experiment_channels("combined", model=model), eps_max=eps_max)

    def width(iv):
        return sum(hi - lo for lo, hi in iv.intervals)

    assert width(comb) < width(lz)
    assert any(lo <= 0.0 <= hi for lo, hi in comb.intervals)  # the SM is allowed


@pytest.mark.parametrize("pub", PUBLICATIONS, ids=lambda p: p.directory)
def test_committed_publication_equals_fresh_build_and_verifies(pub):
    directory = ROOT / "workspaces" / pub.directory
    fresh = publication_files(pub)
    bkg = json.loads((directory / "BkgOnly.json").read_text())
    patchset = json.loads((directory / "patchset.json").read_text())
    assert rounded_digest(bkg) == rounded_digest(fresh["BkgOnly.json"])
    assert rounded_digest(patchset) == rounded_digest(fresh["patchset.json"])
    pyhf.patchset.PatchSet(patchset).verify(pyhf.Workspace(bkg))
    readme = (directory / "README.md").read_text()
    assert "pyhf cls" in readme and "CC-BY-4.0" in readme and "observed data" in readme


def test_pyhf_cli_verifies_and_runs_a_published_real_data_likelihood(tmp_path):
    directory = ROOT / "workspaces" / "real-data_combined_lq-s1_mu"
    if not PYHF.exists():
        pytest.skip("pyhf console script not found beside the interpreter")
    bkg, patches = str(directory / "BkgOnly.json"), str(directory / "patchset.json")
    subprocess.run([str(PYHF), "patchset", "verify", bkg, patches], check=True, capture_output=True)
    patch = tmp_path / "patch.json"
    extracted = subprocess.run(
        [str(PYHF), "patchset", "extract", patches, "--name", "m_1000_lambda_4"],
        check=True,
        capture_output=True,
        text=True,
    )
    patch.write_text(extracted.stdout)
    out = subprocess.run(
        [str(PYHF), "cls", bkg, "--patch", str(patch)], check=True, capture_output=True, text=True
    )
    cls = json.loads(out.stdout)
    assert 0.0 <= cls["CLs_obs"] <= 1.0 and len(cls["CLs_exp"]) == 5


def test_discover_limit_and_fit_run_on_a_published_real_data_likelihood():
    bkg = str(ROOT / "workspaces" / "real-data_combined_lq-s1_mu" / "BkgOnly.json")
    base = [sys.executable, "-m", "cevns_stats"]
    patch = ["--patch", "m_1000_lambda_4"]
    discover = subprocess.run(
        [*base, "discover", bkg, *patch, "--json"], capture_output=True, text=True, check=True
    )
    assert json.loads(discover.stdout)["z_median_expected"] > 2.0  # excluded at 90 % CL by the combination
    limit = subprocess.run(
        [*base, "limit", bkg, *patch, "--engine", "fast", "--cl", "0.9", "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(limit.stdout)["observed"] < 1.0  # mu = 1 (the grid point) is excluded
    fit = subprocess.run([*base, "fit", bkg, *patch, "--json"], capture_output=True, text=True, check=True)
    assert json.loads(fit.stdout)


def test_figure_and_table_are_labelled_beyond_the_paper():
    results = {
        "flux": [
            {
                "experiment": "xenonnt (SR0+SR1)",
                "flux_8B_cm2_s": 5.9e6,
                "flux_8B_interval_68_cm2_s": [3.1e6, 10.7e6],
                "significance_sigma": 2.7,
                "observed_events": 37,
                "background_events": 26.5,
            }
        ],
        "flux_8B_reference": {"flux_cm2_s": 5.46e6, "relative_uncertainty": 0.12},
        "published_flux": {
            "xenonnt (SR0+SR1)": {"flux_cm2_s": [4.7e6, 2.3e6, 3.6e6], "significance_sigma": 2.73}
        },
        "nsi": [
            {"experiment": "lz-ws2022", "model": "scalar-universal", "allowed_intervals_90": [[-0.05, 0.05]]},
            {"experiment": "combined", "model": "scalar-universal", "allowed_intervals_90": [[-0.02, 0.02]]},
        ],
        "leptoquark": [
            {"experiment": "combined", "flavour": "mu", "epsilon_90": -0.16, "lambda_at_1TeV": 3.2}
        ],
        "attribution": "CC-BY-4.0",
    }
    fig = plot_recast(results)
    assert "Beyond the paper" in fig._suptitle.get_text()
    assert len(fig.axes) == 2
    assert "beyond the paper" in results_markdown(results)
