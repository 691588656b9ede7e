"""The ``cevns-stats`` command line: thin commands over the API, one module per group.

Takes options, arguments and input files; gives JSON, tables, figures and files written atomically, by
calling the library and nothing more.

Usage errors exit with status 2 (click); errors in the physics or data (``CevnsError``) print one line
``Error: …`` on stderr and exit with status 1 — never a traceback, never a half-written file.
"""

from __future__ import annotations

import logging
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
@click.option(
    "-v", "--verbose", count=True, help="Log what the library decides: -v INFO, -vv DEBUG (on stderr)."
)
def cli(verbose=0):
    """CEvNS spectra, NSI templates, pyhf workspaces and fits for dark-matter detectors."""
    if verbose:
        _log_to_stderr(logging.INFO if verbose == 1 else logging.DEBUG)


def _log_to_stderr(level: int) -> None:
    """Show the package's log records at ``level`` on stderr (never configured at import time)."""
    logger = logging.getLogger("cevns_stats")
    for old in [h for h in logger.handlers if getattr(h, "cevns_cli", False)]:
        logger.removeHandler(old)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    handler.cevns_cli = True  # type: ignore[attr-defined]
    logger.addHandler(handler)
    logger.setLevel(level)


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
        infer.fit_command,
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


def __dir__() -> list[str]:
    return __all__
