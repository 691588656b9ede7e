"""The COMMITTED publications with pyhf's own CLI (patchset verify, cls, xml2json) and combine on disk."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyhf
import pyhf.cli
import pytest
from click.testing import CliRunner
from conftest import committed_scalar_spec
from scipy.stats import norm

from cevns_stats.inference.engine import CompiledModel
from cevns_stats.inference.limits import cls_asymptotic, pyhf_tight_backend
from cevns_stats.likelihood.histfactory import export_histfactory
from cevns_stats.likelihood.patches import apply_patch

BIN = Path(sys.executable).parent
PYHF, CEVNS = str(BIN / "pyhf"), str(BIN / "cevns-stats")
WORKSPACES = Path(__file__).resolve().parents[1] / "workspaces"
PUBLICATIONS = sorted(p.parent.name for p in WORKSPACES.glob("*/patchset.json"))
CLS_CASES = [("lz-ws2022_lq-s1_mu", "m_1000_lambda_2"), ("darwin_vector-minimal", "eps_m0p05")]


def _json(path: Path) -> dict:
    return json.loads(path.read_text())


def _bash(script: str, cwd: Path) -> str:
    return subprocess.run(["bash", "-c", script], cwd=cwd, capture_output=True, text=True, check=True).stdout


def _pyhf_cli(args: list[str]) -> str:
    """pyhf's own click command line, in process (the same code as the ``pyhf`` script, without its start-up)."""
    result = CliRunner().invoke(pyhf.cli.cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("folder", PUBLICATIONS)
def test_pyhf_patchset_verify_passes_on_every_committed_publication(folder):
    assert (
        len([p for p in PUBLICATIONS if not p.startswith("real-data_")]) == 8
    )  # real-data_*: test_real_data.py
    here = WORKSPACES / folder
    assert _pyhf_cli(
        ["patchset", "verify", str(here / "BkgOnly.json"), str(here / "patchset.json")]
    ).startswith("All good.")


@pytest.mark.parametrize(("folder", "patch"), CLS_CASES)
def test_pyhf_cls_cli_on_committed_files_agrees_with_our_api(folder, patch, tmp_path):
    """`pyhf cls BkgOnly.json --patch <(pyhf patchset extract …)` = hypotest on apply_patch = our engine, 1e-6."""
    here = WORKSPACES / folder
    if folder.startswith("lz"):  # the literal command of the issue, with the installed pyhf script
        cli = json.loads(
            _bash(
                f"{PYHF} cls BkgOnly.json --patch <({PYHF} patchset extract patchset.json --name {patch})",
                here,
            )
        )
    else:  # the same pyhf commands in process (saves two interpreter start-ups)
        patch_file = tmp_path / "patch.json"
        _pyhf_cli(
            [
                "patchset",
                "extract",
                str(here / "patchset.json"),
                "--name",
                patch,
                "--output-file",
                str(patch_file),
            ]
        )
        cli = json.loads(_pyhf_cli(["cls", str(here / "BkgOnly.json"), "--patch", str(patch_file)]))
    spec = apply_patch(_json(here / "BkgOnly.json"), _json(here / "patchset.json"), patch)
    ws = pyhf.Workspace(spec)
    model = ws.model()
    obs, exp = pyhf.infer.hypotest(1.0, ws.data(model), model, test_stat="qtilde", return_expected_set=True)
    assert cli["CLs_obs"] == pytest.approx(float(obs), rel=1e-6, abs=1e-12)
    np.testing.assert_allclose(cli["CLs_exp"], np.ravel(exp), rtol=1e-6, atol=1e-12)
    with pyhf_tight_backend():  # the fast engine, with pyhf run to a tight tolerance as reference
        ours = cls_asymptotic(
            CompiledModel.from_workspace(spec),
            np.asarray(ws.data(model, include_auxdata=False)),
            np.asarray(model.config.auxdata),
            np.array([1.0]),
        )
        tight = float(pyhf.infer.hypotest(1.0, ws.data(model), model, test_stat="qtilde"))
    assert float(ours.cls_observed[0]) == pytest.approx(tight, rel=1e-6, abs=1e-12)
    assert float(ours.cls_observed[0]) == pytest.approx(cli["CLs_obs"], rel=1e-4, abs=1e-10)
    assert 0.0 < cli["CLs_obs"] < 1.0


def _expected_and_logpdf(spec: dict, values: dict) -> tuple[np.ndarray, float]:
    ws = pyhf.Workspace(spec)
    model = ws.model()
    pars = np.array([values[name] for name in model.config.par_order])
    return np.asarray(model.expected_data(pars)), float(model.logpdf(pars, ws.data(model))[0])


@pytest.mark.parametrize(
    ("folder", "patch"), [("darwin_scalar-universal", None), ("lz-ws2022_lq-s1_tau", "m_2000_lambda_3")]
)
def test_pyhf_xml2json_of_committed_export_at_random_points(folder, patch, tmp_path):
    here = WORKSPACES / folder
    spec = (
        committed_scalar_spec(folder)
        if patch is None
        else apply_patch(_json(here / "BkgOnly.json"), _json(here / "patchset.json"), patch)
    )
    export_histfactory(spec, tmp_path / "xml")
    top = tmp_path / "xml" / "FitConfig.xml"
    _pyhf_cli(
        ["xml2json", str(top), "--basedir", str(top.parent), "--output-file", str(tmp_path / "back.json")]
    )
    back = _json(tmp_path / "back.json")
    names = pyhf.Workspace(spec).model().config.par_order
    rng = np.random.default_rng(2024)
    for _ in range(4):
        point = {n: rng.uniform(-1.8, 1.8) for n in names}
        point["mu"] = rng.uniform(0.0, 2.0)
        ours, theirs = _expected_and_logpdf(spec, point), _expected_and_logpdf(back, point)
        np.testing.assert_allclose(theirs[0], ours[0], rtol=1e-9, atol=0)
        assert theirs[1] == pytest.approx(ours[1], rel=1e-9)


@pytest.fixture(scope="module")
def ours_cli():
    from cevns_stats.cli import _register, cli

    _register()
    return cli


@pytest.fixture(scope="module")
def combined_vector(tmp_path_factory, ours_cli):
    """Committed Pb, Xe (DARWIN), Ar (ARGO) vector-minimal at ε = −0.02, combined with `cevns-stats combine`."""
    tmp = tmp_path_factory.mktemp("combine")
    files = []
    for folder in ("darwin_vector-minimal", "argo_vector-minimal", "lead-future_vector-minimal"):
        here = WORKSPACES / folder
        spec = apply_patch(_json(here / "BkgOnly.json"), _json(here / "patchset.json"), "eps_m0p02")
        files.append(tmp / f"{folder}.json")
        files[-1].write_text(json.dumps(spec))
    out = tmp / "combined.json"
    # every publication shares one POI convention (mu init 1, bounds [0, 10]), so the plain outer join of
    # pyhf combine works in any order (combine's harmonise_bounds has nothing to intersect here).
    plain = CliRunner().invoke(
        ours_cli, ["combine", *map(str, files), "--output", str(out)], catch_exceptions=False
    )
    assert plain.exit_code == 0, plain.output
    return [_json(f) for f in files], _json(out)


def _asimov_discovery_z(spec: dict, signal: dict) -> float:
    model = pyhf.Workspace(spec).model()
    data = np.concatenate([signal[c] for c in model.config.channels] + [model.config.auxdata])
    return float(norm.isf(pyhf.infer.hypotest(0.0, data, model, test_stat="q0")))


def test_committed_combination_has_one_8b_nuisance_and_more_significance(combined_vector):
    singles, combined = combined_vector
    model = pyhf.Workspace(combined).model()
    assert sorted(model.config.channels) == ["argo", "darwin", "lead-future"]
    assert (
        model.config.par_order.count("nu_flux_8B") == 1
        and model.config.param_set("nu_flux_8B").n_parameters == 1
    )
    mu_bounds = [pyhf.Workspace(s).model().config.suggested_bounds()[0][1] for s in singles]
    assert model.config.suggested_bounds()[model.config.poi_index][1] == min(mu_bounds)
    signal = {}  # Asimov data at the grid point (μ = 1), per detector channel
    for spec in singles:
        m = pyhf.Workspace(spec).model()
        init = m.config.suggested_init()
        init[m.config.poi_index] = 1.0
        signal[m.config.channels[0]] = np.asarray(m.expected_actualdata(init))
    z_single = [_asimov_discovery_z(spec, signal) for spec in singles]
    z_combined = _asimov_discovery_z(combined, signal)
    assert all(z > 0 for z in z_single)
    assert z_combined >= max(z_single) - 1e-6


def _corrupt(kind: str, spec: dict) -> str:
    spec = json.loads(json.dumps(spec))
    if kind == "malformed":
        return json.dumps(spec)[:-20]
    if kind == "missing-channel":
        spec["channels"] = spec["channels"][1:] if len(spec["channels"]) > 1 else []
    if kind == "missing-modifier":
        sample = spec["channels"][0]["samples"][0]
        sample["modifiers"] = [m for m in sample["modifiers"] if not m["name"].startswith("nu_flux_")]
    return json.dumps(spec)


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("malformed", "cannot read a JSON workspace"),
        ("missing-channel", "no channels"),
        ("missing-modifier", "lacks its flux nuisance"),
    ],
)
def test_combine_cli_rejects_bad_committed_derivatives_and_writes_nothing(kind, message, tmp_path, ours_cli):
    good = tmp_path / "good.json"
    good.write_text(json.dumps(committed_scalar_spec()))
    bad = tmp_path / "bad.json"
    bad.write_text(_corrupt(kind, _json(good)))
    out = tmp_path / "out.json"
    args = ["combine", str(good), str(bad), "--output", str(out)]
    if kind == "malformed":  # the installed script: one line on stderr, no traceback
        run = subprocess.run([CEVNS, *args], capture_output=True, text=True, check=False)
        code, text = run.returncode, run.stderr + run.stdout
        assert "Traceback" not in run.stderr
    else:  # in process; an uncaught exception would fail the test
        result = CliRunner().invoke(ours_cli, args, catch_exceptions=False)
        code, text = result.exit_code, result.output
    assert code == 1 and message in text and len(text.strip().splitlines()) == 1
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["bad.json", "good.json"]


