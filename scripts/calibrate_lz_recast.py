"""Derive LZ_SIGNAL_EVENTS_90CL: match the recast to LZ's median SI WIMP sensitivity (PHYSICS.md §11).

For each WIMP mass in LZ's Fig. 5 table (arXiv:2207.03764 v1; reference data in ../shared/data, read
here, never copied) the recast's event count per unit cross section n₁(m) is computed; LZ's median
σ(m) then corresponds to N(m) = σ_LZ(m) · n₁(m) events. The recast limit is the log-least-squares fit
N = exp(mean log N(m)) over 9–40 GeV. Also printed: N and the deviations for other upper window edges,
the deviation per mass range, and the effective background b of an asymptotic Poisson median limit
(s² = z²(b + s), z = 1.2816).

Usage: python scripts/calibrate_lz_recast.py [--data ../shared/data] [--table-efficiency]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from conftest import load_reference_table  # noqa: E402

from cevns_stats.experiments import lz_ws2022 as lz  # noqa: E402

FIT_RANGE_GeV = (9.0, 40.0)
REPORT_RANGES_GeV = ((9.0, 40.0), (40.0, 200.0), (200.0, 1.0e4))
Z_90 = 1.2815515655446004  # one-sided 90 % Gaussian quantile


def efficiency_function(data: Path, use_table: bool):
    if not use_table:
        from cevns_stats.detector.efficiency import LZ_WS2022_EFFICIENCY

        return LZ_WS2022_EFFICIENCY
    table = load_reference_table(data / "lz_ws2022" / "Fig2_NRefficiency.txt")
    return lambda e: np.interp(e, table[:, 0], table[:, 1], left=0.0, right=0.0)


def events_needed(masses, median_cm2, efficiency, window_keV):
    """N(m): the recast's events at LZ's median cross section."""
    one_event_cm2 = lz.wimp_sensitivity_cm2(
        masses, efficiency=efficiency, signal_events_90cl=1.0, window_keV=window_keV
    )
    return median_cm2 / one_event_cm2


def fit_events(masses, needed):
    sel = (masses >= FIT_RANGE_GeV[0]) & (masses <= FIT_RANGE_GeV[1])
    return float(np.exp(np.mean(np.log(needed[sel]))))


def report(masses, needed, n_fit, label):
    deviation = n_fit / needed - 1.0  # recast σ / LZ σ − 1
    ranges = []
    for low, high in REPORT_RANGES_GeV:
        sel = (masses >= low) & (masses <= high)
        ranges.append(f"{low:g}-{high:g} GeV: {deviation[sel].min():+.1%} .. {deviation[sel].max():+.1%}")
    print(f"{label}: N = {n_fit:.3f}; " + "; ".join(ranges))
    return deviation


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument(
        "--table-efficiency",
        action="store_true",
        help="interpolate LZ's efficiency table instead of the package parametrisation",
    )
    args = parser.parse_args()
    table = load_reference_table(args.data / "lz_ws2022" / "Fig5_SpinIndependentLimitandSensitivity.txt")
    masses, median_cm2 = table[:, 0], table[:, 4]
    efficiency = efficiency_function(args.data, args.table_efficiency)

    print("upper window edge scan (N fitted over 9-40 GeV each time):")
    for high in (15.0, 20.0, 25.0, 30.0, 40.0, 60.0, 100.0):
        needed = events_needed(masses, median_cm2, efficiency, (0.0, high))
        report(masses, needed, fit_events(masses, needed), f"  window 0-{high:g} keVnr")

    needed = events_needed(masses, median_cm2, efficiency, lz.LZ_ANALYSIS_WINDOW_keV)
    n_fit = fit_events(masses, needed)
    print(f"\nchosen window {lz.LZ_ANALYSIS_WINDOW_keV} keVnr:")
    deviation = report(masses, needed, n_fit, "  fit")
    report(masses, needed, lz.LZ_SIGNAL_EVENTS_90CL, "  shipped LZ_SIGNAL_EVENTS_90CL")
    print("  per mass (recast/LZ - 1 with the fitted N):")
    print("  " + " ".join(f"{m:g}:{d:+.2f}" for m, d in zip(masses, deviation)))
    background = n_fit**2 / Z_90**2 - n_fit
    print(
        f"\nbackground-free Poisson 90% CL: {lz.POISSON_BACKGROUND_FREE_90CL:.3f} events; "
        f"fitted {n_fit:.3f} = asymptotic median limit with b = {background:.2f} background events"
    )


if __name__ == "__main__":
    main()
