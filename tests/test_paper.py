"""``cevns-stats paper``: a small real run (one target, tiny grids) end to end, and the claims logic.

The full ``--quick`` run (all targets, ≈ 2–3 minutes on 2 cores) is the slow test; CI runs the fast one.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from cevns_stats.errors import InvalidInput
from cevns_stats.paper import PaperConfig, compute_results, write_outputs
from cevns_stats.paper.claims import eps_at_exposure, minimal_over_universal, threshold_gain
from cevns_stats.paper.reach_study import variants_for

TINY = PaperConfig("tiny", np.array([1.0, 100.0]), np.array([1.0, 100.0]), 3, 20)


@pytest.fixture(scope="module")
def argon_results():
    return compute_results(TINY, targets=("argon",), progress=False)


def test_tiny_run_writes_every_figure_json_and_summary(argon_results, tmp_path):
    written = {p.name for p in write_outputs(argon_results, tmp_path / "out")}
    for stem in (
        "fig1_efficiency",
        "fig2_fluxes",
        "fig3_spectrum_xenon",
        "fig7_reach_argon",
        "fig6_lq_lz_mu",
        "fig6_lq_lz_tau",
        "fig9_lq_future_mu",
        "fig9_lq_future_tau",
    ):
        assert {f"{stem}.png", f"{stem}.pdf"} <= written
    assert (tmp_path / "out" / "fig7_reach_argon.png").stat().st_size > 10_000
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    assert results["settings"]["config"]["n_toys"] == 20
    assert "| argon |" in (tmp_path / "out" / "summary.md").read_text()
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.startswith(".")]  # no temporary left


def test_reach_falls_with_exposure_and_toys_track_asimov(argon_results):
    for panel in argon_results["reach"]["argon"].values():
        curve = panel["asimov_curves"][0]
        assert curve["eps_3sigma"][1] < curve["eps_3sigma"][0]  # 100 t·yr reaches smaller |ε| than 1 t·yr
        assert panel["toys"]["n_failed_fits"] == 0
        toy_3sigma = np.asarray(panel["toys"]["contours"]["3"], dtype=float)
        finite = np.isfinite(toy_3sigma)
        # mean-of-toys and Asimov 3σ reach agree within a factor 1.5 (20 toys, 3 ε points: coarse)
        np.testing.assert_allclose(toy_3sigma[finite], np.asarray(curve["eps_3sigma"])[finite], rtol=0.5)


def test_claim_numbers_are_ratios_of_the_stored_curves(argon_results):
    panels = argon_results["reach"]["argon"]
    gain = threshold_gain(
        {"scalar-universal": {**panels["scalar-universal"], "exposures_tonne_year": [1.0, 100.0]}}
    )
    su = panels["scalar-universal"]
    assert gain == pytest.approx(eps_at_exposure(su, "E_th = 5 keV") / eps_at_exposure(su, "E_th = 1 keV"))
    assert (
        1.0 < gain < 2.0
    )  # argon gains little from a lower threshold (paper §5.2; tests/test_paper_claims.py)
    assert minimal_over_universal(panels, "scalar") > 1.0
    assert argon_results["claims"]["minimal_weaker_than_universal"]["holds"] is True
    with pytest.raises(ValueError, match="not on the curve grid"):
        eps_at_exposure(su, "E_th = 1 keV", 10.0)


def test_scalar_universal_panel_has_the_papers_variants():
    labels = [v["label"] for v in variants_for("xenon", "scalar-universal")]
    assert [f"E_th = {t} keV" for t in (1, 2, 3, 4, 5)] == labels[:5]
    assert "LZ WS2022 efficiency" in labels and "atmospheric ν only carry NSI" in labels
    assert sum("atm. uncertainty" in label for label in labels) == 2
    assert "LZ WS2022 efficiency" not in [v["label"] for v in variants_for("argon", "scalar-universal")]


def test_unknown_target_is_rejected():
    with pytest.raises(InvalidInput, match="subset of"):
        compute_results(TINY, targets=("neon",), progress=False)


def test_cli_conflicting_dask_flags(tmp_path):
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "cevns_stats",
            "paper",
            "--quick",
            "--output",
            str(tmp_path / "p"),
            "--scheduler",
            "tcp://127.0.0.1:1",
            "--workers",
            "2",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 2 and "not both" in out.stderr and "Traceback" not in out.stderr
    assert not (tmp_path / "p").exists()


@pytest.mark.slow
def test_paper_quick_end_to_end(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "cevns_stats", "paper", "--quick", "--no-progress", "--output", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    results = json.loads((tmp_path / "results.json").read_text())
    assert set(results["reach"]) == {"xenon", "argon", "lead"}
    assert results["lq"]["lz-ws2022"]["mu"][0]["lambda_at_1TeV"] > 0
    assert len(list(tmp_path.glob("*.pdf"))) == 10


def test_summary_reads_like_a_person_wrote_it_and_survives_a_json_round_trip(argon_results):
    from cevns_stats.paper.summary import summary_markdown

    text = summary_markdown(argon_results)
    assert text == summary_markdown(
        json.loads(json.dumps(argon_results, sort_keys=True))
    )  # column order kept
    assert "True" not in text and "False" not in text and "| yes |" in text
    assert "e+" not in text and "t yr" not in text  # plain numbers, one unit spelling (t·yr)
    assert "darwin" not in text.split("## S₁")[1]  # experiment names, not code names


def test_interrupt_while_writing_leaves_no_folder(argon_results, tmp_path, monkeypatch):
    """SIGINT (KeyboardInterrupt) in the writing phase: no output folder, no parent, no temporary."""
    from pathlib import Path

    from cevns_stats.paper import runner

    calls = []

    def interrupted(fig, paths):
        for path in paths:
            calls.append(path)
            if len(calls) == 3:
                raise KeyboardInterrupt
            Path(path).write_bytes(b"figure")

    monkeypatch.setattr(runner, "save_figure_formats", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_outputs(argon_results, tmp_path / "new" / "out")
    assert list(tmp_path.iterdir()) == []


def test_run_paper_draws_each_figure_as_its_results_arrive(argon_results, monkeypatch, tmp_path):
    """run_paper draws in compute_results' callbacks (so drawing overlaps the workers' tasks) and ends with
    the files write_outputs writes for the same results; nothing is drawn before the first result."""
    from cevns_stats.paper import runner

    calls = []
    saved = []

    def save(fig, paths):
        for path in paths:
            saved.append(path.name)
            path.write_bytes(b"x")

    monkeypatch.setattr(runner, "save_figure_formats", save)

    def fake_compute(config, *, client, progress, on_target, on_lq):
        calls.append(len(saved))
        on_lq(argon_results["lq"])
        calls.append(len(saved))
        on_target("argon", argon_results["reach"]["argon"])
        calls.append(len(saved))
        return argon_results

    monkeypatch.setattr(runner, "compute_results", fake_compute)
    runner.run_paper(tmp_path / "run", TINY, progress=False)
    assert calls == [0, 2 * 7, 2 * 8]  # Figs 1–3 with the first result, then 6 and 9 (×2), then 7
    expected = {p.name for p in write_outputs(argon_results, tmp_path / "direct")}
    assert {p.name for p in (tmp_path / "run").iterdir()} == expected


def test_unwritable_output_is_refused_before_computing(monkeypatch):
    from cevns_stats.paper import runner

    def must_not_run(*args, **kwargs):
        raise AssertionError("computed before checking the destination")

    monkeypatch.setattr(runner, "compute_results", must_not_run)
    with pytest.raises(InvalidInput, match="/proc/x"):
        runner.run_paper("/proc/x", TINY, progress=False)
