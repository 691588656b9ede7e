"""``cevns-stats discover`` / ``limit``: JSON contract and bad input (clear one-line errors, no traceback)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyhf
import pytest
from click.testing import CliRunner

from cevns_stats.cli import _register, cli
from cevns_stats.likelihood.templates import read_templates
from cevns_stats.likelihood.workspace import build_workspace, set_eps

ROOT = Path(__file__).resolve().parents[1]
SCALAR = ROOT / "workspaces" / "darwin_scalar-universal" / "workspace.json"
VECTOR = ROOT / "workspaces" / "darwin_vector-minimal"
DISCOVERY_KEYS = {"z_observed", "z_median_expected"}
TOY_KEYS = {"z_mean_toys", "z_median_toys", "n_toys", "n_failed_fits"}


def invoke(args):
    _register()
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert "Traceback" not in result.output
    assert not (result.exception and not isinstance(result.exception, SystemExit)), result.exception
    return result


@pytest.fixture(scope="module")
def small_scalar(tmp_path_factory) -> Path:
    """The committed DARWIN scalar workspace pruned to ⁸B and atmospheric νμ (fast pyhf limits)."""
    ws = pyhf.Workspace(json.loads(SCALAR.read_text()))
    keep = ("8B", "atm_numu")
    drop = [s for s in ws.samples if s.split("_", 1)[1] not in keep]
    mods = [m for m, _ in ws.modifiers if m.startswith("nu_flux_") and m[8:] not in keep]
    path = tmp_path_factory.mktemp("ws") / "small.json"
    path.write_text(json.dumps(ws.prune(samples=drop, modifiers=mods)))
    return path


@pytest.fixture(scope="module")
def linear_ws(tmp_path_factory) -> Path:
    templates = read_templates(ROOT / "templates" / "xenon_vector-minimal_mu_d_th1keV.json")
    path = tmp_path_factory.mktemp("ws") / "linear.json"
    path.write_text(json.dumps(set_eps(build_workspace(templates, form="linear"), -0.1)))
    return path


def test_discover_json_with_toys():
    result = invoke(["discover", SCALAR, "--toys", 50, "--seed", 3, "--json"])
    assert result.exit_code == 0
    out = json.loads(result.stdout)
    assert set(out) >= DISCOVERY_KEYS | TOY_KEYS
    assert out["n_toys"] == 50 and out["n_failed_fits"] == 0 and out["mode"] == "standard"
    assert out["toy_aux"] == "resampled" and out["seed"] == 3 and out["poi"] == "mu"
    assert out["z_observed"] == 0.0  # the committed observation is the SM Asimov
    assert out["z_median_expected"] == pytest.approx(10.37, abs=0.01)
    assert out["z_median_toys"] == pytest.approx(out["z_median_expected"], rel=0.05)
    again = json.loads(invoke(["discover", SCALAR, "--toys", 50, "--seed", 3, "--json"]).stdout)
    assert again == out  # seeded toys are reproducible


def test_discover_json_without_toys_has_no_toy_keys():
    out = json.loads(invoke(["discover", SCALAR, "--json", "--mode", "paper"]).stdout)
    assert set(out) >= DISCOVERY_KEYS and not TOY_KEYS & set(out) and out["mode"] == "paper"


def test_discover_patchset_paper_mode_fixed_aux():
    args = [
        "discover",
        VECTOR / "BkgOnly.json",
        "--patch",
        "eps_m0p05",
        "--toys",
        40,
        "--seed",
        1,
        "--mode",
        "paper",
        "--toy-aux",
        "fixed",
        "--json",
    ]
    out = json.loads(invoke(args).stdout)
    assert out["toy_aux"] == "fixed" and out["source"]["patch"] == "eps_m0p05" and out["signal"] == 1.0
    assert 1.0 < out["z_median_expected"] < 3.0


def test_discover_signed_eps_text(linear_ws):
    result = invoke(["discover", linear_ws])
    assert result.exit_code == 0 and "eps = -0.1" in result.stdout and "median expected" in result.stdout


def test_limit_json_pyhf_engine(tmp_path, small_scalar):
    spec = {
        "channels": [
            {
                "name": "c",
                "samples": [
                    {
                        "name": "b",
                        "data": [100.0, 50.0],
                        "modifiers": [
                            {"name": "nu_flux_b", "type": "normsys", "data": {"hi": 1.1, "lo": 0.9}}
                        ],
                    },
                    {
                        "name": "s",
                        "data": [1.0, 2.0],
                        "modifiers": [{"name": "mu", "type": "normfactor", "data": None}],
                    },
                ],
            }
        ],
        "observations": [{"name": "c", "data": [100.0, 50.0]}],
        "version": "1.0.0",
        "measurements": [
            {"name": "m", "config": {"poi": "mu", "parameters": [{"name": "mu", "bounds": [[0, 100]]}]}}
        ],
    }
    path = tmp_path / "counting.json"
    path.write_text(json.dumps(spec))
    out = json.loads(invoke(["limit", path, "--cl", 0.9, "--json"]).stdout)
    assert "pyhf" in out["method"] and out["cl"] == 0.9 and out["poi"] == "mu"
    band = out["expected_band"]
    assert band["-2sigma"] < band["-1sigma"] < band["median"] < band["+1sigma"] < band["+2sigma"]
    assert out["expected"] == band["median"] and out["observed"] == pytest.approx(band["median"], rel=1e-3)
    fast = json.loads(invoke(["limit", path, "--cl", 0.9, "--engine", "fast", "--json"]).stdout)
    assert fast["observed"] == pytest.approx(out["observed"], rel=1e-3) and "fast engine" in fast["method"]
    text = invoke(["limit", small_scalar, "--engine", "fast"]).stdout
    assert text.startswith("CLs, asymptotic") and "mu <" in text


def test_limit_json_signed_eps(linear_ws):
    out = json.loads(invoke(["limit", linear_ws, "--eps-max", 2, "--json"]).stdout)
    assert "profile likelihood" in out["method"] and out["kind"] == "signed-eps"
    assert len(out["observed_intervals"]) == 2 and out["threshold"] == pytest.approx(3.8415, abs=1e-4)


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["discover", SCALAR, "--toys", 0], 2, "--toys"),
        (["discover", SCALAR, "--toys", -5], 2, "--toys"),
        (["discover", SCALAR, "--seed", 1], 2, "need --toys"),
        (["discover", SCALAR, "--toy-aux", "fixed"], 2, "need --toys"),
        (["discover", SCALAR, "--mode", "twosided"], 2, "--mode"),
        (["discover", SCALAR, "--poi", "nsi_lin"], 1, "unknown parameter 'nsi_lin'"),
        (["discover", SCALAR, "--poi", "nu_flux_8B"], 1, "constrained nuisance"),
        (["discover", VECTOR / "BkgOnly.json"], 1, "--patch NAME"),
        (["discover", VECTOR / "BkgOnly.json", "--patch", "eps_7"], 1, "unknown patch 'eps_7'"),
        (["discover", SCALAR, "--patchset", VECTOR / "patchset.json"], 2, "--patchset needs --patch"),
        (["limit", SCALAR, "--cl", 1.2], 2, "--cl"),
        (["limit", SCALAR, "--eps-max", 1.0], 2, "--eps-max"),
        (["limit", SCALAR, "--engine", "root"], 2, "--engine"),
        (["discover", VECTOR / "patchset.json"], 1, "Error:"),
    ],
)
def test_bad_input_exits_cleanly(args, code, message):
    result = invoke(args)
    assert result.exit_code == code
    assert message in result.output


def test_malformed_json_is_one_line_error_from_the_script(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"channels": [')
    proc = subprocess.run(
        [sys.executable, "-m", "cevns_stats", "discover", str(bad)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr.startswith("Error: cannot read the workspace") and proc.stderr.count("\n") == 1
