"""Detectors: target, exposure, efficiency, resolution, threshold and binning; named presets (PHYSICS.md §9).

Presets:

* ``lz-ws2022`` — natural Xe, 0.903 t·yr (5.5 t × 60 live days), the project's parametrisation of LZ's
  WS2022 NR efficiency (PHYSICS.md §11);
* ``xenon``, ``argon``, ``lead`` — generic detectors with the tanh efficiency of §9 (a, b fixed from the
  LZ fit) and a threshold E_th in 1–5 keV (default 1 keV), 1 t·yr unless told otherwise;
* ``darwin`` (Xe, 200 t·yr), ``argo`` (Ar, 3000 t·yr), ``lead-future`` (Pb, 1000 t·yr) — the paper's
  future-detector projections (exposures: DARWIN 40 t × 5 yr; ARGO 300 t × 10 yr; the lead exposure is
  our choice, the paper quotes none).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from cevns_stats.detector.efficiency import efficiency_from_name
from cevns_stats.errors import InvalidInput, UnknownName
from cevns_stats.physics.nuclei import Target, get_target

__all__ = [
    "BINS_PER_DECADE",
    "DEFAULT_RESOLUTION",
    "PRESETS",
    "THRESHOLD_EFFICIENCIES",
    "Detector",
    "make_detector",
]

#: σ(E) = r·E with r = 0.1 by default (PHYSICS.md §9).
DEFAULT_RESOLUTION = 0.1
#: Log-spaced analysis bins per decade of reconstructed energy in the default window (PHYSICS.md §9):
#: 20 per decade is a bin width of 12 %, about one σ of the default resolution, so the ⁸B region
#: (0.5–5 keV, 20 bins) and the atmospheric tail (to 100–1000 keV) are both resolved.
BINS_PER_DECADE = 20
#: Efficiency models that take a threshold E_th; any other efficiency (a measured table, the LZ
#: parametrisation) applies a user threshold as an extra hard threshold in reconstructed energy.
THRESHOLD_EFFICIENCIES = ("tanh", "step")
#: Lowest reconstructed energy of the default analysis window [keV] (PHYSICS.md §9).
WINDOW_FLOOR_KEV = 0.5


@dataclass(frozen=True)
class Detector:
    """A detector configuration (plain data; efficiency is a callable of true recoil energy [keV]).

    Attributes:
        name: preset or user name.
        target: the target material.
        exposure_tonne_year: exposure [t·yr] (> 0).
        threshold_keV: E_th of the efficiency model [keV].
        efficiency_name: ``tanh``, ``step``, ``lz-ws2022`` or a table path.
        efficiency: ε(E_true) callable, values in [0, 1].
        resolution: r in σ = r·E (0 turns smearing off).
        analysis_threshold_keV: optional hard lower edge of the window in reconstructed energy.
        edges_keV: reconstructed-energy bin edges, or ``None`` for the default window.
        n_bins: number of log bins of the window, or ``None`` for ``BINS_PER_DECADE`` per decade.
        window_keV: (low, high) reconstructed-energy window [keV], or ``None`` for the default window
            (PHYSICS.md §9: from the hard threshold or 0.5 keV up to where every channel keeps 99.9 %).
    """

    name: str
    target: Target
    exposure_tonne_year: float
    threshold_keV: float
    efficiency_name: str
    efficiency: Callable[[np.ndarray], np.ndarray]
    resolution: float = DEFAULT_RESOLUTION
    analysis_threshold_keV: float | None = None
    edges_keV: tuple[float, ...] | None = None
    n_bins: int | None = None
    window_keV: tuple[float, float] | None = None

    @property
    def uses_threshold(self) -> bool:
        """Whether ``threshold_keV`` acts: in the efficiency (tanh, step) or as the hard analysis threshold."""
        return self.efficiency_name in THRESHOLD_EFFICIENCIES or self.analysis_threshold_keV is not None

    @property
    def window_low_keV(self) -> float:
        """Lower edge of the default window: the hard threshold (step or analysis), else 0.5 keV."""
        if self.window_keV is not None:
            if self.analysis_threshold_keV is not None:
                return max(self.window_keV[0], self.analysis_threshold_keV)
            return self.window_keV[0]
        if self.analysis_threshold_keV is not None:
            return self.analysis_threshold_keV
        if self.efficiency_name == "step":
            return self.threshold_keV
        return WINDOW_FLOOR_KEV

    def describe(self) -> dict:
        """Plain-dict settings for metadata and JSON (every result records them; PHYSICS.md §12)."""
        return {
            "name": self.name,
            "target": self.target.name,
            "exposure_tonne_year": self.exposure_tonne_year,
            "threshold_keV": self.threshold_keV if self.uses_threshold else None,
            "efficiency": self.efficiency_name,
            "efficiency_beyond_table": getattr(self.efficiency, "beyond", None),
            "resolution": self.resolution,
            "analysis_threshold_keV": self.analysis_threshold_keV,
            "edges_keV": list(self.edges_keV) if self.edges_keV is not None else None,
            "n_bins": self.n_bins,
            "window_keV": list(self.window_keV) if self.window_keV is not None else None,
        }


# name: (target, exposure t·yr, efficiency, default threshold keV)
PRESETS = {
    "lz-ws2022": ("xenon", 0.903, "lz-ws2022", 1.0),
    "xenon": ("xenon", 1.0, "tanh", 1.0),
    "argon": ("argon", 1.0, "tanh", 1.0),
    "lead": ("lead", 1.0, "tanh", 1.0),
    "darwin": ("xenon", 200.0, "tanh", 1.0),
    "argo": ("argon", 3000.0, "tanh", 1.0),
    "lead-future": ("lead", 1000.0, "tanh", 1.0),
}


def _positive(value, what: str, *, allow_zero: bool = False) -> float:
    try:
        value = float(value)
    except (TypeError, ValueError):
        value = math.nan
    if not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        bound = "≥ 0" if allow_zero else "> 0"
        msg = f"{what} must be a finite number {bound}, got {value}"
        raise InvalidInput(msg)
    return value


def make_detector(
    preset_or_target: str = "xenon",
    *,
    exposure_tonne_year: float | None = None,
    threshold_keV: float | None = None,
    efficiency: str | None = None,
    resolution: float = DEFAULT_RESOLUTION,
    analysis_threshold_keV: float | None = None,
    edges_keV=None,
    n_bins: int | None = None,
    window_keV=None,
    hold_efficiency: bool = False,
) -> Detector:
    """A validated detector from a preset name (``PRESETS``) or any target name, with overrides.

    ``threshold_keV`` is the E_th of the tanh and step efficiencies. With an efficiency that has no
    threshold parameter (``lz-ws2022``, a table), a given ``threshold_keV`` is applied as an extra hard
    threshold in reconstructed energy (``analysis_threshold_keV``), never ignored.
    ``hold_efficiency`` holds a table's last value above its last point (default: zero there).

    Raises:
        UnknownName: unknown preset/target or efficiency name.
        InvalidInput: non-positive exposure, negative threshold or resolution, bad edges or bin count.
    """
    if preset_or_target in PRESETS:
        target_name, exposure0, efficiency0, threshold0 = PRESETS[preset_or_target]
    else:
        try:
            get_target(preset_or_target)
        except UnknownName as err:
            msg = f"{err}; or a preset: {', '.join(PRESETS)}"
            raise UnknownName(msg) from None
        target_name, exposure0, efficiency0, threshold0 = preset_or_target, 1.0, "tanh", 1.0
    exposure = _positive(exposure0 if exposure_tonne_year is None else exposure_tonne_year, "exposure [t·yr]")
    threshold = _positive(threshold0 if threshold_keV is None else threshold_keV, "threshold [keV]")
    resolution = _positive(resolution, "resolution r", allow_zero=True)
    if analysis_threshold_keV is not None:
        analysis_threshold_keV = _positive(analysis_threshold_keV, "analysis threshold [keV]")
    if n_bins is not None and not (isinstance(n_bins, int) and 1 <= n_bins <= 10000):
        msg = f"number of bins must be an integer in 1..10000, got {n_bins!r}"
        raise InvalidInput(msg)
    edges = _validate_edges(edges_keV)
    window = _validate_window(window_keV)
    name = efficiency or efficiency0
    if name not in THRESHOLD_EFFICIENCIES and threshold_keV is not None:
        # no E_th in this efficiency: the user's threshold becomes a hard threshold (PHYSICS.md §9)
        hard = threshold if analysis_threshold_keV is None else max(threshold, analysis_threshold_keV)
        analysis_threshold_keV = hard
    return Detector(
        preset_or_target,
        get_target(target_name),
        exposure,
        threshold,
        name,
        efficiency_from_name(name, threshold, hold=hold_efficiency),
        resolution,
        analysis_threshold_keV,
        edges,
        n_bins,
        window,
    )


def _validate_edges(edges_keV) -> tuple[float, ...] | None:
    if edges_keV is None:
        return None
    edges = np.asarray(edges_keV, dtype=float)
    if (
        edges.ndim != 1
        or edges.size < 2
        or not np.all(np.isfinite(edges))
        or np.any(np.diff(edges) <= 0)
        or edges[0] <= 0
    ):
        msg = "bin edges must be ≥ 2 finite, positive, strictly increasing energies [keV]"
        raise InvalidInput(msg)
    return tuple(float(e) for e in edges)


def _validate_window(window_keV) -> tuple[float, float] | None:
    if window_keV is None:
        return None
    window = np.asarray(window_keV, dtype=float)
    if window.shape != (2,) or not np.all(np.isfinite(window)) or not 0 < window[0] < window[1]:
        msg = f"the window must be two finite energies 0 < LO < HI [keV], got {window_keV!r}"
        raise InvalidInput(msg)
    return (float(window[0]), float(window[1]))


def with_edges(detector: Detector, edges_keV) -> Detector:
    """``detector`` with explicit bin edges."""
    return dataclasses.replace(detector, edges_keV=_validate_edges(edges_keV))


def __dir__() -> list[str]:
    return __all__
