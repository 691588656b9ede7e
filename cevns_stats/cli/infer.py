"""``cevns-stats discover`` and ``cevns-stats limit``: thin commands over :mod:`cevns_stats.inference.workflow`.

Input: a workspace JSON file, or a background-only ``BkgOnly.json`` with ``--patch NAME`` (a patch of
``--patchset FILE``, default ``patchset.json`` beside it), as published by ``cevns-stats workspace``.
"""

from __future__ import annotations

import click

from cevns_stats.cli.options import FINITE_FLOAT, echo_json

__all__ = ["discover_command", "limit_command"]

_INPUT_HELP = "Patch name of the patchset (a BkgOnly.json needs one), e.g. eps_m0p05."


def _input_options(func):
    options = [
        click.argument("workspace", type=click.Path(exists=True, dir_okay=False)),
        click.option("--patch", default=None, help=_INPUT_HELP),
        click.option(
            "--patchset",
            type=click.Path(exists=True, dir_okay=False),
            default=None,
            help="Patchset JSON holding --patch (default: patchset.json beside WORKSPACE).",
        ),
        click.option("--poi", default=None, help="Signal parameter (default: the measurement's POI)."),
        click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of text."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _load(workspace, patch, patchset, poi):
    from cevns_stats.inference.workflow import load_analysis

    if patchset is not None and patch is None:
        raise click.UsageError("--patchset needs --patch NAME (the grid point to use)")
    return load_analysis(workspace, patch=patch, patchset=patchset, poi=poi)


@click.command("discover")
@_input_options
@click.option(
    "--toys", type=click.IntRange(min=1), default=None, help="Pseudo-datasets at the signal hypothesis."
)
@click.option("--seed", type=int, default=None, help="Random seed of the toys (needs --toys).")
@click.option(
    "--mode",
    type=click.Choice(["standard", "paper"]),
    default="standard",
    show_default=True,
    help="standard: one-sided q0, POI on the signal's side; paper: alternative at the signal value.",
)
@click.option(
    "--toy-aux",
    type=click.Choice(["resampled", "fixed"]),
    default=None,
    help="Toys' auxiliary data: resampled (pyhf; default) or fixed at nominal (paper). Needs --toys.",
)
def discover_command(workspace, patch, patchset, poi, as_json, toys, seed, mode, toy_aux):
    """Discovery significance Z: observed, median expected (Asimov) and, with --toys, toy mean and median.

    The signal hypothesis is the POI's init in the workspace (mu = 1 for cevns-stats workspaces and
    patchsets; ε = nsi_lin for a linear-basis workspace, whose signed ε the fast engine profiles).
    """
    from cevns_stats.inference.workflow import discovery_summary

    if toys is None and (seed is not None or toy_aux is not None):
        raise click.UsageError("--seed and --toy-aux need --toys N")
    analysis = _load(workspace, patch, patchset, poi)
    result = discovery_summary(analysis, mode=mode, toys=toys, seed=seed, toy_aux=toy_aux or "resampled")
    if as_json:
        echo_json(result)
        return
    click.echo(
        f"{analysis.poi} = {analysis.signal:g} ({mode} mode): Z observed {result['z_observed']:.3f}, "
        f"median expected {result['z_median_expected']:.3f}"
    )
    if toys is not None:
        click.echo(
            f"{toys} toys (aux {result['toy_aux']}): mean Z {_fmt(result['z_mean_toys'])}, median Z "
            f"{_fmt(result['z_median_toys'])}, failed fits {result['n_failed_fits']}"
        )


def _fmt(value) -> str:
    return "n/a" if value is None else f"{value:.3f}"


@click.command("limit")
@_input_options
@click.option(
    "--cl",
    type=click.FloatRange(0.5, 1.0, max_open=True),
    default=0.95,
    show_default=True,
    help="Confidence level (0.90 or 0.95 in the paper).",
)
@click.option(
    "--engine",
    type=click.Choice(["pyhf", "fast"]),
    default="pyhf",
    show_default=True,
    help="Linear POI: pyhf's CLs root finding (reference) or the fast engine (same conventions).",
)
@click.option(
    "--eps-max", type=FINITE_FLOAT, default=None, help="Signed ε: scan |ε| ≤ this (default: nsi_lin bound)."
)
def limit_command(workspace, patch, patchset, poi, as_json, cl, engine, eps_max):
    """Upper limits: CLs (asymptotic q̃μ) on a linear POI, or allowed signed-ε interval(s) (profile likelihood)."""
    from cevns_stats.inference.workflow import limit_summary

    if eps_max is not None and eps_max <= 0:
        raise click.BadParameter("must be > 0", param_hint="--eps-max")
    analysis = _load(workspace, patch, patchset, poi)
    if eps_max is not None and analysis.kind != "signed-eps":
        raise click.UsageError("--eps-max applies only to linear-basis (signed ε) workspaces")
    result = limit_summary(analysis, cl=cl, engine=engine, eps_max=eps_max)
    if as_json:
        echo_json(result)
        return
    click.echo(f"{result['method']}, CL = {cl:g}")
    if analysis.kind == "signed-eps":
        click.echo(
            f"observed allowed ε: {_intervals(result['observed_intervals'])}; expected (SM Asimov): "
            f"{_intervals(result['expected_intervals'])}"
        )
        return
    band = result["expected_band"]
    click.echo(
        f"{analysis.poi} < {result['observed']:.5g} observed; expected {band['median']:.5g} "
        f"[-1σ {band['-1sigma']:.5g}, +1σ {band['+1sigma']:.5g}; -2σ {band['-2sigma']:.5g}, "
        f"+2σ {band['+2sigma']:.5g}]"
    )


def _intervals(intervals) -> str:
    return " ∪ ".join(f"[{lo:.5g}, {hi:.5g}]" for lo, hi in intervals) or "none"
