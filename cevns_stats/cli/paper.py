"""``cevns-stats paper``: regenerate the paper's figures, a results JSON and a Markdown summary."""

from __future__ import annotations

import click

__all__ = ["paper_command"]


@click.command("paper")
@click.option(
    "--output",
    "-o",
    "output_dir",
    type=click.Path(file_okay=False),
    default="paper-results",
    show_default=True,
    help="Folder for the figures (PNG, PDF), results.json and summary.md.",
)
@click.option(
    "--quick",
    is_flag=True,
    help="Fewer toys and coarser grids: minutes on 2 cores (default: the paper's 600 toys per point).",
)
@click.option("--scheduler", default=None, help="Address of a Dask scheduler for the reach panels.")
@click.option(
    "--workers",
    type=click.IntRange(min=0),
    default=None,
    help=(
        "Local Dask worker processes for the reach panels (default: one per CPU core, at most one per task, "
        "when the [dask] extra is installed; 0: in-process)."
    ),
)
@click.option("--no-progress", is_flag=True, help="Hide the progress bar.")
def paper_command(output_dir, quick, scheduler, workers, no_progress):
    """Figs 1, 2, 3, 5, 6, 7, 8, 9 of arXiv:2307.15736 with results.json and summary.md."""
    from cevns_stats.cli.output import check_folder_output

    if scheduler is not None and workers is not None:
        raise click.UsageError("give --scheduler or --workers, not both")
    check_folder_output(output_dir, "--output")  # at once: before the heavy imports, Dask and computing
    from cevns_stats.inference.distributed import dask_client, default_workers
    from cevns_stats.paper import FULL, QUICK, run_paper
    from cevns_stats.paper.runner import N_TASKS, check_output_dir

    check_output_dir(output_dir)  # and no folder where one of its files goes
    auto = scheduler is None and workers is None
    if auto:
        workers = default_workers(n_tasks=N_TASKS)
    with dask_client(scheduler=scheduler, workers=workers or None, fallback=auto) as client:
        results = run_paper(output_dir, QUICK if quick else FULL, client=client, progress=not no_progress)
    gains = ", ".join(f"{t} {g:.2f}" for t, g in results["claims"]["threshold_gain_5_to_1_keV"].items())
    click.echo(
        f"wrote {output_dir}/ (figures, results.json, summary.md)\n"
        f"scalar-universal 3σ reach gain from E_th 5 → 1 keV: {gains}\n"
        f"LZ WS2022 λ(1 TeV) excluded above {results['lq']['lz-ws2022']['mu'][0]['lambda_at_1TeV']:.2f} (ν_μ)"
    )


def __dir__() -> list[str]:
    return __all__
