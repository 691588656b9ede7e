"""``cevns-stats lq-limit``: 90 % CL bound on the minimal S1 leptoquark in the (m_S1, λ) plane."""

from __future__ import annotations

import click

from cevns_stats.cli.options import choice_option, echo_result, json_option, plot_option, write_figure
from cevns_stats.cli.output import check_image_output
from cevns_stats.cli.validation import EXPOSURE
from cevns_stats.experiments.leptoquark import EXPERIMENTS, LQ_FLAVOURS, NORMALISATIONS, lq_limit

__all__ = ["lq_limit_command"]


def _summary(limit: dict) -> str:
    """The text of :meth:`LQLimit.to_json`."""
    lines = [
        (
            f"{limit['experiment']} (flavour {limit['flavour']}), {limit['exposure_tonne_year']:g} t·yr, "
            f"normalisation {limit['normalisation']}, SM 8B events {limit['sm_8b_events']:.4g}"
        ),
        f"method: {limit['method']}",
        (
            f"90% CL: eps_90 = {limit['epsilon_90']:.5g}; lambda excluded above {limit['lambda_at_1TeV']:.4g} "
            "at m_S1 = 1 TeV (lambda/m_S1 constant: contact limit)"
        ),
    ]
    variants = limit["details"].get("lambda_at_1TeV_by_normalisation")
    if variants:
        lines.append(
            "lambda(1 TeV) by 8B normalisation: " + ", ".join(f"{k} {v:.4g}" for k, v in variants.items())
        )
    return "\n".join(lines)


@click.command("lq-limit")
@choice_option(
    "--experiment",
    EXPERIMENTS,
    default="lz-ws2022",
    help="LZ WS2022 (observed recast) or a future detector (expected, Asimov).",
)
@choice_option("--flavour", LQ_FLAVOURS, default="mu")
@click.option(
    "--exposure",
    type=EXPOSURE,
    default=None,
    help="Exposure [t·yr] (future detectors; default: the preset's own).",
)
@choice_option(
    "--normalisation",
    NORMALISATIONS,
    default="direct",
    help="LZ only: our 8B rate (direct) or rescaled to LZ's quoted 0.14 events.",
)
@json_option()
@plot_option("Draw the (m_S1, lambda) exclusion (PNG/PDF by suffix).")
def lq_limit_command(experiment, flavour, exposure, normalisation, as_json, plot_path):
    """90 % CL exclusion of the S1 leptoquark coupling lambda against its mass."""
    check_image_output(plot_path, "--plot")
    limit = lq_limit(experiment, flavour, exposure_tonne_year=exposure, normalisation=normalisation)
    if plot_path:
        from cevns_stats.plots.lq import plot_lq_limit

        write_figure(plot_path, plot_lq_limit(limit))
    echo_result(limit.to_json(), _summary, as_json=as_json)


def __dir__() -> list[str]:
    return __all__
