"""The ``cevns-stats`` command line: thin commands over the API, one module per group.

Usage errors exit with status 2 (click); errors in the physics or data (``CevnsError``) print one line
``Error: …`` on stderr and exit with status 1 — never a traceback, never a half-written file.
"""

from __future__ import annotations

import sys

import click

from .. import __version__
from ..errors import CevnsError

__all__ = ["main", "cli"]


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


def _register():
    from . import rates as _rates  # noqa: F401  (commands register themselves on import)
    from . import plots as _plots  # noqa: F401

    for optional in ("templates", "workspace", "infer", "reach", "lq", "paper"):
        try:
            __import__(f"{__name__}.{optional}")
        except ModuleNotFoundError as err:
            if err.name != f"{__name__}.{optional}":
                raise


def main(argv=None):
    """Entry point of the console script."""
    _register()
    cli.main(args=argv, prog_name="cevns-stats")
