"""Templates: exact decomposition at the binned level, metadata, ROOT (uproot) and JSON round trips."""

import json

import numpy as np
import pytest

from cevns_stats.detector.presets import make_detector
from cevns_stats.detector.response import binned_rates
from cevns_stats.errors import TableError
from cevns_stats.likelihood.templates import TemplateSet, at_exposure, build_templates, read_templates
from cevns_stats.physics.fluxes.catalogue import get_channels
from cevns_stats.physics.interactions import make_model


@pytest.fixture(scope="module")
def lq_templates():
    detector = make_detector("xenon", exposure_tonne_year=2.0, n_bins=12)
    return build_templates(
        detector,
        get_channels(["8B", "hep", "atm_numu", "dsnb_nux", "7Be_862"]),
        make_model("lq-s1", flavour="mu"),
        preset="xenon",
    )


def test_templates_at_another_exposure_equal_templates_built_there(lq_templates):
    detector = make_detector("xenon", exposure_tonne_year=7.5, n_bins=12)
    channels = get_channels(["8B", "hep", "atm_numu", "dsnb_nux", "7Be_862"])
    direct = build_templates(detector, channels, make_model("lq-s1", flavour="mu"), preset="xenon")
    scaled = at_exposure(lq_templates, detector)
    for component, values in direct.values.items():
        np.testing.assert_allclose(scaled.values[component], values, rtol=1e-13, atol=0)
    np.testing.assert_array_equal(scaled.edges_keV, direct.edges_keV)
    assert json.dumps(scaled.metadata, sort_keys=True) == json.dumps(direct.metadata, sort_keys=True)
    assert lq_templates.metadata["exposure_tonne_year"] == 2.0  # the original is left alone


def test_binned_counts_match_direct_model_at_random_eps():
    """SM + ε·LIN + ε²·QUAD of the binned templates equals binned rates computed at that ε (1e-10)."""
    detector = make_detector("argon", n_bins=10)
    channels = get_channels(["8B", "atm_nue"])
    templates = build_templates(detector, channels, make_model("vector-universal", quark="u"))
    rng = np.random.default_rng(7)
    for eps in rng.uniform(-2, 2, 4):
        model = make_model("vector-universal", eps=eps, quark="u")
        direct = binned_rates(detector, channels, model, edges_keV=templates.edges_keV)
        sm, lin, quad = direct.components
        np.testing.assert_allclose(templates.counts(eps), sm + eps * lin + eps**2 * quad, rtol=1e-10)


def test_metadata(lq_templates):
    meta = lq_templates.metadata
    assert meta["target"] == "xenon" and meta["model"] == "lq-s1" and meta["exposure_tonne_year"] == 2.0
    assert len(meta["config_sha256"]) == 64 and meta["package_version"]
    hist = lq_templates.histograms()["LIN_8B"]
    assert hist.metadata["component"] == "LIN" and hist.metadata["nuisance"] == "nu_flux_8B"
    assert np.array_equal(hist.axes[0].edges, lq_templates.edges_keV)
    # the two ⁷Be lines share one nuisance
    assert lq_templates.nuisances[lq_templates.channels.index("7Be_862")] == "nu_flux_7Be"


def test_root_round_trip_bit_for_bit(lq_templates, tmp_path):
    path = tmp_path / "t.root"
    lq_templates.write_root(path)
    back = read_templates(path)
    assert back.channels == lq_templates.channels and back.metadata == lq_templates.metadata
    assert np.array_equal(back.edges_keV, lq_templates.edges_keV)
    for comp in ("SM", "LIN", "QUAD"):
        assert np.array_equal(back.values[comp], lq_templates.values[comp])  # bit for bit


def test_json_round_trip_exact(lq_templates, tmp_path):
    path = tmp_path / "t.json"
    lq_templates.write_json(path)
    back = read_templates(path)
    for comp in ("SM", "LIN", "QUAD"):
        assert np.array_equal(back.values[comp], lq_templates.values[comp])
    assert back.metadata == lq_templates.metadata and back.uncertainties == lq_templates.uncertainties


def test_not_a_template_file(tmp_path):
    bad = tmp_path / "x.json"
    bad.write_text(json.dumps({"format": "other"}))
    with pytest.raises(TableError, match="not a cevns-stats template"):
        read_templates(bad)
    with pytest.raises(TableError):
        TemplateSet.from_json({})


def test_scalar_templates_have_no_linear_part():
    detector = make_detector("lead", n_bins=8)
    ts = build_templates(detector, get_channels(["8B"]), make_model("scalar-universal"))
    assert np.all(ts.values["LIN"] == 0) and np.all(ts.values["QUAD"] > 0)
