"""``cevns-stats workspace`` (pyhf workspace or BkgOnly + patchset) and ``cevns-stats combine``."""

from __future__ import annotations

import json
import math
from pathlib import Path

import click
import numpy as np

from cevns_stats.cli.options import (
    build_inputs,
    choice_option,
    detector_options,
    model_options,
    output_option,
    write_text,
)
from cevns_stats.cli.output import check_folder_output
from cevns_stats.cli.validation import COUPLING, EPS_MAX_ABS, LQ_MASS, RangedFloat, check_eps_values

__all__ = ["parse_grid"]

#: ``--eps-ref``: the ε at which the scalar workspace's mu = 1 (same bound as every ε).
EPS_REF = RangedFloat(0.0, EPS_MAX_ABS, low_open=True, why="the ε at which mu = 1; |ε| ≤ 10 as for --eps")


def parse_grid(text: str | None, option: str) -> list[float] | None:
    """``LO:HI:N`` (linear), ``log:LO:HI:N`` (logarithmic) or ``v1,v2,…`` → list of finite floats.

    Generated points are rounded to 6 significant digits (readable patch names).
    """
    if text is None:
        return None
    log = text.startswith("log:")
    parts = text[4:].split(":") if log else text.split(":")
    try:
        if len(parts) == 3:
            lo, hi, n = float(parts[0]), float(parts[1]), int(parts[2])
            if n < 1 or (log and (lo <= 0 or hi <= 0)):
                raise ValueError
            values = [float(f"{v:.6g}") for v in (np.geomspace if log else np.linspace)(lo, hi, n)]
        elif len(parts) == 1 and not log:
            values = [float(v) for v in text.split(",") if v.strip()]
        else:
            raise ValueError
    except ValueError:
        msg = f"expected LO:HI:N, log:LO:HI:N (LO, HI > 0) or v1,v2,…; got {text!r}"
        raise click.BadParameter(msg, param_hint=option) from None
    if not values or not all(math.isfinite(v) for v in values):
        msg = f"grid values must be finite numbers, got {text!r}"
        raise click.BadParameter(msg, param_hint=option)
    return values


def _command_line(kw: dict) -> str:
    args = []
    for key, value in kw.items():
        flag = "--" + key.replace("_", "-")
        if value is True:
            args.append(flag)
        elif isinstance(value, tuple):
            args += [f"{flag} {v}" for v in value]
        elif value not in (None, False):
            args.append(f"{flag} {value}")
    return " ".join(["cevns-stats workspace", *args])


def _grid_request(kw: dict, model):
    """(kind, grid) for the patchset, or (None, None) for a single workspace."""
    grid = parse_grid(kw["grid"], "--grid")
    masses, couplings = (
        parse_grid(kw["lq_masses"], "--lq-masses"),
        parse_grid(kw["lq_couplings"], "--lq-couplings"),
    )
    if (masses is None) != (couplings is None):
        raise click.BadParameter("give both --lq-masses and --lq-couplings", param_hint="--lq-masses")
    if masses is not None and couplings is not None:
        for value in masses:
            LQ_MASS.check(value, "--lq-masses")
        for value in couplings:
            COUPLING.check(value, "--lq-couplings")
        if model is None or model.name != "lq-s1":
            raise click.BadParameter(
                "--lq-masses/--lq-couplings need --model lq-s1", param_hint="--lq-masses"
            )
        return "lq", [(m, c) for m in masses for c in couplings]
    if grid is not None:
        return "eps", check_eps_values(grid, "--grid")
    if model is not None and model.kernel == "vector" and not kw["linear"]:
        msg = "vector and lq-s1 models need --grid (or --lq-masses and --lq-couplings), or --linear"
        raise click.BadParameter(msg, param_hint="--grid")
    return None, None


def _single_workspace(templates, model, kw):
    from cevns_stats.likelihood.workspace import build_workspace, set_eps

    if kw["linear"]:
        spec = build_workspace(templates, form="linear", flux_modifier=kw["flux_modifier"])
        return set_eps(spec, kw["eps"])
    form = "sm" if model is None else "scalar"
    return build_workspace(templates, form=form, eps_ref=kw["eps_ref"], flux_modifier=kw["flux_modifier"])


