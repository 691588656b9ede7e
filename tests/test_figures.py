"""Every figure function renders on small inputs, and what a reader sees is physics, not code (issue 13).

Checks per figure: it draws (PNG bytes), every legend text is free of code names (no ``atm_numubar``,
``E_th``, ``lz-ws2022``: an underscore outside a ``$…$`` math span, or a catalogue channel name whose
label differs), every axis with data has a label with a unit or a symbol, and no contour legend entry
appears without a contour. The reach and leptoquark inputs are small synthetic dicts in the shape the
paper's results have (their numbers are not physics; the physics is tested elsewhere).
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import numpy as np
import pyhf
import pytest
from click.testing import CliRunner
from conftest import committed_scalar_spec
from matplotlib.colors import to_hex

from cevns_stats.detector.presets import make_detector
from cevns_stats.physics.fluxes.catalogue import CHANNEL_NAMES, get_channels
from cevns_stats.physics.fluxes.labels import channel_label
from cevns_stats.physics.interactions import make_model
from cevns_stats.plots.data import efficiency_data, recoil_spectrum_data
from cevns_stats.plots.fit import fit_spectra, plot_fit_spectra
from cevns_stats.plots.lq import BoundCurve, plot_lq_limits
from cevns_stats.plots.paper import lq_figure, reach_figure
from cevns_stats.plots.reach import plot_reach
from cevns_stats.plots.spectra import plot_efficiency, plot_fluxes, plot_recoil_spectra

CODE_NAMES = {n for n in CHANNEL_NAMES if channel_label(n) != n and not n.isalpha()} | {
    "lz-ws2022",
    "darwin",
    "argo",
    "lead-future",
}
ROOT = Path(__file__).resolve().parents[1]
MASSES = np.geomspace(100.0, 1.0e5, 7)
EXPOSURES = [0.1, 1.0, 10.0, 100.0]


def _z_grid(scale: float) -> list[list[float]]:
    """Z growing with exposure and |ε| (crosses 3 and 5 when scale is large enough)."""
    e, eps = np.meshgrid(np.log10(EXPOSURES) + 2, np.arange(4) + 1.0, indexing="ij")
    return (scale * e * eps / 4.0).tolist()


def _curve(label: str, scale: float, **settings) -> dict:
    base = {"threshold_keV": 2.0, "efficiency": "tanh", "atmospheric_uncertainty": 0.5, "nsi_families": None}
    return {
        "label": label,
        "settings": {**base, **settings},
        "b8_events_per_tonne_year": 40.0,
        "eps_3sigma": [scale * 0.1 / (1 + i) for i in range(len(EXPOSURES))],
    }


def _panel(z_scale: float, scalar_universal: bool = False) -> dict:
    curves = [_curve("E_th = 2 keV", 1.0)]
    if scalar_universal:
        curves = [_curve(f"E_th = {t} keV", t / 2, threshold_keV=float(t)) for t in (1, 2, 5)]
        curves += [
            _curve("LZ WS2022 efficiency", 2.0, efficiency="lz-ws2022"),
            _curve("atm. uncertainty 20%", 0.9, atmospheric_uncertainty=0.2),
            _curve("atmospheric ν only carry NSI", 30.0, nsi_families=["atmospheric"]),
        ]
    return {
        "exposures_tonne_year": EXPOSURES,
        "asimov_curves": curves,
        "toys": {
            "exposures_tonne_year": EXPOSURES,
            "eps": [0.01, 0.03, 0.1, 0.3],
            "z_mean": _z_grid(z_scale),
            "n_toys": 20,
        },
    }


def _bound(experiment: str, exposure: float, label: str, scale: float, linestyle: str = "-") -> dict:
    return {
        "experiment": experiment,
        "exposure_tonne_year": exposure,
        "label": label,
        "linestyle": linestyle,
        "masses_GeV": MASSES.tolist(),
        "lambda_bound": (scale * MASSES / 1000.0).tolist(),
    }


LQ_BOUNDS = [
    _bound("lz-ws2022", 0.903, "LZ WS2022 (recast, our $^8$B rate)", 7.0),
    _bound("lz-ws2022", 0.903, "LZ WS2022, $^8$B rescaled to LZ's 0.14 events", 8.0, "--"),
    *[
        _bound("darwin", e, f"darwin {e:g} t yr (expected)", 1.9 - 0.05 * i)
        for i, e in enumerate((10, 100, 1000))
    ],
]


def _figures():
    channels = get_channels()
    energy = np.geomspace(0.1, 200.0, 60)
    detector = make_detector("xenon")
    model = make_model("vector-minimal", eps=-0.1)
    reach_json = {
        "exposures": EXPOSURES,
        "eps": [-0.01, -0.03, -0.1, -0.3],
        "z_mean": _z_grid(2.0),
        "settings": {
            "preset": "xenon",
            "model": {"model": "vector-universal", "quark": "d"},
            "threshold_keV": 1.0,
            "eps_sign": -1,
        },
    }
    panels = {
        "scalar-universal": _panel(2.0, scalar_universal=True),
        "scalar-minimal": _panel(2.0),
        "vector-universal": _panel(0.5),  # never reaches 3σ: no contour, so no contour legend entry
        "vector-minimal": _panel(2.0),
    }
    spec = committed_scalar_spec()
    inits = pyhf.Workspace(spec).model().config.suggested_init()
    return {
        "fit": plot_fit_spectra(fit_spectra(spec, inits)),
        "fluxes": plot_fluxes(get_channels("all")),
        "efficiency": plot_efficiency(**efficiency_data([1.0, 3.0, 5.0])),
        "spectrum": plot_recoil_spectra(**recoil_spectrum_data(detector, channels, model, energy_keV=energy)),
        "spectrum-sm": plot_recoil_spectra(
            **recoil_spectrum_data(detector, channels, None, energy_keV=energy)
        ),
        "spectrum-window": plot_recoil_spectra(
            **recoil_spectrum_data(detector, channels, None, energy_keV=energy),
            window_keV=(0.5, 100.0),
            resolution=0.1,
        ),
        "reach-cli": plot_reach(reach_json).figure,
        "reach-paper": reach_figure("xenon", panels, figure_label="Fig5"),
        "lq-paper": lq_figure(LQ_BOUNDS, flavour="mu", title="LZ WS2022 and DARWIN-like xenon"),
        "lq-single": plot_lq_limits(
            [BoundCurve(MASSES, 7.0 * MASSES / 1000, "LZ WS2022, observed")], flavour="tau"
        ),
    }


@pytest.fixture(scope="module")
def figures():
    return _figures()


def _legend_texts(fig) -> list[str]:
    legends = [ax.get_legend() for ax in fig.axes] + list(fig.legends)
    return [t.get_text() for legend in legends if legend is not None for t in legend.get_texts()]


def _outside_math(text: str) -> str:
    return re.sub(r"\$[^$]*\$", "", text)


NAMES = [
    "fit",
    "fluxes",
    "efficiency",
    "spectrum",
    "spectrum-sm",
    "spectrum-window",
    "reach-cli",
    "reach-paper",
    "lq-paper",
    "lq-single",
]


@pytest.mark.parametrize("name", NAMES)
def test_figure_renders(figures, name):
    buffer = io.BytesIO()
    figures[name].savefig(buffer, format="png", dpi=50)
    assert buffer.getvalue()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("name", NAMES)
def test_legends_use_physics_labels_not_code_names(figures, name):
    texts = _legend_texts(figures[name])
    assert texts, f"{name} has no legend"
    for text in texts:
        plain = _outside_math(text)
        assert "_" not in plain, f"{name}: code-style name in legend text {text!r}"
        words = set(re.split(r"[\s,()]+", plain))
        assert not (words & CODE_NAMES), f"{name}: code name in legend text {text!r}"


@pytest.mark.parametrize("name", NAMES)
def test_every_axis_with_data_is_labelled(figures, name):
    for ax in figures[name].axes:
        if not ax.axison or not (ax.lines or ax.collections) or ax.get_label() == "<colorbar>":
            continue
        assert ax.get_xlabel() and ax.get_ylabel(), f"{name}: unlabelled axis {ax.get_title()!r}"


def test_labels_carry_units(figures):
    fluxes = figures["fluxes"].axes[0]
    assert "[MeV]" in fluxes.get_xlabel() and "cm$^{-2}$" in fluxes.get_ylabel()
    spectrum = figures["spectrum"].axes[0]
    assert "[keV]" in spectrum.get_xlabel() and "keV$^{-1}$" in spectrum.get_ylabel()
    assert "[t·yr]" in figures["reach-cli"].axes[0].get_xlabel()
    assert "[GeV]" in figures["lq-paper"].axes[0].get_xlabel()


def test_flux_legend_has_the_papers_labels(figures):
    texts = _legend_texts(figures["fluxes"])
    for label in ("⁸B", "⁷Be 862 keV (line)", r"$\bar{\nu}_\mu$ atm.", r"DSNB $\nu_x$"):
        assert label in texts


def test_no_contour_legend_entry_without_a_contour(figures):
    texts = _legend_texts(figures["reach-paper"])
    assert "3σ, mean of 20 toys" in texts and "5σ, mean of 20 toys" in texts  # other panels cross both
    none = reach_figure("xenon", {"vector-universal": _panel(0.5)}, figure_label="Fig5")
    assert not [t for t in _legend_texts(none) if "mean of" in t]


def test_atmospheric_only_curve_has_its_own_panel(figures):
    titles = [ax.get_title() for ax in figures["reach-paper"].axes]
    own = [i for i, t in enumerate(titles) if "only atmospheric" in t]
    assert len(own) == 1
    scalar = figures["reach-paper"].axes[titles.index("scalar, flavour-universal")]
    assert scalar.get_ylim()[1] <= 0.3 + 1e-12  # the toy grid's top, not the atmospheric-only curve's 3.0


def test_lq_regions_are_in_the_legend(figures):
    texts = " | ".join(_legend_texts(figures["lq-paper"]))
    assert "perturbativity" in texts and "excluded at 90 % CL" in texts and "excluded by CMS" in texts


def _window_entries(fig) -> list[str]:
    return [t for t in _legend_texts(fig) if "window" in t]


def test_window_on_the_true_energy_axis_says_it_is_in_reconstructed_energy(figures):
    """The analysis window is cut in reconstructed energy; the abscissa is the true recoil energy, so the
    shaded band's legend entry names the reconstructed energy and the smearing across its edges."""
    fig = figures["spectrum-window"]
    (text,) = _window_entries(fig)
    assert "0.5–100 keV" in text and "reconstructed energy" in text and "σ = 0.1·E" in text
    ax = fig.axes[0]
    assert "true energy" in ax.get_title()
    assert [p.get_x() for p in ax.patches if p.get_label() == text] == [0.5]
    assert not _window_entries(figures["spectrum-sm"])  # no window given, none drawn


