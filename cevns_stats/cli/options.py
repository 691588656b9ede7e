"""Options shared by the commands (detector, model, --json, output) and the helpers that write results."""

from __future__ import annotations

import functools
import itertools
import json
import math
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import click

from cevns_stats.cli.validation import (
    COUPLING,
    EPS,
    EXPOSURE,
    KAPPA,
    LQ_MASS,
    RESOLUTION,
    THRESHOLD,
    check_threshold,
    parse_channel_names,
)
from cevns_stats.detector.presets import PRESETS, make_detector
from cevns_stats.likelihood.files import write_file_atomic
from cevns_stats.physics.fluxes.catalogue import SOLAR_MODELS, get_channels
from cevns_stats.physics.interactions import MODEL_NAMES, make_model

__all__ = [
    "FINITE_FLOAT",
    "MODES",
    "TOY_AUX",
    "build_detector",
    "build_inputs",
    "build_model",
    "choice_option",
    "detector_options",
    "echo_json",
    "echo_result",
    "json_option",
    "model_options",
    "output_option",
    "plot_option",
    "stack_options",
    "write_atomic",
    "write_figure",
    "write_text",
]


class _FiniteFloat(click.ParamType):
    name = "float"

    def convert(self, value, param, ctx):
        try:
            number = float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number", param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return number


FINITE_FLOAT = _FiniteFloat()

#: ``--mode`` and ``--toy-aux`` of ``discover`` and ``reach``: the values of
#: :data:`cevns_stats.inference.discovery.MODES` and ``TOY_AUX``, not imported from there because that loads
#: pyhf for every command (``tests/test_cli_thin.py`` keeps the two equal).
MODES = ("standard", "paper")
TOY_AUX = ("resampled", "fixed")


def stack_options(func, options: Sequence[Callable]):
    """``func`` decorated by ``options`` as if they were written, in this order, above its ``def``."""
    for option in reversed(options):
        func = option(func)
    return func


def choice_option(name: str, choices: Iterable[str], *, default: str | None = None, help: str | None = None):
    """``name`` taking one of ``choices``; a ``default`` is shown in --help (without one the value is None)."""
    choice = click.Choice(list(choices))
    if default is None:
        return click.option(name, type=choice, default=None, help=help)
    return click.option(name, type=choice, default=default, show_default=True, help=help)


def json_option(help: str = "Print one JSON object on stdout."):
    """``--json`` (``as_json``): print the result as one JSON object (:func:`echo_result`) instead of text."""
    return click.option("--json", "as_json", is_flag=True, help=help)


def output_option(dest: str, *, folder: bool, help: str, required: bool = False, default: str | None = None):
    """``--output/-o DEST``: a folder (``folder=True``) or a file path; checked by the command before computing."""
    path = click.Path(file_okay=False) if folder else click.Path(dir_okay=False)
    if default is None:  # click: an explicit default=None would satisfy required=True
        return click.option("--output", "-o", dest, type=path, required=required, help=help)
    return click.option("--output", "-o", dest, type=path, required=required, default=default, help=help)


def plot_option(help: str, *, dest: str = "plot_path", folder: bool = False):
    """``--plot``: where to draw the command's figure (a file whose suffix picks the format, or a folder)."""
    path = click.Path(file_okay=False) if folder else click.Path(dir_okay=False)
    return click.option("--plot", dest, type=path, default=None, help=help)


class _Window(click.ParamType):
    """``LO:HI`` in keV, 0 < LO < HI, both finite."""

    name = "LO:HI"

    def convert(self, value, param, ctx):
        if isinstance(value, tuple):
            return value
        low, sep, high = str(value).partition(":")
        try:
            window = (float(low), float(high))
        except ValueError:
            window = (math.nan, math.nan)
        if not sep or not all(math.isfinite(x) for x in window) or not 0 < window[0] < window[1]:
            self.fail(f"expected LO:HI with 0 < LO < HI [keV], got {value!r}", param, ctx)
        return window


