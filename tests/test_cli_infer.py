"""``cevns-stats discover`` / ``limit`` / ``fit``: pyhf's CLI conventions, JSON contract, bad input.

References are pyhf's own numbers (its q0 and CLs on the same workspace), never stored outputs of ours.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyhf
import pytest
from click.testing import CliRunner
from scipy.stats import norm

from cevns_stats.cli import _register, cli
from cevns_stats.likelihood.templates import read_templates
from cevns_stats.likelihood.workspace import build_workspace, set_eps

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "templates"
VECTOR = ROOT / "workspaces" / "darwin_vector-minimal"
DISCOVERY_KEYS = {"z_observed", "z_median_expected", "mode", "poi", "signal", "kind", "source", "engine"}
TOY_KEYS = {"z_mean_toys", "z_median_toys", "n_toys", "n_failed_fits", "memory_bound"}


def invoke(args, **kwargs):
    _register()
    result = CliRunner().invoke(cli, [str(a) for a in args], **kwargs)
    assert "Traceback" not in result.output
    assert not (result.exception and not isinstance(result.exception, SystemExit)), result.exception
    return result


@pytest.fixture(scope="module")
def small_scalar(tmp_path_factory) -> Path:
    """Xenon 1 t·yr scalar-universal workspace (templates/) pruned to ⁸B and atmospheric νμ, with an excess."""
    spec = build_workspace(read_templates(TEMPLATES / "xenon_scalar-universal_th1keV.json"), form="scalar")
    ws = pyhf.Workspace(spec)
    keep = ("8B", "atm_numu")
    drop = [s for s in ws.samples if s.split("_", 1)[1] not in keep]
    mods = [m for m, _ in ws.modifiers if m.startswith("nu_flux_") and m[8:] not in keep]
    small = json.loads(json.dumps(ws.prune(samples=drop, modifiers=mods)))
    model = pyhf.Workspace(small).model()
    pars = model.config.suggested_init()
    pars[model.config.poi_index] = 0.5  # observed = expected at μ = 0.5, rounded: an excess over the SM
    expected = np.round(np.asarray(model.expected_actualdata(pars)))
    small["observations"][0]["data"] = expected.tolist()
    path = tmp_path_factory.mktemp("ws") / "small.json"
    path.write_text(json.dumps(small))
    return path


@pytest.fixture(scope="module")
def linear_ws(tmp_path_factory) -> Path:
    templates = read_templates(TEMPLATES / "xenon_vector-minimal_mu_d_th1keV.json")
    path = tmp_path_factory.mktemp("ws") / "linear.json"
    path.write_text(json.dumps(set_eps(build_workspace(templates, form="linear"), -0.1)))
    return path


def _pyhf_z(path: Path) -> float:
    ws = pyhf.Workspace(json.loads(path.read_text()))
    model = ws.model()
    p0 = float(pyhf.infer.hypotest(0.0, ws.data(model), model, test_stat="q0"))
    return float(norm.isf(p0))


def test_discover_json_with_toys_equals_pyhf_and_is_reproducible(small_scalar):
    out = json.loads(invoke(["discover", small_scalar, "--toys", 50, "--seed", 3, "--json"]).stdout)
    assert set(out) >= DISCOVERY_KEYS | TOY_KEYS
    assert out["n_toys"] == 50 and out["n_failed_fits"] == 0 and out["mode"] == "standard"
    assert out["toy_aux"] == "resampled" and out["seed"] == 3 and out["poi"] == "mu"
    assert out["z_observed"] == pytest.approx(_pyhf_z(small_scalar), rel=1e-3)
    assert out["minima"]["deeper"] == "equal"
    assert out["z_median_toys"] == pytest.approx(out["z_median_expected"], rel=0.15)
    again = json.loads(invoke(["discover", small_scalar, "--toys", 50, "--seed", 3, "--json"]).stdout)
    assert again == out  # seeded toys are reproducible
    pyhf_only = json.loads(invoke(["discover", small_scalar, "--engine", "pyhf", "--json"]).stdout)
    assert pyhf_only["engine"] == "pyhf"
    assert pyhf_only["z_observed"] == pytest.approx(out["z_observed"], rel=1e-3)
    assert pyhf_only["z_median_expected"] == pytest.approx(out["z_median_expected"], rel=1e-3)


def test_discover_json_without_toys_has_no_toy_keys(small_scalar):
    out = json.loads(invoke(["discover", small_scalar, "--json", "--mode", "paper"]).stdout)
    assert set(out) >= DISCOVERY_KEYS and not TOY_KEYS & set(out) and out["mode"] == "paper"


def test_patch_by_name_by_legacy_name_and_by_file_agree(tmp_path):
    by_name = ["--patchset", VECTOR / "patchset.json", "--patch-name", "eps_m0p05"]
    out = json.loads(invoke(["discover", VECTOR / "BkgOnly.json", *by_name, "--json"]).stdout)
    assert out["source"]["patch"] == "eps_m0p05" and out["signal"] == 1.0
    legacy = json.loads(
        invoke(["discover", VECTOR / "BkgOnly.json", "--patch", "eps_m0p05", "--json"]).stdout
    )
    patch = next(
        p
        for p in json.loads((VECTOR / "patchset.json").read_text())["patches"]
        if p["metadata"]["name"] == "eps_m0p05"
    )
    (tmp_path / "patch.json").write_text(json.dumps(patch["patch"]))  # as `pyhf patchset extract` writes
    by_file = json.loads(
        invoke(["discover", VECTOR / "BkgOnly.json", "--patch", tmp_path / "patch.json", "--json"]).stdout
    )
    assert legacy["z_median_expected"] == out["z_median_expected"] == by_file["z_median_expected"]


def test_discover_paper_mode_fixed_aux_toys():
    args = ["discover", VECTOR / "BkgOnly.json", "--patch-name", "eps_m0p05", "--toys", 40, "--seed", 1]
    out = json.loads(invoke([*args, "--mode", "paper", "--toy-aux", "fixed", "--json"]).stdout)
    assert out["toy_aux"] == "fixed" and out["n_toys"] == 40 and out["z_median_expected"] > 0


def test_discover_signed_eps_text(linear_ws):
    result = invoke(["discover", linear_ws])
    assert result.exit_code == 0 and "eps = -0.1" in result.stdout and "median expected" in result.stdout


def _counting(tmp_path, observed=100.0) -> Path:
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
        "observations": [{"name": "c", "data": [observed, 50.0]}],
        "version": "1.0.0",
        "measurements": [
            {"name": "m", "config": {"poi": "mu", "parameters": [{"name": "mu", "bounds": [[0, 100]]}]}}
        ],
    }
    path = tmp_path / "counting.json"
    path.write_text(json.dumps(spec))
    return path


def test_limit_engines_agree_and_equal_pyhf(tmp_path):
    path = _counting(tmp_path)
    out = json.loads(invoke(["limit", path, "--cl", 0.9, "--json"]).stdout)
    assert "pyhf" in out["method"] and out["cl"] == 0.9 and out["poi"] == "mu" and out["above_bound"] == []
    band = out["expected_band"]
    assert band["-2sigma"] < band["-1sigma"] < band["median"] < band["+1sigma"] < band["+2sigma"]
    ws = pyhf.Workspace(json.loads(path.read_text()))
    model = ws.model()
    obs, exp = pyhf.infer.intervals.upper_limits.toms748_scan(
        ws.data(model), model, 1.0, 99.0, level=0.1, rtol=1e-6
    )
    assert out["observed"] == pytest.approx(float(obs), rel=1e-3)
    ordered = [band[k] for k in ("-2sigma", "-1sigma", "median", "+1sigma", "+2sigma")]
    np.testing.assert_allclose(ordered, np.ravel(exp), rtol=1e-3)
    fast = json.loads(invoke(["limit", path, "--cl", 0.9, "--engine", "fast", "--json"]).stdout)
    assert fast["observed"] == pytest.approx(out["observed"], rel=1e-3) and "fast engine" in fast["method"]


def test_limit_above_the_poi_bound_is_reported_not_an_error(tmp_path):
    spec = json.loads(_counting(tmp_path).read_text())
    spec["measurements"][0]["config"]["parameters"] = [{"name": "mu", "bounds": [[0, 5]]}]
    path = tmp_path / "tight.json"
    path.write_text(json.dumps(spec))
    result = invoke(["limit", path, "--json"])
    out = json.loads(result.stdout)
    assert result.exit_code == 0 and out["observed"] is None and out["poi_bound"] == 5.0
    assert "observed" in out["above_bound"]
    text = invoke(["limit", path]).stdout
    assert "> 5 (the POI bound)" in text


def test_stdin_and_output_file(tmp_path):
    path = _counting(tmp_path)
    out_file = tmp_path / "out" / "limit.json"
    out_file.parent.mkdir()
    result = invoke(["limit", "-", "--output-file", out_file], input=path.read_text())
    assert result.exit_code == 0 and result.stdout == ""
    written = json.loads(out_file.read_text())
    assert written["source"]["workspace"] == "stdin" and written["observed"] > 0
    assert oct(os.stat(out_file).st_mode & 0o777) == oct(0o666 & ~_umask())
    assert sorted(p.name for p in out_file.parent.iterdir()) == ["limit.json"]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_pipe_from_pyhf_combine_into_limit(tmp_path):
    """`pyhf combine a.json b.json | cevns-stats limit -` with the installed scripts."""
    first = _counting(tmp_path)
    spec = json.loads(first.read_text())
    spec["channels"][0]["name"] = spec["observations"][0]["name"] = "d"
    second = tmp_path / "second.json"
    second.write_text(json.dumps(spec))
    bin_dir = Path(sys.executable).parent
    command = (
        f"{bin_dir / 'pyhf'} combine --join outer {first} {second} | {bin_dir / 'cevns-stats'} limit - --json"
    )
    proc = subprocess.run(["bash", "-c", command], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["observed"] > 0


def test_limit_json_signed_eps(linear_ws):
    out = json.loads(invoke(["limit", linear_ws, "--eps-max", 2, "--json"]).stdout)
    assert "profile likelihood" in out["method"] and out["kind"] == "signed-eps"
    assert len(out["observed_intervals"]) == 2 and out["threshold"] == pytest.approx(3.8415, abs=1e-4)


def test_fit_command_json_and_plot(small_scalar, tmp_path):
    result = invoke(["fit", small_scalar, "--minos", "mu", "--json", "--plot", tmp_path / "plots"])
    out = json.loads(result.stdout)
    assert result.exit_code == 0 and out["valid"] and "mu" in out["minos"]
    lo, hi = out["minos"]["mu"]
    assert lo < 0 < hi
    assert set(out["pulls"]) == {"nu_flux_8B", "nu_flux_atm_numu"}
    assert sorted(p.name for p in (tmp_path / "plots").iterdir()) == ["fit_spectrum.pdf", "fit_spectrum.png"]


def test_verbose_flag_turns_on_the_library_logs(tmp_path):
    args = ["discover", str(_counting(tmp_path)), "--toys", "3", "--json"]
    _register()
    quiet = CliRunner().invoke(cli, args)
    loud = CliRunner().invoke(cli, ["-v", *args])
    assert quiet.exit_code == loud.exit_code == 0
    assert "INFO cevns_stats" not in quiet.stderr
    assert loud.stderr.count("INFO cevns_stats") >= 1


def _corrupted(tmp_path, where: str, value) -> Path:
    spec = json.loads(_counting(tmp_path).read_text())
    if where == "observation":
        spec["observations"][0]["data"][1] = value
    else:  # the background sample, or the signal (a normfactor sample may be negative, the total may not)
        spec["channels"][0]["samples"][0 if where == "sample" else 1]["data"][0] = value
    path = tmp_path / f"bad_{where}.json"
    path.write_text(json.dumps(spec).replace("NaN", "NaN"))
    return path


@pytest.mark.parametrize("command", ["discover", "limit", "fit"])
@pytest.mark.parametrize(
    ("where", "value", "message"),
    [
        ("observation", float("nan"), "observed data of channel 'c' bin 1 is nan"),
        ("observation", -3.0, "observed data of channel 'c' bin 1 is -3"),
        ("observation", float("inf"), "is inf"),
        ("sample", float("nan"), "sample 'b' of channel 'c' has nan events in bin 0"),
        ("sample", -500.0, "sample 'b' of channel 'c' has -500 events in bin 0"),
        ("signal", -500.0, "add up to -400 events in bin 0"),
    ],
)
def test_bad_counts_are_named_before_any_fit(tmp_path, command, where, value, message):
    path = _corrupted(tmp_path, where, value)
    result = invoke([command, path])
    assert result.exit_code == 1
    assert message in result.output and str(path) in result.output
    assert "did not converge" not in result.output and result.output.count("\n") == 1


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["discover", "{ws}", "--toys", 0], 2, "--toys"),
        (["discover", "{ws}", "--toys", -5], 2, "--toys"),
        (["discover", "{ws}", "--toys", 10**10], 2, "--toys"),
        (["discover", "{ws}", "--toys", 5, "--seed", -1], 2, "--seed"),
        (["discover", "{ws}", "--seed", 1], 2, "need --toys"),
        (["discover", "{ws}", "--toy-aux", "fixed"], 2, "need --toys"),
        (["discover", "{ws}", "--mode", "twosided"], 2, "--mode"),
        (["discover", "{ws}", "--poi", "nsi_lin"], 1, "parameter 'nsi_lin' is not a parameter"),
        (["discover", "{ws}", "--poi", "nu_flux_8B"], 1, "constrained nuisance"),
        (["discover", "{ws}", "--measurement", "nope"], 1, "unknown measurement 'nope'"),
        (["discover", VECTOR / "BkgOnly.json"], 1, "--patchset FILE --patch-name NAME"),
        (["discover", VECTOR / "BkgOnly.json", "--patch", "eps_7"], 1, "unknown patch 'eps_7'"),
        (["discover", "{ws}", "--patch", "no_such_file.json"], 2, "no such patch file"),
        (["discover", "{ws}", "--patchset", VECTOR / "patchset.json"], 2, "--patchset needs --patch-name"),
        (["discover", VECTOR / "patchset.json"], 1, "is a pyhf patchset, not a workspace"),
        (["limit", "{ws}", "--cl", 1.2], 2, "--cl"),
        (["limit", "{ws}", "--eps-max", 1.0], 2, "--eps-max"),
        (["limit", "{ws}", "--engine", "root"], 2, "--engine"),
        (["limit", "{ws}", "--output-file", "/proc/nope/x.json"], 2, "--output-file"),
        (["fit", "{ws}", "--minos", "nope"], 1, "unknown parameter(s) ['nope'] for MINOS"),
    ],
)
def test_bad_input_exits_cleanly(args, code, message, small_scalar):
    result = invoke([small_scalar if a == "{ws}" else a for a in args])
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