def test_rates_cli_plot_labels_its_window_as_reconstructed_energy(monkeypatch, tmp_path):
    from cevns_stats.cli import _register, cli, rates

    drawn = []
    monkeypatch.setattr(rates, "write_figure", lambda path, fig: drawn.append(fig))
    _register()
    args = ["rates", "--channels", "8B,atm_numu", "--window", "1:50", "--plot", str(tmp_path / "r.png")]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    (text,) = _window_entries(drawn[0])
    assert "1–50 keV" in text and "reconstructed energy" in text and "smearing" in text
    assert "window" not in drawn[0].axes[0].get_title()


def _xenonnt_spec(patch: str | None) -> dict:
    folder = "real-data_xenonnt_vector-universal_d"
    if patch:
        return committed_scalar_spec(folder, patch)
    return json.loads((ROOT / "workspaces" / folder / "BkgOnly.json").read_text())


@pytest.mark.parametrize("patch", [None, "eps_m0p1"])
def test_fit_samples_in_one_axes_are_distinguishable(patch):
    """Committed XENONnT workspace: before, hep (SM) and xenonnt_ac (BkgOnly), and ⁸B (SM) and
    xenonnt_neutron (with a patch's NSI samples), had the same fill. Every stacked sample of an axes now
    differs in colour or hatch (NSI parts: their channel's colour, hatched); channel colours stay fixed."""
    spec = _xenonnt_spec(patch)
    inits = pyhf.Workspace(spec).model(poi_name=None).config.suggested_init()
    fig = plot_fit_spectra(fit_spectra(spec, inits))
    for ax in fig.axes:
        fills = {
            p.get_label(): (to_hex(p.get_facecolor(), keep_alpha=False), p.get_hatch()) for p in ax.patches
        }
        assert len(fills) == len(ax.patches) >= 5
        assert len(set(fills.values())) == len(fills), f"{ax.get_title()}: samples share a fill: {fills}"
        assert fills["⁸B (SM)"] == (to_hex("tab:red"), None)
        assert fills["hep (SM)"] == (to_hex("tab:orange"), None)


