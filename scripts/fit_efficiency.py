"""Reproduce the fitted efficiency coefficients in cevns_stats/efficiency.py (PHYSICS.md §9, §11).

Usage::

    python scripts/fit_efficiency.py [path/to/Fig2_NRefficiency.txt]

The default path is LZ's WS2022 NR efficiency table (PRL 131 (2023) 041002, Fig. 2 data) in
``../shared/data/lz_ws2022/`` beside the project root. Prints the tanh (a, b, E_th) and the
coefficients of ``LZ_WS2022_EFFICIENCY`` with their residuals.

Fit choices (documented in efficiency.py):

* tanh: a, b and E_th fitted together by least squares over 0–40 keV (above 40 keV LZ's S1 region
  of interest rolls the efficiency off, which a tanh cannot follow), residuals in 1–6 keV — where
  xenon's ⁸B recoils live — weighted ×3 (×9 in χ²).
* LZ parametrisation: absolute residuals at every table point, plus two penalty terms asking the
  ⁸B-weighted integrals to match the table's: one with an approximate xenon ⁸B recoil weight
  exp(−(E/1.24 keV)^2.32) and one with exp(−E/1.3 keV) on 1–10 keV.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from scipy.optimize import least_squares

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cevns_stats.detector.efficiency import LogisticRiseEfficiency, TanhEfficiency
from cevns_stats.physics.tables import read_table

DEFAULT_TABLE = (
    Path(__file__).resolve().parents[2] / "shared" / "data" / "lz_ws2022" / "Fig2_NRefficiency.txt"
)

#: Fit range of the tanh [keV] and the up-weighted ⁸B window [keV] with its residual weight.
TANH_FIT_MAX_KEV = 40.0
B8_WINDOW_KEV = (1.0, 6.0)
B8_WINDOW_WEIGHT = 3.0

#: Approximate shape of the xenon ⁸B CEvNS recoil spectrum, exp(−(E/E1)^k): a fit by this project to
#: the spectrum computed from PHYSICS.md §3 with the Winter et al. 2006 ⁸B shape (good to ~30 % over
#: 0.5–3.5 keV; used only as a fit weight).
B8_XENON_SCALE_KEV = 1.24
B8_XENON_POWER = 2.32
#: The simpler exponential weight exp(−E/1.3 keV) on 1–10 keV also used by the tests.
EXPONENTIAL_SCALE_KEV = 1.3
PENALTY_WEIGHT = 1.0


def fit_tanh(energy_keV: np.ndarray, efficiency: np.ndarray):
    """Fit (a, b [1/keV], E_th [keV]) of the tanh efficiency; returns (params, residuals over the fit range)."""
    in_range = energy_keV <= TANH_FIT_MAX_KEV
    in_window = (energy_keV >= B8_WINDOW_KEV[0]) & (energy_keV <= B8_WINDOW_KEV[1])
    weight = np.where(in_window, B8_WINDOW_WEIGHT, 1.0)[in_range]
    energy, target = energy_keV[in_range], efficiency[in_range]

    def residuals(params):
        return weight * (TanhEfficiency(*params)(energy) - target)

    bounds = ([1e-3, 1e-3, 0.0], [1.0, 10.0, 20.0])
    params = least_squares(residuals, [0.9, 0.3, 4.5], bounds=bounds).x
    return params, TanhEfficiency(*params)(energy) - target


def b8_weights(energy_keV: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The two ⁸B-like weights (approximate xenon spectrum; exponential on 1–10 keV) at the table energies."""
    xenon = np.exp(-((energy_keV / B8_XENON_SCALE_KEV) ** B8_XENON_POWER))
    window = (energy_keV >= 1.0) & (energy_keV <= 10.0)
    exponential = np.where(window, np.exp(-energy_keV / EXPONENTIAL_SCALE_KEV), 0.0)
    return xenon, exponential


def fit_lz_parametrisation(energy_keV: np.ndarray, efficiency: np.ndarray):
    """Fit LogisticRiseEfficiency's 7 coefficients; returns (params, residuals at every point)."""
    weights = b8_weights(energy_keV)

    def residuals(params):
        model = LogisticRiseEfficiency(*params)(energy_keV)
        penalties = [PENALTY_WEIGHT * (np.sum(model * w) / np.sum(efficiency * w) - 1.0) for w in weights]
        return np.concatenate([model - efficiency, penalties])

    start = [0.9, 1.0, np.e, 0.5, 1.0, 53.0, 8.0]
    bounds = ([0.1, 0.0, 0.1, 0.05, 0.05, 20.0, 0.5], [1.0, 3.0, 20.0, 3.0, 10.0, 100.0, 30.0])
    params = least_squares(residuals, start, bounds=bounds, max_nfev=20000).x
    return params, LogisticRiseEfficiency(*params)(energy_keV) - efficiency


def _rms(values: np.ndarray) -> float:
    return float(np.sqrt(np.mean(values**2)))


def main(path: Path = DEFAULT_TABLE) -> None:
    table = read_table(path, what="LZ efficiency table")
    energy, efficiency = table[:, 0], table[:, 1]
    (a, b, threshold), tanh_residuals = fit_tanh(energy, efficiency)
    fitted = energy[energy <= TANH_FIT_MAX_KEV]
    in_window = (fitted >= B8_WINDOW_KEV[0]) & (fitted <= B8_WINDOW_KEV[1])
    print(f"TANH_PLATEAU_A = {a:.4f}")
    print(f"TANH_STEEPNESS_B_PER_KEV = {b:.4f}")
    print(f"TANH_LZ_FIT_THRESHOLD_KEV = {threshold:.3f}")
    print(f"  RMS residual 0-{TANH_FIT_MAX_KEV:g} keV: {_rms(tanh_residuals):.4f}; ", end="")
    print(
        f"1-6 keV: {_rms(tanh_residuals[in_window]):.4f}; max |residual| {np.abs(tanh_residuals).max():.4f}"
    )
    params, lz_residuals = fit_lz_parametrisation(energy, efficiency)
    names = (
        "plateau",
        "onset_keV",
        "centre_keV",
        "log_width",
        "asymmetry",
        "rolloff_keV",
        "rolloff_width_keV",
    )
    print("LZ_WS2022_EFFICIENCY = LogisticRiseEfficiency(")
    for name, value in zip(names, params):
        print(f"    {name}={value:.4g},")
    print(")")
    print(
        f"  max |residual| {np.abs(lz_residuals).max():.4f}, RMS {_rms(lz_residuals):.4f} over {energy.size} points"
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_TABLE)
