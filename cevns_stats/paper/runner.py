"""Compute the paper's results and write its figures, ``results.json`` and ``summary.md`` atomically."""

from __future__ import annotations

import json
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
from cevns_stats.plots.common import save_figure
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
    config: PaperConfig, *, targets=tuple(TARGETS), client=None, progress: bool = True
) -> dict:
    """Every number of the paper run: reach per target, the claims, leptoquark bounds, settings.

    ``targets`` restricts the reach figures (default: xenon, argon, lead — Figs 5, 7, 8).
    """
    unknown = sorted(set(targets) - set(TARGETS))
    if unknown or not targets:
        msg = f"reach targets must be a non-empty subset of {list(TARGETS)}, got {list(targets)}"
        raise InvalidInput(msg)
    steps = len(targets) * len(MODELS) + len(LQ_EXPERIMENTS)
    with tqdm(total=steps, desc="cevns-stats paper", disable=not progress, unit="step") as bar:
        # with a client the leptoquark bounds are one more task, queued before the panels
        lq_task = None if client is None else client.submit(lq_results, pure=False)
        reach = reach_panels(targets, config, client=client, progress=bar)
        if lq_task is None:
            lq = lq_results(progress=bar)
        else:
            lq = lq_task.result()
            bar.update(len(LQ_EXPERIMENTS))
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


def _figures(results: dict) -> dict:
    """{file stem: figure}: Figs 1, 2, 3, 5, 6 (ν_μ, ν_τ), 7, 8, 9 (ν_μ, ν_τ)."""
    detector = make_detector("xenon")
    figures = {
        "fig1_efficiency": plot_efficiency(**efficiency_data(THRESHOLDS_keV)),
        "fig2_fluxes": plot_fluxes(get_channels("all")),
        "fig3_spectrum_xenon": plot_recoil_spectra(
            **recoil_spectrum_data(
                detector, get_channels(), make_model("scalar-universal", eps=FIGURE3_SCALAR_EPS)
            )
        ),
    }
    for target, panels in results["reach"].items():
        figures[_reach_stem(target)] = reach_figure(target, panels, figure_label=TARGETS[target])
    lq = results["lq"]
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


def write_outputs(results: dict, output_dir) -> list[Path]:
    """Write figures (PNG and PDF), results.json and summary.md into ``output_dir``, all or nothing.

    Everything is written into a temporary sibling folder first and moved into place at the end
    (:func:`cevns_stats.likelihood.files.atomic_directory`): an error or SIGINT leaves no file and no
    folder behind. Files 0644, folders 0755 under the default umask.
    """
    output_dir = Path(output_dir)
    check_output_dir(output_dir, tuple(results["reach"]))
    text = json.dumps(results, indent=2, sort_keys=True, allow_nan=False) + "\n"
    summary = summary_markdown(results)
    with atomic_directory(output_dir) as tmp:
        for stem, fig in _figures(results).items():
            save_figure(fig, tmp / f"{stem}.pdf")
            save_figure(fig, tmp / f"{stem}.png")
        (tmp / "results.json").write_text(text)
        (tmp / "summary.md").write_text(summary)
        names = sorted(path.name for path in tmp.iterdir())
    return [output_dir / name for name in names]


def run_paper(output_dir, config: PaperConfig, *, client=None, progress: bool = True) -> dict:
    """Check ``output_dir``, compute, then write the paper's results; returns the results dict."""
    check_output_dir(output_dir)
    results = compute_results(config, client=client, progress=progress)
    write_outputs(results, output_dir)
    return results


def __dir__() -> list[str]:
    return __all__
