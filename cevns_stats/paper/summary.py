"""The Markdown summary table of ``cevns-stats paper`` (from the results dict only)."""

from __future__ import annotations

import math

from cevns_stats.paper.claims import eps_at_exposure
from cevns_stats.paper.config import (
    CLAIM_EXPOSURE_TONNE_YEAR,
    LQ_EXPERIMENTS,
    TARGETS,
    REFERENCE_THRESHOLD_keV,
)
from cevns_stats.plots.lq import EXPERIMENT_LABELS

__all__ = ["summary_markdown"]


def _fmt(value, digits: int = 3) -> str:
    """A number as a person writes it: 3 significant digits, plain digits from 0.001 to 10⁵, "—" if missing.

    >>> _fmt(0.00656), _fmt(1000.0), _fmt(0.903), _fmt(None), _fmt(2.5e-5)
    ('0.00656', '1000', '0.903', '—', '2.5 × 10⁻⁵')
    """
    if value is None or not math.isfinite(value):
        return "—"
    if value != 0 and not 1e-3 <= abs(value) < 1e5:
        mantissa, exponent = f"{value:.{digits - 1}e}".split("e")
        mantissa = mantissa.rstrip("0").rstrip(".")
        return f"{mantissa} × 10{str(int(exponent)).translate(_SUPERSCRIPT)}"
    text = f"{value:.{digits}g}"
    if "e" in text:  # e.g. 1e+03 from :g
        text = f"{value:.0f}"
    return text


def _ordered(mapping: dict, order) -> list[str]:
    """The keys of ``mapping`` in ``order``, then any others as they come."""
    return [k for k in order if k in mapping] + [k for k in mapping if k not in order]


def _yes_no(value) -> str:
    return {True: "yes", False: "no"}.get(value, "—")


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")
_PANEL_HEADERS = {
    "scalar-universal": "scalar, flavour-universal",
    "scalar-minimal": "scalar, minimal (ν_μ, d)",
    "vector-universal": "vector, flavour-universal (d)",
    "vector-minimal": "vector, minimal (ν_μ, d)",
}


def _reach_table(reach: dict) -> list[str]:
    label = f"E_th = {REFERENCE_THRESHOLD_keV:g} keV"
    rows = [
        (
            f"## Discovery reach: Asimov 3σ |ε| at {CLAIM_EXPOSURE_TONNE_YEAR:g} t·yr (E_th = "
            f"{REFERENCE_THRESHOLD_keV:g} keV; vector: ε < 0)"
        ),
        "",
        "| target | ⁸B events per t·yr | " + " | ".join(_PANEL_HEADERS.values()) + " |",
        "|---|---|---|---|---|---|",
    ]
    for target in _ordered(reach, TARGETS):  # the paper's order, also after a JSON round trip (sorted keys)
        panels = reach[target]
        b8 = panels["scalar-minimal"]["asimov_curves"][0]["b8_events_per_tonne_year"]
        cells = [_fmt(eps_at_exposure(panels[k], label)) if k in panels else "—" for k in _PANEL_HEADERS]
        rows.append(f"| {target} | {_fmt(b8)} | " + " | ".join(cells) + " |")
    return rows


def _claims_table(claims: dict) -> list[str]:
    gains = claims["threshold_gain_5_to_1_keV"]
    rows = [
        "",
        "## The paper's claims (§5.2), evaluated",
        "",
        "| claim | our numbers | holds |",
        "|---|---|---|",
        (
            f"| xenon 5 → 1 keV improves the scalar-universal 3σ reach ≥ 2× | gain {_fmt(gains.get('xenon'))} | "
            f"{_yes_no(claims['xenon_threshold_gain_at_least_2']['holds'])} |"
        ),
        "| argon gains less than xenon and lead | "
        + ", ".join(f"{t} {_fmt(gains[t])}" for t in _ordered(gains, TARGETS))
        + f" | {_yes_no(claims['argon_gains_less_than_xenon_and_lead']['holds'])} |",
    ]
    ratios = claims["minimal_weaker_than_universal"]["minimal_over_universal_eps"]
    text = "; ".join(
        f"{t}: scalar {_fmt(ratios[t]['scalar'])}, vector {_fmt(ratios[t]['vector'])}"
        for t in _ordered(ratios, TARGETS)
    )
    rows.append(
        f"| minimal (ν_μ, d) weaker than universal (ε ratio > 1) | {text} | "
        f"{_yes_no(claims['minimal_weaker_than_universal']['holds'])} |"
    )
    return rows


def _bound_text(bound: dict) -> str:
    """What a bound is, in words: observed or expected, with its ⁸B normalisation or exposure choice."""
    label = bound["label"].replace("$^8$B", "⁸B")
    if bound.get("experiment") == "lz-ws2022":
        return "observed, " + label.split(", ", 1)[-1].strip("()") if ", " in label else "observed " + label
    return "expected (Asimov median)" + (", the preset's exposure" if "preset" in label else "")


def _lq_table(lq: dict) -> list[str]:
    rows = [
        "",
        "## S₁ leptoquark: excluded λ at m(S₁) = 1 TeV (90 % CL)",
        "",
        "| experiment | bound | exposure [t·yr] | λ(1 TeV), ν_μ | λ(1 TeV), ν_τ |",
        "|---|---|---|---|---|",
    ]
    for experiment in _ordered(lq, ("lz-ws2022", *LQ_EXPERIMENTS)):
        flavours = lq[experiment]
        pairs = sorted(
            zip(flavours["mu"], flavours["tau"]),
            key=lambda pair: (pair[0].get("linestyle") == "--", pair[0]["exposure_tonne_year"]),
        )
        name = EXPERIMENT_LABELS.get(experiment, experiment)
        for mu, tau in pairs:
            rows.append(
                f"| {name} | {_bound_text(mu)} | {_fmt(mu['exposure_tonne_year'])} | "
                f"{_fmt(mu['lambda_at_1TeV'])} | {_fmt(tau['lambda_at_1TeV'])} |"
            )
    return rows


def summary_markdown(results: dict) -> str:
    """The Markdown summary: reach table, the claims and the leptoquark bounds, with the run's settings."""
    config = results["settings"]["config"]
    head = [
        "# cevns-stats paper results",
        "",
        (
            f"Run `{config['name']}`: {config['n_toys']} toys per grid point ({config['mode']} mode, "
            f"auxiliary data {config['toy_aux']}), cevns-stats {results['settings']['version']}."
        ),
        "",
    ]
    return (
        "\n".join(
            head
            + _reach_table(results["reach"])
            + _claims_table(results["claims"])
            + _lq_table(results["lq"])
        )
        + "\n"
    )


def __dir__() -> list[str]:
    return __all__
