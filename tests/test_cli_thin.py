"""The command line is thin: each command turns its options into one API call and prints the result.

As cabinetry's ``tests/cli/test_cli.py``: the API function is replaced by ``mock.patch(..., autospec=True)``
(so a call that does not fit its signature fails), the command runs in-process with click's ``CliRunner``,
and the test checks the arguments passed on. The computations themselves are tested elsewhere; end-to-end
runs of the console script are in ``tests/test_cli.py`` and ``tests/test_cli_infer.py``.
"""

from __future__ import annotations

import json
from unittest import mock

import pytest
from click.testing import CliRunner
from conftest import committed_scalar_spec

from cevns_stats.cli import _register, cli


@pytest.fixture(scope="module")
def runner() -> CliRunner:
    _register()
    return CliRunner()


def test_rates_passes_detector_and_model(runner):
    summary = {"total_events": 12.5}
    with mock.patch("cevns_stats.detector.summary.rate_summary", autospec=True, return_value=summary) as api:
        result = runner.invoke(
            cli,
            [
                "rates",
                "--target",
                "argon",
                "--threshold",
                "3",
                "--exposure",
                "2",
                "--channels",
                "8B,hep",
                "--model",
                "scalar-universal",
                "--eps",
                "0.1",
                "--json",
            ],
        )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == summary
    (detector, channels, model), kwargs = api.call_args
    assert kwargs == {}
    assert (detector.target.name, detector.threshold_keV, detector.exposure_tonne_year) == ("argon", 3.0, 2.0)
    assert [ch.name for ch in channels] == ["8B", "hep"]
    assert (model.name, model.epsilon) == ("scalar-universal", 0.1)


def test_rates_without_model_passes_none(runner):
    with mock.patch("cevns_stats.detector.summary.rate_summary", autospec=True, return_value={}) as api:
        result = runner.invoke(cli, ["rates", "--json"])
    assert result.exit_code == 0, result.output
    assert api.call_args.args[2] is None


def test_lq_limit_passes_its_options(runner):
    with mock.patch("cevns_stats.cli.lq.lq_limit", autospec=True) as api:
        api.return_value.to_json.return_value = {"epsilon_90": -0.03}
        result = runner.invoke(
            cli, ["lq-limit", "--experiment", "argo", "--flavour", "tau", "--exposure", "50", "--json"]
        )
    assert result.exit_code == 0, result.output
    assert api.call_args == mock.call("argo", "tau", exposure_tonne_year=50.0, normalisation="direct")
    assert json.loads(result.output) == {"epsilon_90": -0.03}


def test_bad_option_never_reaches_the_api(runner):
    with mock.patch("cevns_stats.cli.lq.lq_limit", autospec=True) as api:
        result = runner.invoke(cli, ["lq-limit", "--experiment", "argo", "--exposure", "-1"])
    assert result.exit_code == 2
    api.assert_not_called()


@pytest.fixture
def inference_api():
    """``analysis`` and the summaries of :mod:`cevns_stats.inference.workflow`, mocked with autospec."""
    with (
        mock.patch("cevns_stats.inference.workflow.analysis", autospec=True) as analysis,
        mock.patch("cevns_stats.inference.workflow.discovery_summary", autospec=True) as discover,
        mock.patch("cevns_stats.inference.workflow.limit_summary", autospec=True) as limit,
    ):
        analysis.return_value.kind = "linear"
        discover.return_value.to_json.return_value = {"z_observed": 0.0}
        limit.return_value.to_json.return_value = {"observed": 1.0}
        yield analysis, discover, limit


def test_discover_reads_stdin_and_passes_its_options(runner, inference_api):
    analysis, discover, _ = inference_api
    text = json.dumps(committed_scalar_spec())
    result = runner.invoke(
        cli,
        [
            "discover",
            "-",
            "--poi",
            "mu",
            "--toys",
            "5",
            "--seed",
            "3",
            "--mode",
            "paper",
            "--toy-aux",
            "fixed",
            "--json",
        ],
        input=text,
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"z_observed": 0.0}
    (spec,), kwargs = analysis.call_args
    assert spec == json.loads(text)
    assert (kwargs["poi"], kwargs["measurement"], kwargs["engine"]) == ("mu", None, "fast")
    (model,), kwargs = discover.call_args
    assert model is analysis.return_value
    assert {k: kwargs[k] for k in ("mode", "toys", "seed", "toy_aux")} == {
        "mode": "paper",
        "toys": 5,
        "seed": 3,
        "toy_aux": "fixed",
    }


def test_limit_passes_cl_and_engine(runner, inference_api, tmp_path):
    analysis, _, limit = inference_api
    out = tmp_path / "limit.json"
    workspace = tmp_path / "workspace.json"
    workspace.write_text(json.dumps(committed_scalar_spec()))
    result = runner.invoke(
        cli, ["limit", str(workspace), "--cl", "0.9", "--engine", "pyhf", "--output-file", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert analysis.call_args.kwargs["engine"] == "pyhf"
    assert limit.call_args == mock.call(analysis.return_value, cl=0.9, engine="pyhf", eps_max=None)
    assert json.loads(out.read_text()) == {"observed": 1.0}


def test_cli_choices_of_mode_and_toy_aux_are_the_library_ones():
    """The CLI keeps its own pyhf-free copy of these choices; it must offer exactly what the library accepts."""
    from cevns_stats.cli import options
    from cevns_stats.inference import discovery

    assert options.MODES == discovery.MODES
    assert options.TOY_AUX == discovery.TOY_AUX
