"""XENONnT recast from the binned data release (issue 14): derived files, likelihood, published numbers.

Literature: XENONnT, PRL 133, 191002 (2024), arXiv:2408.02877 — SR0+SR1 (3.51 t·yr): 37 events observed, 26.4
(+1.4 −1.3) expected from backgrounds, background-only rejected at 2.73σ, ⁸B flux (4.7 +3.6 −2.3)×10⁶ cm⁻² s⁻¹.
The release (../shared/data/xenonnt_cevns_release, CC-BY-4.0) is read directly with h5py where present.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyhf
import pytest
from scipy.stats import norm

from cevns_stats.errors import UnknownName
from cevns_stats.experiments.recast_channel import build_recast_workspace
from cevns_stats.experiments.xenonnt import fold_weights, load_run, parse_runs, xenonnt_channels
from cevns_stats.inference.discovery import generate_toys, q0
from cevns_stats.inference.engine import CompiledModel
from cevns_stats.inference.limits import pyhf_tight_backend

ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = ROOT / "cevns_stats" / "experiments" / "data" / "xenonnt"
#: Livetimes [t·yr] of the release's plot.ipynb.
LIVETIMES = {"sr0": 1.174398, "sr1": 2.342593, "sr2": 3.249665}


@pytest.fixture(autouse=True, scope="module")
def _tight_pyhf():
    """pyhf's numpy backend with a tight tolerance in this module; the previous backend restored afterwards."""
    with pyhf_tight_backend():
        yield


@pytest.fixture(scope="module")
def release(shared_data) -> Path:
    path = shared_data / "xenonnt_cevns_release"
    if not path.is_dir():
        pytest.skip(f"XENONnT release not found at {path}")
    return path


def _template(path: Path) -> np.ndarray:
    h5py = pytest.importorskip("h5py")
    with h5py.File(path, "r") as handle:
        return np.asarray(handle["templates/template"][()], dtype=float).reshape(-1)


@pytest.fixture(scope="module")
def sm_workspace_sr01():
    return build_recast_workspace(xenonnt_channels("sr0,sr1"), form="flux")


@pytest.mark.parametrize("run", ["sr0", "sr1", "sr2"])
def test_backgrounds_equal_release_templates_times_livetime(release, run):
    """Acceptance: AC, ER and neutron samples = the release's templates × livetime (to 1e-6)."""
    (channel,) = xenonnt_channels([run])
    samples = {s["name"]: np.array(s["data"]) for s in channel.backgrounds}
    tdir = release / "templates" / run
    expected = {
        "xenonnt_ac": _template(tdir / "ac" / f"template_XENONnT_{run}_ac_cevns.h5"),
        "xenonnt_er": _template(tdir / "er" / f"template_XENONnT_{run}_er_cevns.h5"),
        "xenonnt_neutron": _template(tdir / "rg" / f"template_XENONnT_{run}_rg_cevns_tly_0.0_tqy_0.0.h5"),
    }
    for name, rate in expected.items():
        np.testing.assert_allclose(samples[name], rate * LIVETIMES[run], rtol=1e-6, atol=1e-12, err_msg=name)


def test_observed_counts_per_run():
    """Acceptance: 9, 28 and 25 selected events in SR0, SR1, SR2 (37 in SR0+SR1, PRL 133, 191002)."""
    counts = [int(load_run(run).observed.sum()) for run in ("sr0", "sr1", "sr2")]
    assert counts == [9, 28, 25]


def test_sr01_background_matches_published_expectation():
    """26.4 (+1.4 −1.3) background events expected in SR0+SR1 (PRL 133, 191002)."""
    total = sum(ch.background_events().sum() for ch in xenonnt_channels("sr0,sr1"))
    assert 26.4 - 1.3 < total < 26.4 + 1.4


def test_sr01_significance_and_flux_with_pyhf(sm_workspace_sr01):
    """Acceptance: Z within 2.73 ± 0.5σ and best-fit ⁸B flux inside the published (2.4–8.3)×10⁶ cm⁻² s⁻¹."""
    ws = pyhf.Workspace(sm_workspace_sr01)
    model = ws.model()
    data = ws.data(model)
    best = pyhf.infer.mle.fit(data, model)
    flux = float(best[model.config.poi_index]) * 5.46e6
    p0 = float(pyhf.infer.hypotest(0.0, data, model, test_stat="q0"))
    z = float(norm.isf(p0))
    assert abs(z - 2.73) < 0.5, z
    assert 2.4e6 < flux < 8.3e6, flux


def test_rebuild_derived_files_from_release(release, tmp_path):
    """The shipped .npz files are exactly what scripts/build_xenonnt_response.py makes from the release."""
    pytest.importorskip("h5py")
    pytest.importorskip("yaml")
    cmd = [sys.executable, str(ROOT / "scripts" / "build_xenonnt_response.py")]
    subprocess.run(
        [*cmd, "--release", str(release), "--output", str(tmp_path)], check=True, capture_output=True
    )
    for run in ("sr0", "sr1", "sr2"):
        fresh, shipped = np.load(tmp_path / f"{run}.npz"), np.load(DATA_DIR / f"{run}.npz")
        assert sorted(fresh.files) == sorted(shipped.files)
        for key in fresh.files:
            np.testing.assert_array_equal(fresh[key], shipped[key], err_msg=f"{run}/{key}")
        assert (tmp_path / f"{run}.npz").read_bytes() == (DATA_DIR / f"{run}.npz").read_bytes()
        assert oct((tmp_path / f"{run}.npz").stat().st_mode & 0o777) == "0o644"
    assert (tmp_path / "LICENSE").read_bytes() == (release / "LICENSE").read_bytes()


