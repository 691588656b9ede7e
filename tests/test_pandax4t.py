"""PandaX-4T counting recast (issue 14) against PRL 133, 191001 (2024), arXiv:2407.10892.

Published: paired 1.20 t·yr, 3 observed, 2.8 ± 0.5 background; US2 1.04 t·yr, 332 observed, 251 ± 32;
best-fit ⁸B 3.5 and 75 events; flux (8.4 ± 3.1)×10⁶ cm⁻² s⁻¹; background-only rejected at 2.64σ.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pyhf
import pytest
from scipy.stats import norm

from cevns_stats.errors import InvalidInput
from cevns_stats.experiments.pandax4t import pandax4t_channels, step_rate_integrals
from cevns_stats.experiments.recast_channel import build_recast_workspace
from cevns_stats.inference.limits import pyhf_tight_backend
from cevns_stats.physics.fluxes.catalogue import get_channels
from cevns_stats.physics.interactions import make_model
from cevns_stats.physics.nuclei import get_target
from cevns_stats.physics.rates import rate_components, unit_rates

SSM_B8 = 5.46e6


@pytest.fixture(autouse=True, scope="module")
def _tight_pyhf():
    """pyhf's numpy backend with a tight tolerance in this module; the previous backend restored afterwards."""
    with pyhf_tight_backend():
        yield


@pytest.fixture(scope="module")
def fit():
    spec = build_recast_workspace(pandax4t_channels(), form="flux")
    ws = pyhf.Workspace(spec)
    model = ws.model()
    data = ws.data(model)
    best = pyhf.infer.mle.fit(data, model)
    z = float(norm.isf(float(pyhf.infer.hypotest(0.0, data, model, test_stat="q0"))))
    return float(best[model.config.poi_index]), z


def test_channels_carry_the_published_counts():
    paired, us2 = pandax4t_channels()
    assert paired.observed.tolist() == [3.0] and us2.observed.tolist() == [332.0]
    assert paired.background_events().tolist() == [2.8] and us2.background_events().tolist() == [251.0]


def test_sm_signal_is_anchored_to_the_published_best_fit():
    """At Φ = 8.4×10⁶ the SM ⁸B expectation is the published 3.5 (paired) and 75 (US2) events."""
    for channel, events in zip(pandax4t_channels(), (3.5, 75.0)):
        b8 = channel.flux_channels.index("8B")
        assert channel.signal[0, 0, b8, 0] * 8.4e6 / SSM_B8 == pytest.approx(events, rel=1e-12)


def test_best_fit_flux_within_published_interval(fit):
    """Acceptance: best-fit ⁸B flux within (8.4 ± 3.1)×10⁶ cm⁻² s⁻¹."""
    mu_hat, _ = fit
    assert 8.4e6 - 3.1e6 < mu_hat * SSM_B8 < 8.4e6 + 3.1e6


def test_counting_significance_is_below_the_shape_analysis(fit):
    """Counting loses the spectral information of PandaX's fit: Z below the published 2.64σ, yet an excess."""
    _, z = fit
    assert 1.0 < z < 2.64


def test_nsi_enters_as_ratio_of_step_integrals():
    """X_k/SM_8B equals the ratio of our rates above the threshold (independent trapezoid on a fine grid)."""
    model = make_model("vector-universal", quark="d")
    paired, _ = pandax4t_channels(model=model)
    channels = get_channels(["8B", "hep"])
    energy = np.linspace(1.1, 20.0, 200001)
    comps = rate_components(unit_rates(get_target("xenon"), channels, energy), model)
    integrals = np.trapezoid(comps, energy, axis=-1)  # (3, K)
    expected = paired.signal[0, 0, 0, 0] * integrals / integrals[0, 0]
    np.testing.assert_allclose(paired.signal[0, :, :, 0], expected, rtol=1e-5)
    np.testing.assert_allclose(step_rate_integrals(1.1, channels, model), integrals, rtol=1e-5)


def test_needs_the_8b_anchor():
    with pytest.raises(InvalidInput, match="8B"):
        pandax4t_channels(flux_channels=("hep",))


def test_cli_recast_pandax4t_writes_a_verified_publication(tmp_path):
    out = tmp_path / "pandax"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "cevns_stats",
            "recast",
            "pandax4t",
            "--model",
            "scalar-universal",
            "--output",
            str(out),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    names = sorted(p.name for p in out.iterdir())
    assert names == ["BkgOnly.json", "README.md", "flux_workspace.json", "patchset.json", "results.json"]
    assert all(oct(p.stat().st_mode & 0o777) == "0o644" for p in out.iterdir())
    bkg, patchset = (json.loads((out / n).read_text()) for n in ("BkgOnly.json", "patchset.json"))
    pyhf.patchset.PatchSet(patchset).verify(pyhf.Workspace(bkg))
    results = json.loads((out / "results.json").read_text())
    lo, hi = results["nsi"]["allowed_intervals_90"][0]
    assert lo == pytest.approx(-hi) and hi > 0  # scalar NSI: symmetric in ε
    assert "CC-BY-4.0" in (out / "README.md").read_text()