@pytest.mark.parametrize("name", ["reach-paper", "spectrum"])  # constrained layout; none
def test_figure_laid_out_once_for_all_formats_equals_separate_saves(name, tmp_path):
    """save_figure_formats (one layout, one tight box for PDF and PNG) writes the same PNG pixels as
    save_figure alone, a PDF page of the same size within 2 pt, and leaves the figure's layout engine."""
    import matplotlib.image

    from cevns_stats.plots.common import save_figure, save_figure_formats

    fig = _figures()[name]  # a fresh figure: no layout computed yet
    engine = fig.get_layout_engine()
    save_figure(fig, tmp_path / "alone.png")
    save_figure(fig, tmp_path / "alone.pdf")
    save_figure_formats(fig, [tmp_path / "once.pdf", tmp_path / "once.png"])
    assert fig.get_layout_engine() is engine
    alone, once = (matplotlib.image.imread(tmp_path / f"{stem}.png") for stem in ("alone", "once"))
    assert alone.shape == once.shape
    assert np.abs(alone - once).max() < 0.05
    boxes = [
        [
            float(v)
            for v in re.search(rb"MediaBox \[([^\]]*)\]", (tmp_path / f"{s}.pdf").read_bytes())[1].split()
        ]
        for s in ("alone", "once")
    ]
    np.testing.assert_allclose(boxes[0], boxes[1], atol=2.0)