def test_attribution_ships_beside_the_data():
    readme = (DATA_DIR / "README.md").read_text()
    assert "CC-BY-4.0" in readme and "60d230dd7a5646fd4aa2368c5fdfba575ee0cb88" in readme
    assert "Attribution 4.0 International" in (DATA_DIR / "LICENSE").read_text()


def test_fold_weights_integrate_the_interpolated_efficiency():
    """Σ W·ε equals the exact integral of the piecewise-linear efficiency (trapezoid rule) for a flat rate."""
    run = load_run("sr1")
    energy, weights = fold_weights(run.mono_energy_keV)
    assert energy.min() > 0.5 and energy.max() < 5.0  # nothing below 0.5 keV
    folded = np.ones(energy.size) @ weights @ run.mono_efficiency[0]
    exact = np.trapezoid(run.mono_efficiency[0], run.mono_energy_keV, axis=0)
    np.testing.assert_allclose(folded, exact, rtol=1e-12)
    # a linear rate R = E: ∫ E ε(E) dE with ε linear on each interval is a cubic, integrated exactly
    e = run.mono_energy_keV
    eff = run.mono_efficiency[0][:, 40]
    slope = np.diff(eff) / np.diff(e)
    exact_linear = sum(
        (e[i + 1] ** 2 - e[i] ** 2) / 2 * (eff[i] - slope[i] * e[i])
        + slope[i] * (e[i + 1] ** 3 - e[i] ** 3) / 3
        for i in range(e.size - 1)
    )
    np.testing.assert_allclose(energy @ weights @ eff, exact_linear, rtol=1e-12)


def test_yield_nuisances_are_shared_histosys_on_signal_and_neutrons(sm_workspace_sr01):
    for channel in sm_workspace_sr01["channels"]:
        for sample in channel["samples"]:
            kinds = {m["name"]: m["type"] for m in sample["modifiers"]}
            if sample["name"].startswith("SM_") or sample["name"] == "xenonnt_neutron":
                assert kinds["xenonnt_tly"] == kinds["xenonnt_tqy"] == "histosys", sample["name"]
            if sample["name"].startswith("SM_"):
                assert kinds[f"nu_flux_{sample['name'][3:]}"] == "normsys"
                assert kinds["xenonnt_signal_efficiency"] == "normsys"


def test_er_rate_uncertainty_is_linear_and_stays_positive(sm_workspace_sr01):
    """100 % ER uncertainty: histosys hi = 2×, lo = 0 → ER = (1 + α)·nominal exactly; bound α ≥ −1."""
    model = pyhf.Workspace(sm_workspace_sr01).model()
    index = model.config.par_slice("xenonnt_er_sr0").start
    assert list(model.config.suggested_bounds()[index]) == [-1.0, 5.0]
    (channel,) = [c for c in sm_workspace_sr01["channels"] if c["name"] == "xenonnt_sr0"]
    er = np.array(next(s["data"] for s in channel["samples"] if s["name"] == "xenonnt_er"))
    base = np.asarray(model.config.suggested_init())
    for alpha in (-1.0, -0.5, 0.3, 2.0):
        pars = base.copy()
        pars[index] = alpha
        delta = model.expected_actualdata(pars)[:81] - model.expected_actualdata(base)[:81]
        np.testing.assert_allclose(delta, alpha * er, rtol=1e-9, atol=1e-12)


def test_parse_runs_rejects_unknown_runs():
    assert parse_runs("sr1, sr0") == ("sr0", "sr1")
    with pytest.raises(UnknownName, match="sr0, sr1, sr2"):
        parse_runs("sr0,sr3")


def test_cli_recast_xenonnt(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "cevns_stats", "recast", "xenonnt", "--runs", "sr0,sr1", "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(out.stdout)
    assert result["flux"]["observed_events"] == 37
    assert abs(result["flux"]["significance_sigma"] - 2.73) < 0.5
    bad = subprocess.run(
        [
            sys.executable,
            "-m",
            "cevns_stats",
            "recast",
            "xenonnt",
            "--runs",
            "sr7",
            "--output",
            str(tmp_path / "o"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 1
    assert bad.stderr.strip().startswith("Error:") and len(bad.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()


def test_sr01_significance_from_toys_agrees_with_asymptotics():
    """20 000 background-only toys (auxiliary data resampled): Z within 0.2σ of √q0 and 0.5σ of 2.73σ."""
    model = CompiledModel.from_workspace(build_recast_workspace(xenonnt_channels("sr0,sr1"), form="flux"))
    observed = q0(model, model.observed_main[None], model.observed_aux[None], poi="mu_8B")
    main, aux = generate_toys(model, observed.null.pars[0], 20000, seed=11, aux="resampled")
    toys = q0(model, main, aux, poi="mu_8B")
    assert toys.converged.mean() > 0.99
    p_value = np.mean(toys.q0[toys.converged] >= observed.q0[0])
    z_toys = float(norm.isf(p_value))
    assert abs(z_toys - float(observed.z[0])) < 0.2
    assert abs(z_toys - 2.73) < 0.5
