"""``cevns-stats lq-limit``: 90 % CL bound on the minimal S1 leptoquark in the (m_S1, λ) plane."""

from __future__ import annotations

import click

from cevns_stats.cli.options import echo_json, plot_option, write_atomic
from cevns_stats.cli.output import check_image_output
from cevns_stats.cli.validation import EXPOSURE
from cevns_stats.experiments.leptoquark import (
    EXPERIMENTS,
    LQ_FLAVOURS,
    NORMALISATIONS,
    LQLimit,
    lambda_from_epsilon,
    lq_limit,
)

__all__ = ["lq_limit_command"]


def _summary(limit: LQLimit) -> str:
    lines = [
        (
            f"{limit.experiment} (flavour {limit.flavour}), {limit.exposure_tonne_year:g} t·yr, "
            f"normalisation {limit.normalisation}, SM 8B events {limit.sm_8b_events:.4g}"
        ),
        f"method: {limit.method}",
        (
            f"90% CL: eps_90 = {limit.epsilon_90:.5g}; lambda excluded above {limit.lambda_at_1TeV:.4g} "
            "at m_S1 = 1 TeV (lambda/m_S1 constant: contact limit)"
        ),
    ]
    variants = limit.details.get("lambda_at_1TeV_by_normalisation")
    if variants:
        lines.append(
            "lambda(1 TeV) by 8B normalisation: " + ", ".join(f"{k} {v:.4g}" for k, v in variants.items())
        )
    return "\n".join(lines)


def _figure(limit: LQLimit):
    from cevns_stats.plots.lq import EXPERIMENT_LABELS, BoundCurve, plot_lq_limits

    kind = "observed" if limit.experiment == "lz-ws2022" else "expected"
    name = EXPERIMENT_LABELS.get(limit.experiment, limit.experiment)
    rate = {"direct": "our ⁸B rate", "lz-quoted": "⁸B rescaled to LZ's 0.14 events"}
    label = f"{name}, {limit.exposure_tonne_year:.4g} t·yr, {kind} 90 % CL ({rate[limit.normalisation]})"
    curves = [BoundCurve(limit.masses_GeV, limit.lambda_bound, label, "-", limit.experiment)]
    variants = limit.details.get("epsilon_90_by_normalisation", {})
    for variant, eps in variants.items():
        if variant != limit.normalisation:
            curves.append(
                BoundCurve(
                    limit.masses_GeV,
                    lambda_from_epsilon(limit.masses_GeV, eps),
                    f"{name}, {rate[variant]} (variant)",
                    "--",
                    limit.experiment,
                )
            )
    flavour = {"mu": r"$\nu_\mu$", "tau": r"$\nu_\tau$"}.get(limit.flavour, limit.flavour)
    return plot_lq_limits(
        curves, flavour=limit.flavour, title=f"minimal S$_1$ leptoquark coupling to {flavour}"
    )


@click.command("lq-limit")
@click.option(
    "--experiment",
    type=click.Choice(list(EXPERIMENTS)),
    default="lz-ws2022",
    show_default=True,
    help="LZ WS2022 (observed recast) or a future detector (expected, Asimov).",
)
@click.option("--flavour", type=click.Choice(list(LQ_FLAVOURS)), default="mu", show_default=True)
@click.option(
    "--exposure",
    type=EXPOSURE,
    default=None,
    help="Exposure [t·yr] (future detectors; default: the preset's own).",
)
@click.option(
    "--normalisation",
    type=click.Choice(list(NORMALISATIONS)),
    default="direct",
    show_default=True,
    help="LZ only: our 8B rate (direct) or rescaled to LZ's quoted 0.14 events.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object on stdout.")
@plot_option("Draw the (m_S1, lambda) exclusion (PNG/PDF by suffix).")
def lq_limit_command(experiment, flavour, exposure, normalisation, as_json, plot_path):
    """90 % CL exclusion of the S1 leptoquark coupling lambda against its mass."""
    check_image_output(plot_path, "--plot")
    limit = lq_limit(experiment, flavour, exposure_tonne_year=exposure, normalisation=normalisation)
    if plot_path:
        from cevns_stats.plots.common import save_figure

        fig = _figure(limit)
        write_atomic(plot_path, lambda tmp: save_figure(fig, tmp))
    if as_json:
        echo_json(limit.to_json())
    else:
        click.echo(_summary(limit))


def __dir__() -> list[str]:
    return __all__