@click.command("workspace")
@detector_options
@model_options
@click.option("--grid", default=None, help="ε grid for the patchset: LO:HI:N, log:LO:HI:N or v1,v2,….")
@click.option(
    "--lq-masses", default=None, help="S1 masses [GeV] for an lq-s1 patchset (same syntax as --grid)."
)
@click.option("--lq-couplings", default=None, help="S1 couplings λ for an lq-s1 patchset (same syntax).")
@choice_option(
    "--flux-modifier",
    ["normsys", "histosys"],
    default="normsys",
    help="normsys (pyhf code4) or histosys (the paper's linear Gaussian).",
)
@click.option(
    "--eps-ref",
    type=EPS_REF,
    default=None,
    help="Scalar form: ε of mu = 1 (0 < ε_ref ≤ 10; default: automatic).",
)
@click.option(
    "--linear", is_flag=True, help="Write the linear-basis workspace (nsi_lin = --eps, nsi_quad = ε²)."
)
@output_option(
    "output_dir",
    folder=True,
    required=True,
    help="Directory for workspace.json or BkgOnly.json + patchset.json, and README.md.",
)
def workspace_command(output_dir, **kw):
    """pyhf likelihoods for a preset and model: workspace.json (SM, scalar) or BkgOnly + patchset (vector, LQ)."""
    from cevns_stats.likelihood.publish import (
        build_patchset,
        readme_text,
        workspace_readme_text,
        write_files,
        write_publication,
    )
    from cevns_stats.likelihood.templates import build_templates

    detector, channels, model = build_inputs(kw)
    kind, grid = _grid_request(kw, model)
    files = (
        ("workspace.json", "README.md") if kind is None else ("BkgOnly.json", "patchset.json", "README.md")
    )
    check_folder_output(output_dir, "--output", files=files)
    templates = build_templates(detector, channels, model, preset=kw["target"])
    command, settings = _command_line(kw), templates.metadata
    if kind is None:
        spec = _single_workspace(templates, model, kw)
        write_files(
            output_dir,
            {
                "workspace.json": spec,
                "README.md": workspace_readme_text(spec, command=command, settings=settings),
            },
        )
        click.echo(
            f"wrote {output_dir}/workspace.json and README.md ({spec['measurements'][0]['name']}; "
            f"window {_window_text(settings)})"
        )
        return
    bkg_only, patchset = build_patchset(templates, grid, kind=kind, flux_modifier=kw["flux_modifier"])
    write_publication(
        output_dir, bkg_only, patchset, readme_text(bkg_only, patchset, command=command, settings=settings)
    )
    click.echo(
        f"wrote {output_dir}/BkgOnly.json, patchset.json ({len(patchset['patches'])} patches) and README.md "
        f"(window {_window_text(settings)})"
    )


def _window_text(settings: dict) -> str:
    low, high = settings["window_keV"]
    return f"{low:.3g}–{high:.4g} keV"


@click.command("combine")
@click.argument("workspaces", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@output_option("output_file", folder=False, help="Combined workspace JSON (default: stdout).")
@choice_option(
    "--join", ["outer", "none", "left outer", "right outer"], default="outer", help="pyhf join operation."
)
@click.option("--merge-channels", is_flag=True, help="Merge same-named channels (outer joins only).")
@click.option(
    "--rename",
    "renames",
    multiple=True,
    metavar="[N:]OLD=NEW",
    help="Rename a parameter (or channel, sample, measurement) of input N (1, 2, …; default 1) before "
    "combining, e.g. 2:mu=mu_argon to keep two experiments' signal strengths apart (repeatable).",
)
def combine_command(workspaces, output_file, join, merge_channels, renames):
    """Combine pyhf workspaces (ours or external); same-named parameters become one (reported on stderr)."""
    from cevns_stats.likelihood.combination import combine, parse_renames
    from cevns_stats.likelihood.workspace import load_workspace

    if len(workspaces) < 2:
        raise click.BadParameter("give at least two workspace files", param_hint="WORKSPACES")
    if output_file is not None and Path(output_file).is_dir():
        raise click.BadParameter(f"{output_file} is a directory", param_hint="--output")
    result = combine(
        [load_workspace(p) for p in workspaces],
        join=join,
        merge_channels=merge_channels,
        labels=list(workspaces),
        renames=parse_renames(renames),
    )
    for poi, owners in result.merged["pois"].items():
        click.echo(
            f"note: the POI {poi!r} of {', '.join(owners)} is one parameter of the combination "
            f"(--rename N:{poi}=NEW keeps them apart)",
            err=True,
        )
    shared = [p for p in result.merged["parameters"] if p not in result.merged["pois"]]
    if shared:
        click.echo(f"note: parameters merged by name: {', '.join(shared)}", err=True)
    text = json.dumps(result.spec, indent=4, sort_keys=True) + "\n"
    if output_file is None:
        click.echo(text, nl=False)
        return
    write_text(output_file, text)
    click.echo(f"wrote {output_file} ({len(result.spec['channels'])} channels)", err=True)


def __dir__() -> list[str]:
    return __all__
