"""The ``cevns-stats`` command line: thin commands over the API, one module per group.

Takes options, arguments and input files; gives JSON, tables, figures and files written atomically, by
calling the library and nothing more.

Usage errors exit with status 2 (click); errors in the physics or data (``CevnsError``) print one line
``Error: …`` on stderr and exit with status 1 — never a traceback, never a half-written file.
"""

from __future__ import annotations

import sys

import click

from cevns_stats import __version__
from cevns_stats.errors import CevnsError

__all__ = ["cli", "main"]


class _Group(click.Group):
    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except CevnsError as err:
            click.echo(f"Error: {err}", err=True)
            sys.exit(1)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cevns-stats")
def cli():
    """CEvNS spectra, NSI templates, pyhf workspaces and fits for dark-matter detectors."""


def _register() -> None:
    """Add every command to the group (explicitly, as pyhf's ``cli.py`` does); imported lazily for speed."""
    if cli.commands:
        return
    from cevns_stats.cli import infer, lq, paper, plots, rates, reach, recast, templates, workspace

    for command in (
        rates.rates_command,
        plots.plot_fluxes_command,
        plots.plot_efficiency_command,
        plots.plot_spectrum_command,
        templates.templates_command,
        workspace.workspace_command,
        workspace.combine_command,
        infer.discover_command,
        infer.limit_command,
        reach.reach_command,
        lq.lq_limit_command,
        paper.paper_command,
        recast.recast_group,
    ):
        cli.add_command(command)


def main(argv=None):
    """Entry point of the console script."""
    _register()
    cli.main(args=argv, prog_name="cevns-stats")