class _Bins(click.ParamType):
    """A bin count N (1–10000) or comma-separated increasing, positive edges [keV]."""

    name = "N|EDGES"

    def convert(self, value, param, ctx):
        if isinstance(value, (int, tuple)):
            return value
        text = str(value).strip()
        if "," not in text:
            try:
                count = int(text)
            except ValueError:
                count = 0
            if not 1 <= count <= 10000:
                self.fail(
                    f"expected a bin count 1..10000 or comma-separated edges, got {value!r}", param, ctx
                )
            return count
        try:
            edges = tuple(float(x) for x in text.split(","))
        except ValueError:
            edges = ()
        ok = len(edges) >= 2 and all(math.isfinite(x) and x > 0 for x in edges)
        if not ok or any(b <= a for a, b in itertools.pairwise(edges)):
            self.fail(f"bin edges must be ≥ 2 positive, increasing energies [keV], got {value!r}", param, ctx)
        return edges


WINDOW = _Window()
BINS = _Bins()


def detector_options(func):
    """--target/--preset, --threshold, --exposure, --efficiency, --resolution, --solar-model, --channels."""
    options = [
        click.option(
            "--target",
            "--preset",
            "target",
            default="xenon",
            show_default=True,
            help=f"Target (xenon, argon, lead, germanium, …, Xe130) or preset ({', '.join(PRESETS)}).",
        ),
        click.option(
            "--threshold",
            type=THRESHOLD,
            default=None,
            help="Threshold E_th [keV] (> 0) of tanh/step; with lz-ws2022 or a table, an extra hard threshold.",
        ),
        click.option("--exposure", type=EXPOSURE, default=None, help="Exposure [tonne·year] (0 < · ≤ 1e6)."),
        click.option(
            "--efficiency",
            default=None,
            help=(
                "tanh | step | lz-ws2022 | PATH of an 'E [keV], efficiency' table "
                "(zero above its last point unless --hold-efficiency)."
            ),
        ),
        click.option(
            "--resolution",
            type=RESOLUTION,
            default=0.1,
            show_default=True,
            help="Relative resolution r (σ = r·E, 0 ≤ r ≤ 1); 0 turns smearing off.",
        ),
        choice_option("--solar-model", SOLAR_MODELS, default="b16-gs98"),
        click.option(
            "--channels",
            default=None,
            help="Comma-separated flux channels, or 'all' (default: solar + DSNB + atmospheric).",
        ),
        click.option(
            "--flux-table",
            multiple=True,
            metavar="CHANNEL=PATH[:shape]",
            help=(
                "Replace a channel's spectrum by an 'E [MeV], dPhi/dE [cm^-2 s^-1 MeV^-1]' table; its own "
                "integral becomes the channel's flux (':shape' keeps the catalogue total). Repeatable."
            ),
        ),
        click.option(
            "--window",
            type=WINDOW,
            default=None,
            metavar="LO:HI",
            help=(
                "Analysis window in reconstructed energy [keV] (default: from the hard threshold or 0.5 keV "
                "to where every selected channel keeps 99.9 % of its events)."
            ),
        ),
        click.option(
            "--bins",
            type=BINS,
            default=None,
            metavar="N|E0,E1,...",
            help="N log bins over the window, or explicit edges [keV] (default: 20 log bins per decade).",
        ),
        click.option(
            "--hold-efficiency",
            is_flag=True,
            help="Efficiency tables: hold the last value above the table (default: zero above its last point).",
        ),
    ]
    return stack_options(func, options)


def model_options(func=None, *, eps_option=None):
    """--model with --eps, --flavour, --quark, --scalar-charge, --kappa, --lq-mass, --lq-coupling.

    ``eps_option`` replaces the single-value ``--eps`` (e.g. by the range of ``cevns-stats reach``).
    """
    if func is None:
        return functools.partial(model_options, eps_option=eps_option)
    eps = eps_option or click.option(
        "--eps", type=EPS, default=0.0, show_default=True, help="NSI coupling ε (|ε| ≤ 10)."
    )
    options = [
        choice_option("--model", MODEL_NAMES, help="New-physics model."),
        eps,
        choice_option("--flavour", ["e", "mu", "tau"], default="mu"),
        choice_option("--quark", ["u", "d", "s"], help="Quark (default d)."),
        choice_option("--scalar-charge", ["cerdeno2016", "nucleon-ff"], default="cerdeno2016"),
        click.option("--kappa", type=KAPPA, default=None, help="Scalar normalisation κ (default 1/√2)."),
        click.option("--lq-mass", type=LQ_MASS, default=None, help="S1 leptoquark mass [GeV] (lq-s1; ≥ 10)."),
        click.option("--lq-coupling", type=COUPLING, default=None, help="S1 coupling λ (lq-s1; 0 ≤ λ ≤ 4π)."),
        click.option(
            "--nsi-propagation/--no-nsi-propagation",
            default=True,
            show_default=True,
            help="Vector NSI and lq-s1: put ε into the solar MSW matter potential too.",
        ),
    ]
    return stack_options(func, options)


