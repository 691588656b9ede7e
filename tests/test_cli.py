"""End-to-end CLI: the installed-style entry point, JSON contract, plots, and bad input (no traceback)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from cevns_stats.cli import main

ROOT = Path(__file__).resolve().parents[1]


def run_cli(args, tmp_path=None):
    """Run ``python -m cevns_stats`` in a subprocess (like the console script): (code, stdout, stderr)."""
    proc = subprocess.run(
        [sys.executable, "-m", "cevns_stats", *args],
        capture_output=True,
        text=True,
        cwd=tmp_path or ROOT,
        env={
            "PYTHONPATH": str(ROOT),
            "PATH": "/usr/bin:/bin",
            "MPLBACKEND": "Agg",
            "HOME": str(tmp_path or ROOT),
        },
        check=False,
    )
    return proc.returncode, proc.stdout, proc.stderr


def test_rates_json_contract_b8_xenon():
    code, out, err = run_cli(
        [
            "rates",
            "--target",
            "xenon",
            "--threshold",
            "1",
            "--efficiency",
            "step",
            "--resolution",
            "0",
            "--exposure",
            "1",
            "--json",
        ]
    )
    assert code == 0, err
    result = json.loads(out)
    assert {"target", "exposure_tonne_year", "threshold_keV", "channels", "total_events"} <= set(result)
    b8 = result["channels"]["8B"]
    assert {"events", "flux_cm2_s", "uncertainty"} <= set(b8)
    assert b8["flux_cm2_s"] == 5.46e6 and b8["uncertainty"] == 0.12
    # ⁸B CEvNS above 1 keVnr in natural Xe: O(100) events per t·yr (e.g. ~90–150 in the neutrino-fog
    # literature, Ruppin et al. 2014 Fig. 1 / O'Hare 2021)
    assert 60 < b8["events"] < 200
    assert result["total_events"] == pytest.approx(sum(c["events"] for c in result["channels"].values()))


def test_rates_nsi_fields():
    code, out, err = run_cli(
        [
            "rates",
            "--target",
            "xenon",
            "--exposure",
            "1",
            "--model",
            "lq-s1",
            "--lq-mass",
            "1000",
            "--lq-coupling",
            "1",
            "--flavour",
            "mu",
            "--json",
        ]
    )
    assert code == 0, err
    result = json.loads(out)
    assert result["total_nsi_events"] > 0  # constructive: an excess
    assert all("nsi_events" in row for row in result["channels"].values())
    assert result["total_nsi_events"] == pytest.approx(
        sum(r["nsi_events"] for r in result["channels"].values())
    )


def test_rates_table_and_plot(tmp_path):
    plot = tmp_path / "spectrum.png"
    code, out, err = run_cli(["rates", "--target", "argon", "--exposure", "2", "--plot", str(plot)])
    assert code == 0, err
    assert "8B" in out and "total" in out
    assert plot.stat().st_size > 10_000


@pytest.mark.parametrize(
    "args",
    [
        ["rates", "--exposure", "0"],
        ["rates", "--exposure", "-1"],
        ["rates", "--exposure", "nan"],
        ["rates", "--target", "unobtainium"],
        ["rates", "--channels", "8B,bogus"],
        ["rates", "--threshold", "1e9", "--efficiency", "step"],
        ["rates", "--efficiency", "wobbly"],
        ["rates", "--threshold", "nan"],
        ["rates", "--model", "lq-s1", "--lq-mass", "0"],
        ["rates", "--model", "vector-universal", "--eps", "inf"],
    ],
)
def test_bad_input_one_line_no_traceback(args, tmp_path):
    plot = tmp_path / "out.png"
    code, _out, err = run_cli([*args, "--plot", str(plot)], tmp_path)
    assert code != 0
    assert "Traceback" not in err
    assert err.strip() and len([ln for ln in err.strip().splitlines() if ln.startswith("Error")]) == 1
    assert not plot.exists()
    assert list(tmp_path.iterdir()) == []


def test_malformed_tables_rejected(tmp_path):
    bad = tmp_path / "eff.txt"
    bad.write_text("# E, eff\n1, 0.1\n3, 0.5\n2, 0.9\n")  # non-monotonic
    code, _, err = run_cli(["rates", "--efficiency", str(bad)], tmp_path)
    assert code == 1 and "Traceback" not in err and "increasing" in err
    flux = tmp_path / "flux.csv"
    flux.write_text("E,flux\n1,2\n2,nan\n")
    code, _, err = run_cli(["rates", "--flux-table", f"8B={flux}"], tmp_path)
    assert code == 1 and "Traceback" not in err


def test_version_in_process(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert "cevns-stats" in capsys.readouterr().out


def test_plot_commands(tmp_path):
    for command in (
        ["plot-fluxes"],
        ["plot-efficiency"],
        ["plot-spectrum", "--model", "scalar-universal", "--eps", "0.01"],
    ):
        out = tmp_path / f"{command[0]}.pdf"
        code, _, err = run_cli([*command, "--output", str(out)], tmp_path)
        assert code == 0, err
        assert out.read_bytes()[:4] == b"%PDF"


def test_allowed_values_outside_the_studied_regime_warn_once():
    """|ε| > 1 and λ > √(4π) are allowed but stated: one Warning: line on stderr, the result still on stdout."""
    from click.testing import CliRunner

    from cevns_stats.cli import _register, cli

    _register()
    runner = CliRunner()
    result = runner.invoke(cli, ["rates", "--model", "vector-universal", "--eps", "3", "--json"])
    assert result.exit_code == 0 and json.loads(result.stdout)["total_nsi_events"] > 0
    assert [line for line in result.stderr.splitlines() if line.startswith("Warning:")] == [
        line for line in result.stderr.splitlines() if "--eps = 3" in line
    ]
    result = runner.invoke(cli, ["rates", "--model", "lq-s1", "--lq-coupling", "4", "--json"])
    assert result.exit_code == 0 and "perturbativity" in result.stderr
    result = runner.invoke(cli, ["rates", "--model", "vector-universal", "--eps", "0.5", "--json"])
    assert result.exit_code == 0 and "Warning" not in result.stderr
