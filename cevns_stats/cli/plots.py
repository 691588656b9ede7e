"""``cevns-stats plot-fluxes`` (Fig. 2), ``plot-efficiency`` (Fig. 1), ``plot-spectrum`` (Fig. 3)."""

from __future__ import annotations

import click

from cevns_stats.cli.options import (
    build_inputs,
    detector_options,
    model_options,
    write_figure,
)
from cevns_stats.cli.output import check_image_output
from cevns_stats.cli.validation import THRESHOLD, parse_channel_names

__all__ = ["plot_efficiency_command", "plot_fluxes_command", "plot_spectrum_command"]


@click.command("plot-fluxes")
@click.option("--output", "-o", type=click.Path(dir_okay=False), default="fluxes.png", show_default=True)
@click.option("--solar-model", type=click.Choice(["b16-gs98", "b16-agss09"]), default="b16-gs98")
@click.option("--channels", default="all", show_default=True, help="Comma-separated channels or 'all'.")
def plot_fluxes_command(output, solar_model, channels):
    """Neutrino fluxes with uncertainty bands (the paper's Fig. 2)."""
    from cevns_stats.physics.fluxes.catalogue import get_channels
    from cevns_stats.plots.spectra import plot_fluxes

    check_image_output(output, "--output")
    names = parse_channel_names(channels)
    fig = plot_fluxes(get_channels(names, solar_model=solar_model))
    write_figure(output, fig)
    click.echo(f"wrote {output}")


@click.command("plot-efficiency")
@click.option("--output", "-o", type=click.Path(dir_okay=False), default="efficiency.png", show_default=True)
@click.option("--thresholds", default="1,2,3,4,5", show_default=True, help="Comma-separated E_th [keV].")
@click.option(
    "--table",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="Overlay an 'E [keV], efficiency' table (e.g. LZ's published one).",
)
def plot_efficiency_command(output, thresholds, table):
    """Tanh efficiencies (fixed a, b) for several thresholds and LZ WS2022 (the paper's Fig. 1)."""
    from cevns_stats.physics.tables import read_table
    from cevns_stats.plots.data import efficiency_data
    from cevns_stats.plots.spectra import plot_efficiency

    check_image_output(output, "--output")
    texts = [t.strip() for t in thresholds.split(",") if t.strip()]
    if not texts:
        raise click.BadParameter(f"no thresholds in {thresholds!r}; e.g. 1,2,5", param_hint="--thresholds")
    try:
        values = [THRESHOLD.check(float(t), "--thresholds") for t in texts]
    except ValueError:
        msg = f"{thresholds!r} is not a comma-separated list of numbers [keV]"
        raise click.BadParameter(msg, param_hint="--thresholds") from None
    reference = read_table(table, what="efficiency table") if table else None
    fig = plot_efficiency(**efficiency_data(values), reference_table=reference)
    write_figure(output, fig)
    click.echo(f"wrote {output}")


@click.command("plot-spectrum")
@detector_options
@model_options
@click.option("--output", "-o", type=click.Path(dir_okay=False), default="spectrum.png", show_default=True)
def plot_spectrum_command(output, **kw):
    """SM and NSI recoil spectra per flux channel (the paper's Fig. 3)."""
    from cevns_stats.plots.data import recoil_spectrum_data
    from cevns_stats.plots.spectra import plot_recoil_spectra

    check_image_output(output, "--output")
    fig = plot_recoil_spectra(**recoil_spectrum_data(*build_inputs(kw)))
    write_figure(output, fig)
    click.echo(f"wrote {output}")


def __dir__() -> list[str]:
    return __all__