def _parse_tables(flux_table) -> dict:
    tables = {}
    for item in flux_table:
        name, sep, path = item.partition("=")
        if not sep or not name or not path:
            raise click.BadParameter(f"expected CHANNEL=PATH, got {item!r}", param_hint="--flux-table")
        tables[name.strip()] = path.strip()
    return tables


def build_detector(kw: dict):
    """Detector and channels from the parsed ``detector_options``."""
    detector = make_detector(
        kw["target"],
        exposure_tonne_year=kw["exposure"],
        threshold_keV=kw["threshold"],
        efficiency=kw["efficiency"],
        resolution=kw["resolution"],
        window_keV=kw.get("window"),
        n_bins=kw.get("bins") if isinstance(kw.get("bins"), int) else None,
        edges_keV=kw.get("bins") if isinstance(kw.get("bins"), tuple) else None,
        hold_efficiency=bool(kw.get("hold_efficiency", False)),
    )
    names = parse_channel_names(kw["channels"])
    channels = get_channels(names, solar_model=kw["solar_model"], tables=_parse_tables(kw["flux_table"]))
    check_threshold(detector, channels)
    return detector, channels


def build_model(kw: dict):
    """The NSI model from the parsed ``model_options`` (``None`` without --model)."""
    if kw["model"] is None:
        return None
    extra = {} if kw["kappa"] is None else {"kappa": kw["kappa"]}
    return make_model(
        kw["model"],
        eps=kw["eps"],
        flavour=kw["flavour"],
        quark=kw["quark"],
        scalar_charge=kw["scalar_charge"],
        lq_mass_GeV=kw["lq_mass"],
        lq_coupling=kw["lq_coupling"],
        nsi_propagation=kw.get("nsi_propagation", True),
        **extra,
    )


def build_inputs(kw: dict):
    """(detector, channels, model) from the parsed ``detector_options`` and ``model_options``."""
    detector, channels = build_detector(kw)
    return detector, channels, build_model(kw)


def write_atomic(path, writer) -> None:
    """Call ``writer(tmp_path)`` then move the file into place (mode 0644): no partial file is ever left.

    See :func:`cevns_stats.likelihood.files.write_file_atomic`; check the destination before computing
    with :mod:`cevns_stats.cli.output`.
    """
    write_file_atomic(path, writer)


def write_text(path, text: str) -> None:
    """Write ``text`` to ``path`` through :func:`write_atomic`, with mode 0666 & ~umask as ``open`` would give."""
    umask = os.umask(0)
    os.umask(umask)

    def writer(tmp) -> None:
        Path(tmp).write_text(text)
        os.chmod(tmp, 0o666 & ~umask)

    write_atomic(path, writer)


def write_figure(path, fig) -> None:
    """Save the matplotlib ``fig`` to ``path`` (format from its suffix) through :func:`write_atomic`."""
    from cevns_stats.plots.common import save_figure

    write_atomic(path, lambda tmp: save_figure(fig, tmp))


def echo_json(obj) -> None:
    """One JSON object on stdout (indent 4, sorted keys, like pyhf's CLI)."""
    json.dump(obj, sys.stdout, indent=4, sort_keys=True)
    sys.stdout.write("\n")


def echo_result(payload: dict, text: Callable[[dict], str], *, as_json: bool) -> None:
    """A command's result on stdout: ``payload`` as one JSON object (``--json``), else ``text(payload)``."""
    if as_json:
        echo_json(payload)
    else:
        click.echo(text(payload))


def __dir__() -> list[str]:
    return __all__