def _poi_config(folder: str) -> dict:
    return _json(WORKSPACES / folder / "BkgOnly.json")["measurements"][0]["config"]["parameters"][0]


def test_pyhf_combine_of_darwin_and_argo_bkgonly_has_one_8b_nuisance(tmp_path):
    """Issue 12 acceptance: pyhf's own `combine --join outer` on two published BkgOnly files."""
    folders = ("darwin_vector-minimal", "argo_vector-minimal")
    if _poi_config(folders[0]) != _poi_config(folders[1]):
        pytest.skip("the committed workspaces predate the common POI convention: regenerate workspaces/")
    out = tmp_path / "combined.json"
    _pyhf_cli(
        [
            "combine",
            "--join",
            "outer",
            *(str(WORKSPACES / f / "BkgOnly.json") for f in folders),
            "--output-file",
            str(out),
        ]
    )
    model = pyhf.Workspace(_json(out)).model(poi_name=None)
    assert model.config.par_order.count("nu_flux_8B") == 1
    assert sorted(model.config.channels) == ["argo", "darwin"]


def _patches(sample: bool) -> list[tuple[str, str]]:
    out = []
    for folder in PUBLICATIONS:
        names = [p["metadata"]["name"] for p in _json(WORKSPACES / folder / "patchset.json")["patches"]]
        out += [(folder, n) for n in ((names[0], names[-1]) if sample else names)]
    return out


def _limit_answers(folder: str, patch: str) -> None:
    from cevns_stats.inference.workflow import limit_summary, load_analysis

    here = WORKSPACES / folder
    result = limit_summary(
        load_analysis(here / "BkgOnly.json", patch=patch, patchset=here / "patchset.json"), engine="fast"
    )
    limits = [result.observed, *result.expected_band]
    for name, value in zip(("observed", "-2sigma", "-1sigma", "median", "+1sigma", "+2sigma"), limits):
        assert (value is None) == (name in result.above_bound)  # a number, or "above the POI bound"
        assert value is None or 0.0 < value <= result.poi_bound


@pytest.mark.parametrize(("folder", "patch"), _patches(sample=True))
def test_limit_answers_on_first_and_last_patch_of_every_publication(folder, patch):
    _limit_answers(folder, patch)


@pytest.mark.slow
@pytest.mark.parametrize(("folder", "patch"), _patches(sample=False))
def test_limit_answers_on_every_patch_of_every_publication(folder, patch):
    _limit_answers(folder, patch)
