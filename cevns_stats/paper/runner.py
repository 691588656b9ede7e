"""Compute the paper's results and write its figures, ``results.json`` and ``summary.md`` atomically."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from tqdm.auto import tqdm

from cevns_stats import __version__
from cevns_stats.detector.efficiency import TANH_PLATEAU_A, TANH_STEEPNESS_B_PER_KEV
from cevns_stats.detector.presets import make_detector
from cevns_stats.errors import InvalidInput
from cevns_stats.likelihood.files import atomic_directory, check_destination
from cevns_stats.paper.claims import evaluate_claims
from cevns_stats.paper.config import LQ_EXPERIMENTS, MODELS, TARGETS, PaperConfig, THRESHOLDS_keV
from cevns_stats.paper.lq_study import FLAVOURS, lq_results
from cevns_stats.paper.reach_study import reach_panels
from cevns_stats.paper.summary import summary_markdown
from cevns_stats.physics.fluxes.catalogue import get_channels
from cevns_stats.physics.interactions import make_model
from cevns_stats.plots.common import save_figure_formats
from cevns_stats.plots.data import efficiency_data, recoil_spectrum_data
from cevns_stats.plots.paper import lq_figure, reach_figure
from cevns_stats.plots.spectra import plot_efficiency, plot_fluxes, plot_recoil_spectra

__all__ = [
    "FIGURE3_SCALAR_EPS",
    "N_TASKS",
    "check_output_dir",
    "compute_results",
    "output_names",
    "run_paper",
    "write_outputs",
]

#: Tasks of a run on a Dask client: one per reach panel and one for the leptoquark bounds.
N_TASKS = len(TARGETS) * len(MODELS) + 1

#: ε of the scalar-universal spectrum drawn in Fig. 3 (an illustration, not a fitted value).
FIGURE3_SCALAR_EPS = 0.05


def _settings(config: PaperConfig) -> dict:
    return {
        "version": __version__,
        "config": config.describe(),
        "tanh_efficiency": {"a": TANH_PLATEAU_A, "b_per_keV": TANH_STEEPNESS_B_PER_KEV},
        "reference": "arXiv:2307.15736; physics definitions PHYSICS.md (cevns-stats)",
    }


def compute_results(
    config: PaperConfig,
    *,
    targets=tuple(TARGETS),
    client=None,
    progress: bool = True,
    on_target: Callable[[str, dict], object] | None = None,
    on_lq: Callable[[dict], object] | None = None,
) -> dict:
    """Every number of the paper run: reach per target, the claims, leptoquark bounds, settings.

    ``targets`` restricts the reach figures (default: xenon, argon, lead — Figs 5, 7, 8). ``on_target``
    (target, panels) and ``on_lq`` (leptoquark results) are called in this process as soon as those
    results exist (with a ``client``, while the other tasks still run): :func:`run_paper` draws the
    figures there.
    """
    unknown = sorted(set(targets) - set(TARGETS))
    if unknown or not targets:
        msg = f"reach targets must be a non-empty subset of {list(TARGETS)}, got {list(targets)}"
        raise InvalidInput(msg)
    steps = len(targets) * len(MODELS) + len(LQ_EXPERIMENTS)
    lq: dict | None = None

    def panel_done() -> None:
        bar.update()
        collect_lq()

    def collect_lq() -> None:  # with a client: as soon as its task is done
        nonlocal lq
        if lq is None and lq_task is not None and lq_task.done():
            lq = lq_task.result()
            bar.update(len(LQ_EXPERIMENTS))
            if on_lq is not None:
                on_lq(lq)

    with tqdm(total=steps, desc="cevns-stats paper", disable=not progress, unit="step") as bar:
        # with a client the leptoquark bounds are one more task, queued before the panels
        lq_task = None if client is None else client.submit(lq_results, pure=False)
        reach = reach_panels(targets, config, client=client, on_target=on_target, on_panel=panel_done)
        if lq_task is None:
            lq = lq_results(progress=bar)
            if on_lq is not None:
                on_lq(lq)
        else:
            lq_task.result()  # waits for it (it was queued first, so it is usually done)
            collect_lq()
    assert lq is not None
    return {"settings": _settings(config), "reach": reach, "claims": evaluate_claims(reach), "lq": lq}


def _reach_stem(target: str) -> str:
    return f"{TARGETS[target].lower()}_reach_{target}"


def output_names(targets=tuple(TARGETS)) -> list[str]:
    """The files a run over ``targets`` writes: every figure as PNG and PDF, results.json, summary.md."""
    stems = ["fig1_efficiency", "fig2_fluxes", "fig3_spectrum_xenon"]
    stems += [_reach_stem(t) for t in targets]
    stems += [f"fig{n}_lq_{kind}_{f}" for n, kind in ((6, "lz"), (9, "future")) for f in FLAVOURS]
    return [f"{s}.{ext}" for s in stems for ext in ("pdf", "png")] + ["results.json", "summary.md"]


def check_output_dir(output_dir, targets=tuple(TARGETS)) -> Path:
    """Raise ``InvalidInput`` unless ``output_dir`` can receive the run's files (checked before computing)."""
    return check_destination(
        output_dir, what=f"output folder {output_dir}", folder=True, files=output_names(targets)
    )


