"""The analysis window keeps every channel's recoils (PHYSICS.md §9, issue 11), and inputs mean what they say.

Reference counts come from a quadrature written in the test (tests/reference_physics.py) over the
published FLUKA tables in ../shared/data, never from the package's own earlier output.
"""

from __future__ import annotations

import json
import logging

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import load_reference_table
from reference_physics import counts_by_quadrature

from cevns_stats.detector.presets import make_detector
from cevns_stats.detector.response import (
    binned_rates,
    channel_coverage_keV,
    default_edges,
    form_factor_cap_keV,
)
from cevns_stats.likelihood.templates import build_templates
from cevns_stats.physics.fluxes.catalogue import get_channels
from cevns_stats.physics.interactions import make_model

ATMOSPHERIC = ("atm_nue", "atm_nuebar", "atm_numu", "atm_numubar")
FLUKA_FILES = ("AtmNu_e.txt", "AtmNu_ebar.txt", "AtmNu_mu.txt", "AtmNu_mubar.txt")


@pytest.fixture(scope="module")
def cli():
    from cevns_stats.cli import _register, cli

    _register()
    return cli


def _step_detector(target: str, threshold: float = 1.0):
    return make_detector(
        target, efficiency="step", threshold_keV=threshold, resolution=0.0, exposure_tonne_year=1.0
    )


@pytest.mark.parametrize("target", ["xenon", "argon", "lead"])
def test_atmospheric_counts_match_a_quadrature_of_the_fluka_tables(shared_data, target):
    """Default window, step efficiency at 1 keV, r = 0, 1 t·yr: the four atmospheric channels sum to
    within 8 % of Σ_species ∫∫ Φ_FLUKA dσ over ALL recoil energies above 1 keV (issue 11 acceptance).

    Achieved: 0.10–0.15 % below the quadrature (Xe, Ar, Pb: the package's own fits of the FLUKA shapes
    and the < 0.1 % per channel left above the window), so the tolerance is 1 %, not the issue's 8 %.
    """
    detector = _step_detector(target)
    isotopes = [(i.A, i.Z, i.mass_fraction) for i in detector.target.isotopes]
    expected = 0.0
    for name in FLUKA_FILES:
        table = load_reference_table(shared_data / "atmospheric" / name)
        expected += counts_by_quadrature(table[:, 0], table[:, 1], isotopes, 1.0)
    channels = get_channels(["8B", "hep", *ATMOSPHERIC])
    counts = binned_rates(detector, channels).components[0].sum(axis=1)
    ours = counts[2:].sum()
    assert ours == pytest.approx(expected, rel=0.01)


@pytest.mark.parametrize("target", ["xenon", "argon", "lead"])
def test_b8_and_hep_keep_all_their_events_in_the_wider_window(target):
    """⁸B and hep in the default window equal their counts over their whole recoil range within 0.5 %."""
    detector = _step_detector(target)
    channels = get_channels(["8B", "hep", *ATMOSPHERIC])
    default = binned_rates(detector, channels).components[0].sum(axis=1)[:2]
    full = binned_rates(detector, channels[:2], edges_keV=np.array([1.0, 50.0])).components[0].sum(axis=1)
    np.testing.assert_allclose(default, full, rtol=5e-3)


@pytest.mark.parametrize(
    ("target", "low", "high"), [("xenon", 100.0, 450.0), ("argon", 500.0, 2500.0), ("lead", 100.0, 300.0)]
)
def test_window_reaches_the_atmospheric_tail_per_channel(target, low, high):
    """PHYSICS.md §9: ≈ 100 keV or more for Xe and Pb, ≈ 500 keV or more for Ar, never past the cap."""
    detector = make_detector(target)
    edges = default_edges(detector, get_channels())
    assert low < edges[-1] < high
    assert edges[-1] <= form_factor_cap_keV(detector) * 1.05  # rounded up to two digits at most
    coverage = channel_coverage_keV(detector, get_channels())
    assert edges[-1] >= max(coverage.values())


