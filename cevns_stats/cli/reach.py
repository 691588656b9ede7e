"""``cevns-stats reach``: discovery reach on an exposure × ε grid (mean toy Z or Asimov Z, 3σ/5σ contours).

Ranges are ``LO:HI:N`` with N ≥ 2 log-spaced values. Exposures are in t·yr (> 0). ε ranges of signed
models (vector NSI, lq-s1) may be negative, e.g. ``--eps -0.5:-0.01:20`` scans ε from −0.01 to −0.5 (|ε|
log-spaced) and restricts the fit to ε ≤ 0; scalar models depend on ε² and take positive ranges only.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import click

from cevns_stats.cli.options import (
    MODES,
    TOY_AUX,
    build_detector,
    build_model,
    choice_option,
    detector_options,
    echo_result,
    json_option,
    model_options,
    plot_option,
    write_atomic,
    write_figure,
)
from cevns_stats.cli.output import check_file_output, check_image_output
from cevns_stats.cli.validation import EXPOSURE, SEED, Count, check_eps_values

#: Most toys per grid point: 10⁶ toys × a few hundred grid points is already hours of fitting.
MAX_TOYS_PER_POINT = 1_000_000

__all__ = ["LogRange", "parse_range", "reach_command"]


def parse_range(text: str, *, positive: bool) -> tuple[float, float, int]:
    """``"LO:HI:N"`` → (LO, HI, N); ValueError with the reason if malformed (N ≥ 2, LO < HI, one sign)."""
    parts = str(text).split(":")
    if len(parts) != 3:
        msg = f"expected LO:HI:N (e.g. 0.1:1e4:20), got {text!r}"
        raise ValueError(msg)
    try:
        low, high = float(parts[0]), float(parts[1])
        n = int(parts[2])
    except ValueError:
        msg = f"LO and HI must be numbers and N an integer in LO:HI:N, got {text!r}"
        raise ValueError(msg) from None
    if not (math.isfinite(low) and math.isfinite(high)):
        msg = f"LO and HI must be finite, got {text!r}"
        raise ValueError(msg)
    if n < 2:
        msg = f"N must be at least 2, got {n} in {text!r}"
        raise ValueError(msg)
    if low >= high:
        msg = f"LO must be smaller than HI, got {text!r}"
        raise ValueError(msg)
    if low * high <= 0 or (positive and low <= 0):
        allowed = "both > 0" if positive else "non-zero and of the same sign (log-spaced |value|)"
        msg = f"LO and HI must be {allowed}, got {text!r}"
        raise ValueError(msg)
    return low, high, n


class LogRange(click.ParamType):
    """A ``LO:HI:N`` option: N log-spaced values, ordered by increasing magnitude (negative ranges allowed
    unless ``positive``)."""

    name = "LO:HI:N"

    def __init__(self, positive: bool):
        self.positive = positive

    def convert(self, value, param, ctx):
        if isinstance(value, list):
            return value
        import numpy as np

        try:
            low, high, n = parse_range(value, positive=self.positive)
        except ValueError as err:
            self.fail(str(err), param, ctx)
        sign = 1.0 if high > 0 else -1.0
        small, large = sorted((abs(low), abs(high)))
        values = (sign * np.geomspace(small, large, n)).tolist()
        hint = param.get_error_hint(ctx) if param is not None else "LO:HI:N"
        if self.positive:  # exposures
            return [EXPOSURE.check(v, hint) for v in values]
        return check_eps_values(values, hint)


def _reach_model_options(func):
    """The shared model options, with --eps replaced by the scanned range."""
    eps = click.option(
        "--eps",
        "eps_values",
        type=LogRange(positive=False),
        required=True,
        help="Injected ε range LO:HI:N (|ε| log-spaced; negative for ε < 0 of signed models).",
    )
    return model_options(func, eps_option=eps)


def _check_usage(kw, toys, asimov, scheduler, workers) -> int:
    if kw["model"] is None:
        raise click.BadParameter("a reach scan needs a new-physics model", param_hint="--model")
    if kw["exposure"] is not None:
        raise click.BadParameter("the exposure is scanned; use --exposures LO:HI:N", param_hint="--exposure")
    if kw["lq_mass"] is not None or kw["lq_coupling"] is not None:
        raise click.BadParameter(
            "reach scans ε itself (lq-s1: ε = −λ²/(4√2 G_F m²)); drop --lq-mass/--lq-coupling",
            param_hint="--lq-mass/--lq-coupling",
        )
    if asimov and toys is not None:
        raise click.BadParameter("give either --toys or --asimov, not both", param_hint="--toys/--asimov")
    if scheduler is not None and workers is not None:
        raise click.BadParameter(
            "give either --scheduler or --workers, not both", param_hint="--scheduler/--workers"
        )
    if kw["model"].startswith("scalar") and kw["eps_values"][0] < 0:
        raise click.BadParameter("scalar models depend on ε² only: give a positive range", param_hint="--eps")
    return 0 if asimov else (600 if toys is None else toys)


def _text(payload: dict) -> str:
    s = payload["settings"]
    lines = [
        f"{s['preset']} {s['model']['model']}, E_th = {s['threshold_keV']:g} keV, "
        + (f"window {s['window_keV'][0]:.3g}–{s['window_keV'][1]:.4g} keV, " if "window_keV" in s else "")
        + f"⁸B {s['b8_events_per_tonne_year']:.3g} events/t·yr; "
        + (
            "Asimov Z"
            if s["asimov"]
            else f"{s['n_toys']} toys ({s['mode']}, aux {s['toy_aux']}), "
            f"{payload['n_failed_fits']} failed fits"
        ),
        f"{'exposure [t·yr]':>16}{'ε(3σ)':>12}{'ε(5σ)':>12}",
    ]
    fmt = lambda v: f"{v:>12.4g}" if v is not None else f"{'—':>12}"  # noqa: E731
    for e, c3, c5 in zip(payload["exposures"], payload["contours"]["3"], payload["contours"]["5"]):
        lines.append(f"{e:>16.4g}{fmt(c3)}{fmt(c5)}")
    return "\n".join(lines)


@click.command("reach")
@detector_options
@_reach_model_options
@click.option(
    "--exposures",
    "exposures",
    type=LogRange(positive=True),
    required=True,
    help="Exposure range LO:HI:N [t·yr], log-spaced.",
)
@click.option(
    "--toys",
    type=Count(1, MAX_TOYS_PER_POINT, why="toys per grid point"),
    default=None,
    help="Toys per grid point [default: 600].",
)
@click.option("--asimov", is_flag=True, help="Asimov (median) Z instead of toys (fast).")
@click.option(
    "--seed", type=SEED, default=0, show_default=True, help="Master seed ≥ 0 (per-point seeds derived)."
)
@choice_option(
    "--mode", MODES, default="standard", help="standard: one-sided q0; paper: t at the injected ε."
)
@choice_option(
    "--toy-aux",
    TOY_AUX,
    default="resampled",
    help="Auxiliary flux data of toys: resampled (pyhf) or fixed at 1 (the paper).",
)
@click.option("--scheduler", default=None, help="Address of a Dask scheduler to run the grid on.")
@click.option(
    "--workers", type=click.IntRange(min=1), default=None, help="Start a local Dask cluster (N processes)."
)
@json_option()
@click.option(
    "--output", "output", type=click.Path(dir_okay=False), default=None, help="Also write the JSON here."
)
@plot_option("Draw the reach map (PNG/PDF by suffix).")
def reach_command(
    exposures,
    eps_values,
    toys,
    asimov,
    seed,
    mode,
    toy_aux,
    scheduler,
    workers,
    as_json,
    output,
    plot_path,
    **kw,
):
    """Discovery reach on an exposure × ε grid: mean toy Z (or Asimov Z) with 3σ/5σ contours."""
    n_toys = _check_usage({**kw, "eps_values": eps_values}, toys, asimov, scheduler, workers)
    check_file_output(output, "--output")
    check_image_output(plot_path, "--plot")
    detector, channels = build_detector({**kw, "exposure": 1.0})
    model = build_model({**kw, "eps": 0.0})
    from cevns_stats.experiments.projections import reach_setup
    from cevns_stats.inference.distributed import dask_client
    from cevns_stats.inference.reach import reach_grid

    setup = reach_setup(detector, channels, model, preset=kw["target"])
    with dask_client(scheduler, workers) as client:
        result = reach_grid(
            setup,
            exposures,
            eps_values,
            n_toys=n_toys,
            asimov=asimov,
            seed=seed,
            mode=mode,
            toy_aux=toy_aux,
            client=client,
            progress=not as_json,
        )
    payload = result.to_json()
    if output:
        write_atomic(output, lambda tmp: Path(tmp).write_text(json.dumps(payload, indent=4, sort_keys=True)))
    if plot_path:
        from cevns_stats.plots.reach import plot_reach

        write_figure(plot_path, plot_reach(payload).figure)
    echo_result(payload, _text, as_json=as_json)


def __dir__() -> list[str]:
    return __all__
