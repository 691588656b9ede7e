"""``cevns-stats discover``, ``limit`` and ``fit``: thin commands over :mod:`cevns_stats.inference`.

Input, as pyhf's CLI: a workspace JSON file or ``-`` (stdin, the default), so ``pyhf combine a.json b.json
| cevns-stats limit -`` works; ``--patch FILE`` applies a JSON patch (as ``pyhf cls --patch``);
``--patchset FILE --patch-name NAME`` picks one grid point of a patchset (default ``patchset.json``
beside the workspace). ``--output-file`` writes the JSON result atomically (mode 0644 under umask 022).
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

import click

from cevns_stats.cli.options import (
    FINITE_FLOAT,
    MODES,
    TOY_AUX,
    choice_option,
    echo_json,
    json_option,
    plot_option,
    stack_options,
    write_text,
)
from cevns_stats.cli.validation import Count

if TYPE_CHECKING:
    from cevns_stats.inference.workflow import Engine

__all__ = ["discover_command", "fit_command", "limit_command", "write_json_output"]

log = logging.getLogger(__name__)


def _input_options(func):
    options = [
        click.argument("workspace", default="-", type=click.Path(dir_okay=False, allow_dash=True)),
        click.option(
            "--patch",
            default=None,
            metavar="FILE",
            help="JSON patch file applied to the workspace (as pyhf cls --patch). "
            "A NAME that is not a file picks that patch of --patchset.",
        ),
        click.option(
            "--patchset",
            type=click.Path(exists=True, dir_okay=False),
            default=None,
            help="pyhf patchset holding --patch-name (default: patchset.json beside WORKSPACE).",
        ),
        click.option("--patch-name", default=None, help="Patch of the patchset to apply, e.g. eps_m0p05."),
        click.option("--measurement", default=None, help="Measurement to use (default: the first)."),
        click.option("--poi", default=None, help="Signal parameter (default: the measurement's POI)."),
        json_option("Print one JSON object instead of text."),
        click.option(
            "--output-file",
            type=click.Path(dir_okay=False, writable=True),
            default=None,
            help="Write the JSON result to this file (atomically) instead of stdout.",
        ),
    ]
    return stack_options(func, options)


def _beside(workspace: str) -> Path | None:
    if workspace == "-":
        return None
    candidate = Path(workspace).with_name("patchset.json")
    return candidate if candidate.is_file() else None


def _patch_request(workspace: str, patch, patchset, patch_name):
    """(patch, patchset) for ``read_workspace``: a patch file, or a patch name with its patchset."""
    if patch_name is not None and patch is not None:
        raise click.UsageError("give either --patch FILE or --patch-name NAME, not both")
    if patch is not None and patch != "-" and not Path(patch).is_file():
        if patchset is None and _beside(workspace) is None:
            raise click.BadParameter(f"no such patch file: {patch}", param_hint="--patch")
        log.info("--patch %s is not a file: taken as the name of a patch of the patchset", patch)
        patch_name, patch = patch, None
    if patch_name is not None:
        patchset = patchset or _beside(workspace)
        if patchset is None:
            raise click.UsageError("--patch-name needs --patchset FILE (no patchset.json beside WORKSPACE)")
        return patch_name, str(patchset)
    if patchset is not None:
        raise click.UsageError("--patchset needs --patch-name NAME (the grid point to use)")
    return patch, None


def _check_output(output_file) -> None:
    """Fail before computing if the result could not be written."""
    if output_file is None:
        return
    path = Path(output_file)
    parent = path.parent if str(path.parent) else Path(".")
    if path.is_dir() or not parent.is_dir() or not os.access(parent, os.W_OK):
        raise click.BadParameter(
            f"cannot write {output_file}: {'it is a directory' if path.is_dir() else 'no writable directory'}",
            param_hint="--output-file",
        )


def _read(kw) -> tuple[dict, dict]:
    """The (patched, checked) workspace spec and its source description."""
    from cevns_stats.inference.inputs import read_workspace, source_of

    workspace = kw["workspace"]
    patch, patchset = _patch_request(workspace, kw["patch"], kw["patchset"], kw["patch_name"])
    spec = read_workspace(workspace, patch=patch, patchset=patchset)
    return spec, source_of(workspace, patch=patch, patchset=patchset)


def _load(kw, engine: Engine):
    from cevns_stats.errors import InvalidInput, WorkspaceError
    from cevns_stats.inference.workflow import analysis

    spec, source = _read(kw)
    patch = source.get("patch") or source.get("patch_file")
    try:
        return analysis(spec, poi=kw["poi"], measurement=kw["measurement"], source=source, engine=engine)
    except WorkspaceError as err:
        if "background-only" in str(err) and patch is None:
            msg = f"{err}; choose a signal with --patchset FILE --patch-name NAME or --patch FILE"
            raise WorkspaceError(msg) from err
        raise
    except InvalidInput as err:
        if "has no POI" in str(err):  # the library names its argument; the command names its option
            msg = str(err).replace("(poi=)", "with --poi NAME (cevns-stats fit needs none)")
            raise InvalidInput(msg) from err
        raise


def write_json_output(obj: dict, output_file) -> None:
    """The JSON result on stdout, or written atomically to ``output_file`` (0666 & ~umask)."""
    if output_file is None:
        echo_json(obj)
        return
    write_text(output_file, json.dumps(obj, indent=4, sort_keys=True) + "\n")
    click.echo(f"wrote {output_file}", err=True)


_ENGINE = choice_option(
    "--engine",
    ["pyhf", "fast"],
    help="fast: the compiled engine (pyhf where it cannot evaluate the workspace); pyhf: pyhf only. "
    "Default: fast for discover, pyhf for limit.",
)


@click.command("discover")
@_input_options
@click.option(
    "--toys",
    type=Count(1, 10**9, why="pseudo-datasets, fitted in chunks"),
    default=None,
    help="Pseudo-datasets at the signal hypothesis (fitted in chunks: bounded memory).",
)
@click.option(
    "--seed", type=click.IntRange(min=0), default=None, help="Random seed of the toys (needs --toys)."
)
@choice_option(
    "--mode",
    MODES,
    default="standard",
    help="standard: one-sided q0, POI on the signal's side; paper: alternative at the signal value.",
)
@choice_option(
    "--toy-aux",
    TOY_AUX,
    help="Toys' auxiliary data: resampled (pyhf; default) or fixed at nominal (paper). Needs --toys.",
)
@_ENGINE
def discover_command(**kw):
    """Discovery significance Z: observed, median expected (Asimov) and, with --toys, toy mean and median.

    The signal hypothesis is the POI's init in the workspace (mu = 1 for cevns-stats patchsets; ε =
    nsi_lin for a linear-basis workspace, whose signed ε the fast engine profiles).
    """
    from cevns_stats.inference.workflow import discovery_summary

    if kw["toys"] is None and (kw["seed"] is not None or kw["toy_aux"] is not None):
        raise click.UsageError("--seed and --toy-aux need --toys N")
    _check_output(kw["output_file"])
    engine: Engine = "pyhf" if kw["engine"] == "pyhf" else "fast"
    analysis = _load(kw, engine)
    result = discovery_summary(
        analysis,
        mode=kw["mode"],
        toys=kw["toys"],
        seed=kw["seed"],
        toy_aux=kw["toy_aux"] or "resampled",
        engine=engine,
        progress=True,
    )
    if kw["as_json"] or kw["output_file"]:
        write_json_output(result.to_json(), kw["output_file"])
        return
    click.echo(
        f"{analysis.poi} = {analysis.signal:g} ({kw['mode']} mode, {result.engine}): Z observed "
        f"{result.z_observed:.3f}, median expected {result.z_median_expected:.3f}"
    )
    if result.toys is not None:
        t = result.toys
        click.echo(
            f"{t.n_toys} toys (aux {t.toy_aux}): mean Z {_fmt(t.z_mean_toys)}, median Z "
            f"{_fmt(t.z_median_toys)}, failed fits {t.n_failed_fits}"
        )
    _notes(result.notes)


def _notes(notes) -> None:
    for note in notes:
        click.echo(f"note: {note}")


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
@_ENGINE
@click.option(
    "--eps-max", type=FINITE_FLOAT, default=None, help="Signed ε: scan |ε| ≤ this (default: nsi_lin bound)."
)
def limit_command(**kw):
    """Upper limits: CLs (asymptotic q̃μ) on a linear POI, or allowed signed-ε interval(s) (profile likelihood)."""
    from cevns_stats.inference.workflow import EpsIntervals, limit_summary

    if kw["eps_max"] is not None and kw["eps_max"] <= 0:
        raise click.BadParameter("must be > 0", param_hint="--eps-max")
    _check_output(kw["output_file"])
    engine: Engine = "fast" if kw["engine"] == "fast" else "pyhf"
    # an explicit --engine pyhf never compiles the fast engine; signed-ε workspaces need it
    analysis = _load(kw, "pyhf" if kw["engine"] == "pyhf" else "fast")
    if kw["eps_max"] is not None and analysis.kind != "signed-eps":
        raise click.UsageError("--eps-max applies only to linear-basis (signed ε) workspaces")
    result = limit_summary(analysis, cl=kw["cl"], engine=engine, eps_max=kw["eps_max"])
    if kw["as_json"] or kw["output_file"]:
        write_json_output(result.to_json(), kw["output_file"])
        return
    click.echo(f"{result.method}, CL = {kw['cl']:g}")
    if isinstance(result, EpsIntervals):
        click.echo(
            f"observed allowed ε: {_intervals(result.observed_intervals)}; expected (SM Asimov): "
            f"{_intervals(result.expected_intervals)}"
        )
        return
    lim = lambda v: f"{v:.5g}" if v is not None else f"> {result.poi_bound:g} (the POI bound)"  # noqa: E731
    band = dict(zip(("-2", "-1", "0", "+1", "+2"), result.expected_band))
    click.echo(
        f"{analysis.poi} < {lim(result.observed)} observed; expected {lim(band['0'])} "
        f"[-1σ {lim(band['-1'])}, +1σ {lim(band['+1'])}; -2σ {lim(band['-2'])}, +2σ {lim(band['+2'])}]"
    )
    _notes(result.notes)


def _intervals(intervals) -> str:
    return " ∪ ".join(f"[{lo:.5g}, {hi:.5g}]" for lo, hi in intervals) or "none"


@click.command("fit")
@_input_options
@click.option("--minos", multiple=True, metavar="PAR", help="MINOS interval for this parameter (repeatable).")
@plot_option(
    "Write the pre/post-fit spectrum figure (fit_spectrum.png/.pdf) into this directory.",
    dest="plot_dir",
    folder=True,
)
def fit_command(**kw):
    """Maximum-likelihood fit with MINUIT: best fit, HESSE errors, MINOS, correlations, nuisance pulls."""
    from cevns_stats.inference.minuit import fit_workspace

    _check_output(kw["output_file"])
    spec, source = _read(kw)
    result = fit_workspace(
        spec, measurement=kw["measurement"], poi=kw["poi"], minos=kw["minos"], source=source
    )
    if kw["plot_dir"] is not None:
        from cevns_stats.plots.fit import write_fit_spectrum

        paths = write_fit_spectrum(spec, result, kw["plot_dir"], measurement=kw["measurement"])
        click.echo(f"wrote {', '.join(map(str, paths))}", err=True)
    if kw["as_json"] or kw["output_file"]:
        write_json_output(result.to_json(), kw["output_file"])
        return
    click.echo(result.text())


def __dir__() -> list[str]:
    return __all__
