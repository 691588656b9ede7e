"""Validation of command-line values at the boundary: finite numbers in physically motivated ranges.

Takes the raw option strings; gives floats and integers that the library can use, or a click usage error
(one ``Error:`` line, exit status 2) whose message gives the value, the allowed range and why. Where a
value is allowed but outside the regime the paper studies, a ``Warning:`` line on stderr says so.

The ranges (one place for each):

* ε (NSI coupling, in units of G_F): |ε| ≤ 10. An NSI ten times the Fermi interaction already multiplies
  the CEvNS rate by ~3 × 10³ (vector NSI, xenon, d quark), long excluded by every CEvNS measurement; the
  rate formula is exact in ε (SM + ε·LIN + ε²·QUAD, PHYSICS.md §4–5) but such a result would only be
  nonsense. |ε| > 1 (stronger than the weak interaction itself) gives a warning.
* resolution r (σ = r·E): 0 ≤ r ≤ 1. Beyond σ = E a Gaussian response puts most of each recoil at negative
  energy: it no longer describes a detector (PHYSICS.md §9 uses r = 0.1).
* exposure: 0 < exposure ≤ 10⁶ t·yr (a thousand times the largest planned detector).
* κ (scalar normalisation, PHYSICS.md §5): 0 < κ ≤ 10.
* S1 mass: m_S1 ≥ 10 GeV, where the contact (four-fermion) approximation holds: the momentum transfer of
  CEvNS is below 0.2 GeV (PHYSICS.md §6).
* S1 coupling: 0 ≤ λ ≤ 4π (tree level; the perturbativity proxy √(4π) gives a warning).
"""

from __future__ import annotations

import math

import click
import numpy as np

from cevns_stats.experiments.lq_overlays import PERTURBATIVITY_PROXY

__all__ = [
    "COUPLING",
    "EPS",
    "EPS_MAX_ABS",
    "EPS_WARN_ABS",
    "EXPOSURE",
    "KAPPA",
    "LQ_MASS",
    "RESOLUTION",
    "SEED",
    "THRESHOLD",
    "Count",
    "RangedFloat",
    "check_eps_values",
    "check_threshold",
    "parse_channel_names",
]

#: Largest |ε| a command accepts, and the |ε| above which it warns (see the module docstring).
EPS_MAX_ABS = 10.0
EPS_WARN_ABS = 1.0
RESOLUTION_MAX = 1.0
EXPOSURE_MAX_TONNE_YEAR = 1.0e6
KAPPA_MAX = 10.0
LQ_MASS_MIN_GeV = 10.0
LQ_COUPLING_MAX = 4.0 * math.pi


def _number(value: float) -> str:
    """``1``, ``0.5``, ``12.57``, ``1e6``: short and plain."""
    if not math.isfinite(value) or abs(value) < 1e4:
        return f"{value:.4g}"
    return f"{value:.3g}".replace("e+0", "e").replace("e+", "e")


def _count(value: int) -> str:
    """``1 000 000``: digits grouped by spaces."""
    return f"{value:,}".replace(",", " ")


class RangedFloat(click.ParamType):
    """A finite float in [low, high] (either end optional, ``low_open`` for > low); the message says why.

    ``warn_above``: a ``Warning:`` line on stderr for |value| above it, stating ``regime``.
    """

    name = "float"

    def __init__(
        self,
        low: float | None = None,
        high: float | None = None,
        *,
        low_open: bool = False,
        symmetric: bool = False,
        why: str = "",
        warn_above: float | None = None,
        regime: str = "",
    ):
        self.low, self.high, self.low_open, self.symmetric = low, high, low_open, symmetric
        self.why, self.warn_above, self.regime = why, warn_above, regime

    @property
    def _high(self) -> float:
        return math.inf if self.high is None else self.high

    def allowed(self) -> str:
        """The allowed range in words, e.g. ``|value| ≤ 10`` or ``≥ 0 and ≤ 1``."""
        if self.symmetric:
            return f"of magnitude ≤ {_number(self._high)}"
        parts = []
        if self.low is not None:
            parts.append(f"{'>' if self.low_open else '≥'} {_number(self.low)}")
        if self.high is not None:
            parts.append(f"≤ {_number(self.high)}")
        return " and ".join(parts)

    def check(self, number: float, param_hint: str) -> float:
        """``number`` if it is finite and in range, else ``click.BadParameter`` naming the range."""
        ok = math.isfinite(number)
        if ok and self.symmetric:
            ok = abs(number) <= self._high
        elif ok:
            if self.low is not None:
                ok = number > self.low if self.low_open else number >= self.low
            if self.high is not None:
                ok = ok and number <= self.high
        if not ok:
            why = f" ({self.why})" if self.why else ""
            msg = f"{_number(number)} is not allowed: need a finite number {self.allowed()}{why}"
            raise click.BadParameter(msg, param_hint=param_hint)
        if self.warn_above is not None and abs(number) > self.warn_above:
            name = param_hint.strip("'")
            # one line on stderr like the Error: lines (a CLI message, not a library log record)
            click.echo(f"Warning: {name} = {number:g}: {self.regime}", err=True)
        return number

    def convert(self, value, param, ctx):
        if isinstance(value, float):
            number = value
        else:
            try:
                number = float(value)
            except (TypeError, ValueError):
                self.fail(f"{value!r} is not a number", param, ctx)
        hint = param.get_error_hint(ctx) if param is not None else "value"
        return self.check(number, hint)


