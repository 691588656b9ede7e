"""``cevns-stats templates``: SM/LIN/QUAD templates per flux channel, written to ROOT and JSON."""

from __future__ import annotations

import re
from pathlib import Path

import click

from cevns_stats.cli.options import (
    build_inputs,
    detector_options,
    echo_result,
    json_option,
    model_options,
    output_option,
)
from cevns_stats.likelihood.files import atomic_directory

__all__ = ["template_basename", "templates_command"]


def template_basename(preset: str, model, threshold_keV: float | None) -> str:
    """A stable file name: ``<preset>_<model>[_<flavour>][_<quark>][_th<E>keV]`` (sign- and dot-safe).

    ``threshold_keV`` is ``None`` for an efficiency without a threshold (no ``_th`` part then).
    """
    parts = [preset, model.name if model else "SM"]
    if model is not None:
        params = dict(model.parameters)
        parts += [str(params[k]) for k in ("flavour", "quark", "scalar_charge") if k in params]
    if threshold_keV is not None:
        parts.append(f"th{threshold_keV:g}keV")
    return re.sub(r"[^A-Za-z0-9_-]", "p", "_".join(parts))


@click.command("templates")
@detector_options
@model_options
@output_option("output_dir", folder=True, required=True, help="Directory for <name>.root and <name>.json.")
@json_option("Print a JSON summary (files, totals) on stdout.")
def templates_command(output_dir, as_json, **kw):
    """Build per-channel SM, LIN (per ε) and QUAD (per ε²) templates for a preset and model."""
    from cevns_stats.cli.output import check_folder_output
    from cevns_stats.likelihood.templates import build_templates

    detector, channels, model = build_inputs(kw)
    name = template_basename(kw["target"], model, detector.threshold_keV if detector.uses_threshold else None)
    check_folder_output(output_dir, "--output", files=(f"{name}.root", f"{name}.json"))
    templates = build_templates(detector, channels, model, preset=kw["target"])
    root_path, json_path = Path(output_dir) / f"{name}.root", Path(output_dir) / f"{name}.json"
    with atomic_directory(output_dir) as tmp:  # both files or neither
        templates.write_json(Path(tmp) / json_path.name)
        templates.write_root(Path(tmp) / root_path.name)
    summary = {
        "files": [str(root_path), str(json_path)],
        "channels": list(templates.channels),
        "totals": {c: float(v.sum()) for c, v in templates.values.items()},
        "config_sha256": templates.metadata["config_sha256"],
        "window_keV": templates.metadata["window_keV"],
        "n_bins": int(templates.edges_keV.size - 1),
    }
    echo_result(summary, _text, as_json=as_json)


def _text(summary: dict) -> str:
    (root_path, json_path), (low, high) = summary["files"], summary["window_keV"]
    return (
        f"wrote {root_path} and {json_path} ({len(summary['channels'])} channels, "
        f"{summary['n_bins']} bins over {low:.3g}–{high:.4g} keV, SM total {summary['totals']['SM']:.4g} events)"
    )


def __dir__() -> list[str]:
    return __all__
