"""``cevns-stats rates``: expected CEvNS events per flux channel (SM, and the NSI change)."""

from __future__ import annotations

import click

from cevns_stats.cli.options import (
    build_inputs,
    detector_options,
    echo_result,
    json_option,
    model_options,
    plot_option,
    write_figure,
)

__all__ = ["rates_command"]


def _threshold_text(summary: dict) -> str:
    detector = summary["detector"]
    if summary["threshold_keV"] is None:
        return "no E_th (efficiency has none)"
    if detector["analysis_threshold_keV"] is not None and detector["efficiency"] not in ("tanh", "step"):
        return f"hard threshold {detector['analysis_threshold_keV']:g} keV"
    return f"E_th = {summary['threshold_keV']:g} keV"


def _table(summary: dict) -> str:
    detector = summary["detector"]
    efficiency = detector["efficiency"]
    if detector.get("efficiency_beyond_table"):
        efficiency += f" ({detector['efficiency_beyond_table']} above the table)"
    low, high = summary["window_keV"]
    lines = [
        (
            f"{summary['target']}: {summary['exposure_tonne_year']:g} t·yr, {_threshold_text(summary)}, "
            f"efficiency {efficiency}, r = {detector['resolution']:g}"
        ),
        f"window {low:.3g}–{high:.4g} keV (reconstructed), {summary['n_bins']} log bins",
        f"{'channel':<14}{'flux [cm^-2 s^-1]':>18}{'unc.':>7}{'events':>13}"
        + (f"{'NSI change':>13}" if "total_nsi_events" in summary else ""),
    ]
    for name, row in summary["channels"].items():
        line = f"{name:<14}{row['flux_cm2_s']:>18.4g}{row['uncertainty']:>7.1%}{row['events']:>13.4g}"
        if "nsi_events" in row:
            line += f"{row['nsi_events']:>+13.4g}"
        lines.append(line)
        if "flux_source" in row:
            lines.append(f"{'':<14}{row['flux_source']}")
    total = f"{'total':<39}{summary['total_events']:>13.4g}"
    if "total_nsi_events" in summary:
        total += f"{summary['total_nsi_events']:>+13.4g}"
    return "\n".join([*lines, total])


@click.command("rates")
@detector_options
@model_options
@json_option()
@plot_option("Draw the recoil spectrum per channel (PNG/PDF by suffix).")
def rates_command(as_json, plot_path, **kw):
    """Expected CEvNS events per flux channel for a detector."""
    from cevns_stats.cli.output import check_image_output

    check_image_output(plot_path, "--plot")
    detector, channels, model = build_inputs(kw)
    from cevns_stats.detector.summary import rate_summary

    summary = rate_summary(detector, channels, model)
    if plot_path:
        write_figure(plot_path, _figure(detector, channels, model, summary["window_keV"]))
    echo_result(summary, _table, as_json=as_json)


def _figure(detector, channels, model, window_keV):
    """The true recoil spectra per channel, with the analysis window (in reconstructed energy) shaded."""
    from cevns_stats.plots.data import recoil_spectrum_data
    from cevns_stats.plots.spectra import plot_recoil_spectra

    data = recoil_spectrum_data(detector, channels, model)
    return plot_recoil_spectra(**data, window_keV=tuple(window_keV), resolution=detector.resolution)


def __dir__() -> list[str]:
    return __all__