def test_a_channel_count_does_not_depend_on_the_other_channels(cli):
    """`rates --channels atm_numu` and `--channels 8B,atm_numu` give the same atm_numu count (1e-6)."""

    def count(channels):
        args = ["rates", "--target", "xenon", "--threshold", "1", "--channels", channels, "--json"]
        result = CliRunner().invoke(cli, args, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return json.loads(result.output)["channels"]["atm_numu"]["events"]

    assert count("8B,atm_numu") == pytest.approx(count("atm_numu"), rel=1e-6)


def test_raising_the_threshold_never_raises_the_atmospheric_count():
    """Issue 11: with the ⁸B-dominated window a higher threshold *raised* the atmospheric count."""
    channels = get_channels()
    previous = np.inf
    for threshold in (1.0, 2.0, 3.0, 5.0):
        names = [c.name for c in channels]
        counts = (
            binned_rates(make_detector("xenon", threshold_keV=threshold), channels).components[0].sum(axis=1)
        )
        atm = sum(counts[names.index(n)] for n in ATMOSPHERIC)
        assert atm < previous
        previous = atm


@pytest.mark.parametrize("target", ["xenon", "argon", "lead"])
def test_scalar_nsi_signal_above_the_window_top_is_below_a_permille(target):
    """Templates: per channel, the scalar-NSI signal above the window top (to 20× the top, past every
    endpoint or deep into the form factor's fourth lobe) is < 0.1 % of that channel's signal in the
    window. Achieved: ≤ 0.07 % (atmospheric channels in lead)."""
    detector = make_detector(target)
    channels = get_channels()
    model = make_model("scalar-universal", eps=1.0)
    templates = build_templates(detector, channels, model)
    top = templates.edges_keV[-1]
    beyond_edges = np.array([top, 20.0 * top])
    beyond = binned_rates(detector, channels, model, edges_keV=beyond_edges).components[2][:, 0]
    inside = templates.values["QUAD"].sum(axis=1)
    has_signal = inside > 0
    assert np.all(beyond[has_signal] / inside[has_signal] < 1e-3)
    assert templates.metadata["window_keV"] == [templates.edges_keV[0], top]


def test_window_and_bins_options(cli):
    """--window LO:HI with --bins N gives N log bins; explicit edges are used as given; both are stated."""
    args = ["rates", "--target", "argon", "--channels", "8B,atm_numu", "--json"]
    result = CliRunner().invoke(cli, [*args, "--window", "2:300", "--bins", "12"], catch_exceptions=False)
    out = json.loads(result.output)
    assert out["window_keV"] == pytest.approx([2.0, 300.0])
    assert out["n_bins"] == 12
    assert np.allclose(np.diff(np.log(out["edges_keV"])), np.log(150.0) / 12)
    result = CliRunner().invoke(cli, [*args, "--bins", "1,5,20,600"], catch_exceptions=False)
    assert json.loads(result.output)["edges_keV"] == [1.0, 5.0, 20.0, 600.0]
    text = CliRunner().invoke(cli, args[:-1], catch_exceptions=False).output
    assert "window 0.5–" in text and "log bins" in text


@pytest.mark.parametrize(
    ("option", "value"), [("--window", "5:2"), ("--window", "abc"), ("--bins", "0"), ("--bins", "3,2,5")]
)
def test_bad_window_or_bins_is_one_error_line(cli, option, value):
    result = CliRunner().invoke(cli, ["rates", "--channels", "8B", option, value], catch_exceptions=False)
    assert result.exit_code != 0
    assert len([ln for ln in result.output.splitlines() if ln.startswith("Error")]) == 1


# --- flux tables ---------------------------------------------------------------------------------------


def _write_table(path, scale: float):
    energy = np.linspace(20.0, 400.0, 200)
    flux = scale * 0.01 * np.exp(-energy / 100.0)  # cm⁻² s⁻¹ MeV⁻¹, a made-up spectrum
    path.write_text("E [MeV], flux\n" + "\n".join(f"{e:.6g}, {f:.10g}" for e, f in zip(energy, flux)))
    return float(np.trapezoid(flux, energy))


def test_flux_table_normalisation_is_the_tables_own(tmp_path):
    """A table scaled by 2 gives twice the events; its integral is the channel's flux; ':shape' keeps
    the catalogue total (then scaling the table changes nothing)."""
    one, two = tmp_path / "one.txt", tmp_path / "two.txt"
    integral = _write_table(one, 1.0)
    _write_table(two, 2.0)
    detector = make_detector("argon")
    counts = {}
    for key, spec in {
        "one": str(one),
        "two": str(two),
        "one_shape": f"{one}:shape",
        "two_shape": f"{two}:shape",
    }.items():
        channel = get_channels(["atm_numu"], tables={"atm_numu": spec})
        counts[key] = binned_rates(detector, channel, edges_keV=np.array([1.0, 1000.0])).components[0].sum()
        if key == "one":
            assert channel[0].total_flux_cm2_s == pytest.approx(integral, rel=1e-7)  # 10-digit text
            assert "its own total" in channel[0].description
    assert counts["two"] == pytest.approx(2.0 * counts["one"], rel=1e-9)
    assert counts["two_shape"] == pytest.approx(counts["one_shape"], rel=1e-9)
    catalogue_total = get_channels(["atm_numu"])[0].total_flux_cm2_s
    assert counts["one_shape"] == pytest.approx(counts["one"] * catalogue_total / integral, rel=1e-7)


def test_rates_cli_reports_the_table_flux(cli, tmp_path):
    table = tmp_path / "atm.txt"
    integral = _write_table(table, 2.0)
    args = [
        "rates",
        "--target",
        "argon",
        "--channels",
        "atm_numu",
        "--flux-table",
        f"atm_numu={table}",
        "--json",
    ]
    row = json.loads(CliRunner().invoke(cli, args, catch_exceptions=False).output)["channels"]["atm_numu"]
    assert row["flux_cm2_s"] == pytest.approx(integral, rel=1e-7)  # the table is written with 10 digits
    assert "its own total" in row["flux_source"]


# --- efficiencies: tables and the lz-ws2022 preset ------------------------------------------------------


def test_efficiency_table_zero_above_its_range_warns_and_can_hold(tmp_path, caplog):
    """A table ending at 20 keV loses argon's atmospheric recoils: > 1 % of the signal → a warning, and
    ``hold`` restores them; the output states which behaviour was used."""
    table = tmp_path / "eff.txt"
    table.write_text("0 0\n1 0\n3 0.8\n20 0.8\n")
    channels = get_channels(["atm_numu"])
    zero = make_detector("argon", efficiency=str(table))
    held = make_detector("argon", efficiency=str(table), hold_efficiency=True)
    edges = np.array([1.0, 20.0, 1500.0])
    with caplog.at_level(logging.WARNING, logger="cevns_stats.detector.response"):
        counts_zero = binned_rates(zero, channels, edges_keV=edges).components[0][0]
    assert any("above the efficiency table" in r.getMessage() for r in caplog.records)
    counts_held = binned_rates(held, channels, edges_keV=edges).components[0][0]
    assert counts_zero[1] < 0.1 * counts_held[1]  # only the smearing tail from below 20 keV remains
    assert zero.describe()["efficiency_beyond_table"] == "zero"
    assert held.describe()["efficiency_beyond_table"] == "hold"


def test_lz_preset_applies_a_threshold_as_a_hard_threshold_or_states_none(cli):
    """lz-ws2022 has no E_th: a given --threshold becomes a hard threshold (window floor), else none is echoed."""

    def run(*extra):
        args = ["rates", "--preset", "lz-ws2022", "--channels", "8B", "--json", *extra]
        return json.loads(CliRunner().invoke(cli, args, catch_exceptions=False).output)

    plain, hard = run(), run("--threshold", "3")
    assert plain["threshold_keV"] is None
    assert hard["detector"]["analysis_threshold_keV"] == 3.0
    assert hard["window_keV"][0] == 3.0
    assert hard["channels"]["8B"]["events"] < 0.5 * plain["channels"]["8B"]["events"]