def _static_figures() -> dict:
    """{file stem: figure} of Figs 1, 2 and 3 (no fitted numbers)."""
    detector = make_detector("xenon")
    return {
        "fig1_efficiency": plot_efficiency(**efficiency_data(THRESHOLDS_keV)),
        "fig2_fluxes": plot_fluxes(get_channels("all")),
        "fig3_spectrum_xenon": plot_recoil_spectra(
            **recoil_spectrum_data(
                detector, get_channels(), make_model("scalar-universal", eps=FIGURE3_SCALAR_EPS)
            )
        ),
    }


def _reach_figures(target: str, panels: dict) -> dict:
    """{file stem: figure} of one target's reach figure (Fig. 5, 7 or 8)."""
    return {_reach_stem(target): reach_figure(target, panels, figure_label=TARGETS[target])}


def _lq_figures(lq: dict) -> dict:
    """{file stem: figure} of Figs 6 and 9 (ν_μ, ν_τ)."""
    figures = {}
    for flavour in FLAVOURS:
        figures[f"fig6_lq_lz_{flavour}"] = lq_figure(
            lq["lz-ws2022"][flavour] + lq["darwin"][flavour],
            flavour=flavour,
            title="LZ WS2022 and DARWIN-like xenon",
        )
        figures[f"fig9_lq_future_{flavour}"] = lq_figure(
            lq["argo"][flavour] + lq["lead"][flavour], flavour=flavour, title="ARGO-like argon and lead"
        )
    return figures


def _figures(results: dict) -> dict:
    """{file stem: figure}: Figs 1, 2, 3, 5, 6 (ν_μ, ν_τ), 7, 8, 9 (ν_μ, ν_τ)."""
    figures = _static_figures()
    for target, panels in results["reach"].items():
        figures.update(_reach_figures(target, panels))
    figures.update(_lq_figures(results["lq"]))
    return figures


def _save_figures(figures: dict, folder: Path) -> None:
    for stem, fig in figures.items():
        save_figure_formats(fig, [folder / f"{stem}.pdf", folder / f"{stem}.png"])


def _write_texts(results: dict, folder: Path) -> None:
    """results.json and summary.md (the text is built before anything is written)."""
    text = json.dumps(results, indent=2, sort_keys=True, allow_nan=False) + "\n"
    summary = summary_markdown(results)
    (folder / "results.json").write_text(text)
    (folder / "summary.md").write_text(summary)


def write_outputs(results: dict, output_dir) -> list[Path]:
    """Write figures (PNG and PDF), results.json and summary.md into ``output_dir``, all or nothing.

    Everything is written into a temporary sibling folder first and moved into place at the end
    (:func:`cevns_stats.likelihood.files.atomic_directory`): an error or SIGINT leaves no file and no
    folder behind. Files 0644, folders 0755 under the default umask.
    """
    output_dir = Path(output_dir)
    check_output_dir(output_dir, tuple(results["reach"]))
    with atomic_directory(output_dir) as tmp:
        _save_figures(_figures(results), tmp)
        _write_texts(results, tmp)
        names = sorted(path.name for path in tmp.iterdir())
    return [output_dir / name for name in names]


def run_paper(output_dir, config: PaperConfig, *, client=None, progress: bool = True) -> dict:
    """Check ``output_dir``, compute, and write the paper's results (as :func:`write_outputs`); returns
    the results dict.

    Each figure is drawn as soon as its numbers exist, into the temporary folder that becomes
    ``output_dir`` at the end: with a Dask ``client`` the drawing overlaps the remaining tasks.
    """
    check_output_dir(output_dir)
    with atomic_directory(Path(output_dir)) as tmp:
        static_done = False

        def draw(figures: dict) -> None:
            nonlocal static_done
            if not static_done:  # with the first results: the workers are busy from the start
                static_done = True
                _save_figures(_static_figures(), tmp)
            _save_figures(figures, tmp)

        results = compute_results(
            config,
            client=client,
            progress=progress,
            on_target=lambda target, panels: draw(_reach_figures(target, panels)),
            on_lq=lambda lq: draw(_lq_figures(lq)),
        )
        _write_texts(results, tmp)
    return results


def __dir__() -> list[str]:
    return __all__