class Count(click.ParamType):
    """A whole number in [low, high]; accepts ``1e6``-style literals, and says the range when out of it."""

    name = "integer"

    def __init__(self, low: int = 1, high: int | None = None, *, why: str = ""):
        self.low, self.high, self.why = low, high, why

    def convert(self, value, param, ctx):
        if isinstance(value, int):
            number = value
        else:
            try:
                number = int(str(value))
            except ValueError:
                try:
                    as_float = float(value)
                except ValueError:
                    self.fail(f"{value!r} is not a whole number", param, ctx)
                if not (math.isfinite(as_float) and as_float.is_integer()):
                    self.fail(f"{value!r} is not a whole number", param, ctx)
                number = int(as_float)
        if number < self.low or (self.high is not None and number > self.high):
            high = "" if self.high is None else f" and ≤ {_count(self.high)}"
            why = f" ({self.why})" if self.why else ""
            msg = f"{_count(number)} is out of range: need a whole number ≥ {_count(self.low)}{high}{why}"
            self.fail(msg, param, ctx)
        return number


EPS = RangedFloat(
    high=EPS_MAX_ABS,
    symmetric=True,
    why=(
        "ε is in units of G_F; an NSI ten times the Fermi interaction already changes the CEvNS rate by "
        "~10³, excluded by every CEvNS measurement"
    ),
    warn_above=EPS_WARN_ABS,
    regime="|ε| > 1 is an NSI stronger than the weak interaction itself, far outside the regime the paper "
    "studies (the rate, SM + ε·LIN + ε²·QUAD, is still exact)",
)
RESOLUTION = RangedFloat(
    0.0,
    RESOLUTION_MAX,
    why=(
        "σ = r·E; beyond σ = E a Gaussian response puts most of each recoil at negative energy; "
        "0 = no smearing"
    ),
)
THRESHOLD = RangedFloat(0.0, low_open=True, why="efficiency threshold E_th in keV")
EXPOSURE = RangedFloat(
    0.0,
    EXPOSURE_MAX_TONNE_YEAR,
    low_open=True,
    why="t·yr; 10⁶ t·yr is a thousand times the largest planned detector",
)
KAPPA = RangedFloat(
    0.0, KAPPA_MAX, low_open=True, why="scalar normalisation; the paper's choices are 1/√2 and 1"
)
LQ_MASS = RangedFloat(
    LQ_MASS_MIN_GeV,
    why="GeV; the contact approximation needs m_S1 ≫ the CEvNS momentum transfer (< 0.2 GeV)",
)
COUPLING = RangedFloat(
    0.0,
    LQ_COUPLING_MAX,
    why="ε depends on λ²; beyond 4π the tree-level relation ε = −λ²/(4√2 G_F m²) does not hold",
    warn_above=PERTURBATIVITY_PROXY,
    regime="λ above the perturbativity proxy √(4π) ≈ 3.54",
)
SEED = click.IntRange(0, 2**32 - 1)


def check_eps_values(values, param_hint: str) -> list[float]:
    """Every ε of a grid or range through :data:`EPS`: the first offending value is named, one warning."""
    values = [float(v) for v in values]
    for value in values:
        if not (math.isfinite(value) and abs(value) <= EPS_MAX_ABS):
            EPS.check(value, param_hint)
    if values:
        EPS.check(max(values, key=abs), param_hint)
    return values


def parse_channel_names(text: str | None, param_hint: str = "--channels"):
    """``None``, ``"all"`` or a list of names from a comma-separated ``--channels`` value."""
    if text is None:
        return None
    if text.strip() == "all":
        return "all"
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        msg = f"no channel names in {text!r}; give comma-separated names (e.g. 8B,atm_numu) or 'all'"
        raise click.BadParameter(msg, param_hint=param_hint)
    return names


def check_threshold(detector, channels) -> None:
    """Refuse an E_th that leaves no events; warn when only a soft efficiency's tail below E_th is left.

    A hard cut (step efficiency, or E_th applied to a measured table) at or above the largest recoil the
    channels give leaves nothing: ``click.BadParameter``. The tanh efficiency is not a hard threshold
    (PHYSICS.md §9): recoils below E_th still pass through its tail, so there the count is computed and a
    ``Warning:`` line states that regime; only an efficiency below 1e-9 at the largest recoil is refused.
    """
    from cevns_stats.detector.response import max_recoil_keV

    if not getattr(detector, "uses_threshold", True):  # e.g. LZ's table without --threshold
        return
    top = max_recoil_keV(detector, channels)
    if detector.threshold_keV < top:
        return
    e_max = max(ch.energy_max_MeV for ch in channels)
    where = (
        f"threshold {_number(detector.threshold_keV)} keV is above the largest possible recoil in "
        f"{detector.target.name}, {_number(top)} keV (E_ν up to {e_max:g} MeV in the selected channels)"
    )
    tail = float(np.max(detector.efficiency(np.array([top]))))
    if detector.efficiency_name == "tanh" and tail > 1e-9 and top > detector.window_low_keV:
        click.echo(
            f"Warning: {where}; events come only from the tanh efficiency's tail below E_th "
            f"(ε = {tail:.2g} at {_number(top)} keV)",
            err=True,
        )
        return
    msg = f"{where}; give E_th < {_number(top)} keV"
    if top <= detector.window_low_keV:
        msg = f"{where}, and below the window floor {_number(detector.window_low_keV)} keV: select channels with more energetic neutrinos"
    raise click.BadParameter(msg, param_hint="--threshold")


def __dir__() -> list[str]:
    return __all__
