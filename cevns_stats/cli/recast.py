"""``cevns-stats recast``: real-data recasts (XENONnT release, PandaX-4T counts, LZ WS2022) — beyond the paper.

``recast xenonnt|pandax4t|combined`` print the ⁸B flux and significance from the observed data and, with
``--model``, the 90 % CL allowed ε (and for ``lq-s1`` the excluded λ at 1 TeV); ``--output DIR`` also writes
``results.json``, the flux workspace ``flux_workspace.json`` and, with ``--model``, a BkgOnly + patchset over an
ε (or (m_S1, λ)) grid with its README. ``recast results --output DIR`` writes every real-data number
(results.json, results.md) and the figure (recast.png/.pdf). Every write is all or nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from cevns_stats.cli.options import build_model, echo_result, json_option, model_options, stack_options

__all__ = [
    "combined_command",
    "pandax4t_command",
    "recast_group",
    "results_command",
    "write_all",
    "xenonnt_command",
]

_OUTPUT_HELP = "Folder for results.json and the likelihoods (written all or nothing)."


@click.group("recast")
def recast_group():
    """Recast published real data (XENONnT, PandaX-4T, LZ WS2022): ⁸B flux, NSI, S1 (beyond the paper).

    With --model the allowed ε is scanned (|ε| ≤ --eps-max), so --eps, --lq-mass and --lq-coupling are not used,
    and vector NSI acts at detection only (--nsi-propagation is not applied; docs/recasts.md).
    """


def _common(func):
    options = [
        model_options,
        click.option(
            "--eps-max",
            type=click.FloatRange(min=1e-4, max=10.0),
            default=None,
            help="|ε| scan range for --model (default: 2, lq-s1 and vector-minimal 4).",
        ),
        click.option("--output", type=click.Path(file_okay=False), default=None, help=_OUTPUT_HELP),
        json_option("Print one JSON object instead of text."),
    ]
    return stack_options(func, options)


_RUNS_OPTION = click.option(
    "--runs",
    default="sr0,sr1,sr2",
    show_default=True,
    help="XENONnT science runs, comma separated (sr0,sr1 = the published PRL 133, 191002 analysis).",
)


def _run(experiment: str, runs, kw: dict) -> None:
    from cevns_stats.experiments.leptoquark import lambda_from_epsilon
    from cevns_stats.experiments.real_data import experiment_channels, flux_measurement
    from cevns_stats.experiments.xenonnt import RUNS, parse_runs

    run_names = parse_runs(runs) if runs is not None else RUNS
    model = build_model(kw)
    result: dict = {"experiment": experiment, "label": "beyond the paper: observed data"}
    if experiment in ("xenonnt", "combined"):
        result["xenonnt_runs"] = list(run_names)
    result["flux"] = flux_measurement(experiment, experiment_channels(experiment, runs=run_names)).to_json()
    files: dict = {}
    if model is not None:
        result["nsi"] = _nsi(experiment, run_names, model, kw, files, lambda_from_epsilon)
    if kw["output"]:
        _write(experiment, run_names, kw["output"], result, files)
    echo_result(result, _text, as_json=kw["as_json"])


def _nsi(experiment, run_names, model, kw, files, lambda_from_epsilon) -> dict:
    from cevns_stats.experiments.real_data import experiment_channels, nsi_interval

    eps_max = kw["eps_max"] or (4.0 if model.name in ("lq-s1", "vector-minimal") else 2.0)
    channels = experiment_channels(experiment, model=model, runs=run_names)
    interval = nsi_interval(experiment, model.name, channels, eps_max=eps_max).to_json()
    interval["model_parameters"] = model.describe()
    if model.kernel == "vector":
        interval["model_parameters"]["nsi_propagation"] = False  # the recast applies NSI at detection only
    if model.name == "lq-s1":
        eps90 = interval["allowed_intervals_90"][0][0]
        interval["epsilon_90"] = eps90
        interval["lambda_excluded_at_1TeV"] = float(lambda_from_epsilon(1000.0, eps90))
    if kw["output"]:
        files["channels"] = channels
    return interval


def _write(experiment, run_names, output, result, files) -> None:
    from cevns_stats.experiments.real_data import experiment_channels
    from cevns_stats.experiments.real_data_results import (
        ATTRIBUTION,
        EPS_GRID,
        LQ_GRID,
        results_json_text,
    )
    from cevns_stats.experiments.recast_channel import build_recast_publication, build_recast_workspace
    from cevns_stats.likelihood.publish import readme_text

    content: dict = {
        "results.json": results_json_text({**result, "attribution": ATTRIBUTION}),
        "flux_workspace.json": build_recast_workspace(
            experiment_channels(experiment, runs=run_names), form="flux"
        ),
    }
    if "channels" in files:
        model = result["nsi"]["model"]
        kind, grid = ("lq", LQ_GRID) if model == "lq-s1" else ("eps", EPS_GRID)
        bkg, patchset = build_recast_publication(files["channels"], list(grid), kind=kind)
        content.update(
            {
                "BkgOnly.json": bkg,
                "patchset.json": patchset,
                "README.md": readme_text(bkg, patchset, command="cevns-stats recast " + experiment)
                + "\n"
                + ATTRIBUTION
                + "\n",
            }
        )
    write_all(output, content)


def _text(result: dict) -> str:
    f = result["flux"]
    lo, hi = (v / 1e6 for v in f["flux_8B_interval_68_cm2_s"])
    lines = [
        f"{result['experiment']} ({result['label']})"
        + (f", XENONnT runs {','.join(result['xenonnt_runs'])}" if "xenonnt_runs" in result else ""),
        f"observed {f['observed_events']:.4g} events, background {f['background_events']:.4g}",
        (
            f"8B flux {f['flux_8B_cm2_s'] / 1e6:.2f} [{lo:.2f}, {hi:.2f}] x 1e6 /cm2/s (68% CL), "
            f"background-only rejected at {f['significance_sigma']:.2f} sigma"
        ),
    ]
    nsi = result.get("nsi")
    if nsi:
        ivs = " U ".join(f"[{a:+.4g}, {b:+.4g}]" for a, b in nsi["allowed_intervals_90"])
        lines.append(f"{nsi['model']}: 90% CL allowed eps {ivs} (best fit {nsi['eps_hat']:+.3g})")
        if "lambda_excluded_at_1TeV" in nsi:
            lines.append(
                f"S1 leptoquark: eps_90 = {nsi['epsilon_90']:.4g}; lambda > {nsi['lambda_excluded_at_1TeV']:.3g} "
                "excluded at m_S1 = 1 TeV"
            )
    return "\n".join(lines)


def _data_command(experiment: str, help: str, *, with_runs: bool) -> click.Command:
    """``recast EXPERIMENT``: the :func:`_common` options (and ``--runs`` where XENONnT data enter), then :func:`_run`."""

    def command(runs=None, **kw):
        _run(experiment, runs, kw)

    command = _common(command)
    if with_runs:
        command = _RUNS_OPTION(command)
    return recast_group.command(experiment, help=help)(command)


xenonnt_command = _data_command(
    "xenonnt",
    "XENONnT ⁸B CEvNS recast from its binned data release (one pyhf channel of 81 bins per run).",
    with_runs=True,
)
pandax4t_command = _data_command(
    "pandax4t", "PandaX-4T ⁸B counting recast (paired and ionisation-only channels).", with_runs=False
)
combined_command = _data_command(
    "combined", "XENONnT + PandaX-4T + LZ WS2022 with the flux nuisances correlated.", with_runs=True
)


@recast_group.command("results")
@click.option(
    "--output", type=click.Path(file_okay=False), required=True, help="Folder for results and figure."
)
@click.option(
    "--flavour", type=click.Choice(["mu", "tau"]), multiple=True, default=("mu",), show_default=True
)
def results_command(output, flavour):
    """Every real-data result: tables (results.json, results.md) and the figure recast.png/.pdf."""
    import io

    from cevns_stats.experiments.real_data_results import (
        real_data_results,
        results_json_text,
        results_markdown,
    )
    from cevns_stats.plots.recast import plot_recast

    results = real_data_results(flavours=flavour, progress=lambda msg: click.echo(msg, err=True))
    fig = plot_recast(results)
    files: dict = {"results.json": results_json_text(results), "results.md": results_markdown(results)}
    for fmt in ("png", "pdf"):
        buffer = io.BytesIO()
        fig.savefig(buffer, format=fmt, dpi=150, bbox_inches="tight")
        files[f"recast.{fmt}"] = buffer.getvalue()
    write_all(output, files)
    click.echo(results_markdown(results))


def write_all(directory, files: dict) -> Path:
    """Write {name: str, bytes or JSON-ready dict} into ``directory``, all or nothing (files 0644, folder 0755).

    Through :func:`cevns_stats.likelihood.files.atomic_directory` (a temporary sibling renamed into place).
    """
    from cevns_stats.likelihood.files import atomic_directory

    with atomic_directory(directory) as tmp:
        for name, content in files.items():
            if isinstance(content, dict):
                content = json.dumps(content, indent=4, sort_keys=True) + "\n"
            (tmp / name).write_bytes(content.encode() if isinstance(content, str) else bytes(content))
    return Path(directory)


def __dir__() -> list[str]:
    return __all__
