"""Settings of ``cevns-stats paper``: the quick and the full reproduction of arXiv:2307.15736 §5 (PHYSICS.md §12).

Everything a figure depends on is here, so a results file records its settings by name and a reader can
tell a quick run (few toys, coarse grids; minutes on 2 cores) from the full one (600 toys per point, the
paper's choice).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = [
    "ATMOSPHERIC_UNCERTAINTIES",
    "CLAIM_EXPOSURE_TONNE_YEAR",
    "FULL",
    "LQ_EXPERIMENTS",
    "LQ_EXPOSURES_TONNE_YEAR",
    "MODELS",
    "QUICK",
    "TARGETS",
    "PaperConfig",
    "REFERENCE_THRESHOLD_keV",
    "THRESHOLDS_keV",
]

#: Targets of the reach figures: Fig. 5 (xenon, DARWIN-like), Fig. 7 (argon, ARGO-like), Fig. 8 (lead).
TARGETS = {"xenon": "Fig5", "argon": "Fig7", "lead": "Fig8"}

#: The four panels of each reach figure: (panel key, model name, model options) — PHYSICS.md §12 benchmarks.
MODELS: tuple[tuple[str, str, dict[str, str]], ...] = (
    ("scalar-universal", "scalar-universal", {}),
    ("scalar-minimal", "scalar-minimal", {"flavour": "mu", "quark": "d"}),
    ("vector-universal", "vector-universal", {"quark": "d"}),
    ("vector-minimal", "vector-minimal", {"flavour": "mu", "quark": "d"}),
)

#: Thresholds of the tanh efficiency (fixed a, b; PHYSICS.md §9) drawn in the scalar-universal panels.
THRESHOLDS_keV = (1.0, 2.0, 3.0, 4.0, 5.0)

#: The threshold of the toy-based (mean Z) contours and of the minimal/vector panels (the paper's 2 keV).
REFERENCE_THRESHOLD_keV = 2.0

#: Atmospheric flux uncertainties of the scalar-universal variants (paper: 50 % default, 20 %, 5 %).
ATMOSPHERIC_UNCERTAINTIES = (0.5, 0.2, 0.05)

#: Fixed exposure [t·yr] at which the paper's claims (threshold gain, minimal vs universal) are evaluated.
CLAIM_EXPOSURE_TONNE_YEAR = 100.0

#: Exposures [t·yr] of the projected leptoquark bounds (Figs 6 and 9), besides each preset's own.
LQ_EXPOSURES_TONNE_YEAR = (10.0, 100.0, 1000.0)

#: Future detectors of Fig. 9 (``cevns_stats.experiments.leptoquark.EXPERIMENTS`` names).
LQ_EXPERIMENTS = ("darwin", "argo", "lead")


class PaperConfig(NamedTuple):
    """Grids and toy counts of one run.

    Attributes:
        name: ``quick`` or ``full``.
        curve_exposures_tonne_year: (n,) exposures [t·yr] of the Asimov 3σ/5σ curves.
        grid_exposures_tonne_year: (m,) exposures [t·yr] of the toy grid (mean-Z contours).
        n_eps: number of log-spaced |ε| values of the toy grid (its range is set from the Asimov curves).
        n_toys: toys per grid point (the paper: 600).
        toy_aux: ``fixed`` (the paper's toys: auxiliary flux measurements at nominal) or ``resampled``.
        mode: ``paper`` (alternative at the injected ε) or ``standard`` (one-sided q0).
        seed: master seed of every toy grid.
    """

    name: str
    curve_exposures_tonne_year: np.ndarray
    grid_exposures_tonne_year: np.ndarray
    n_eps: int
    n_toys: int
    toy_aux: str = "fixed"
    mode: str = "paper"
    seed: int = 20230728

    def describe(self) -> dict:
        """JSON-ready settings."""
        return {
            "name": self.name,
            "curve_exposures_tonne_year": self.curve_exposures_tonne_year.tolist(),
            "grid_exposures_tonne_year": self.grid_exposures_tonne_year.tolist(),
            "n_eps": self.n_eps,
            "n_toys": self.n_toys,
            "toy_aux": self.toy_aux,
            "mode": self.mode,
            "seed": self.seed,
        }


#: Coarse grids and 100 toys per point: the README's main job (≤ 5 minutes on 2 cores).
QUICK = PaperConfig("quick", np.geomspace(0.1, 1.0e4, 6), np.geomspace(0.1, 1.0e4, 6), 6, 100)

#: The paper's statistics: 600 toys per point of a 20 × 20 exposure × ε grid (PHYSICS.md §12).
FULL = PaperConfig("full", np.geomspace(0.1, 1.0e4, 26), np.geomspace(0.1, 1.0e4, 20), 20, 600)


def __dir__() -> list[str]:
    return __all__
