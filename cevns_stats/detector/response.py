"""Detector response: efficiency × Gaussian smearing folded into binned counts (PHYSICS.md §9).

Counts in reconstructed bin b: exposure × ∫ dE' ε(E') dR/dE'(E') P(b | E'), with
P(b | E') = Φ((hi − E')/σ) − Φ((lo − E')/σ), σ = r·E' (an indicator when r = 0). The E' integral uses
Gauss–Legendre nodes on log-spaced intervals whose breakpoints include every bin edge and the efficiency
threshold, so steps in ε or P never fall inside an interval.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr

from cevns_stats.detector.presets import Detector
from cevns_stats.errors import InvalidInput
from cevns_stats.physics.interactions import NSIModel
from cevns_stats.physics.nuclei import max_recoil_energy_keV
from cevns_stats.physics.oscillation import MixingParameters
from cevns_stats.physics.rates import rate_components, unit_rates

__all__ = [
    "COVERAGE",
    "BinnedRates",
    "binned_rates",
    "default_edges",
    "max_recoil_keV",
    "response_matrix",
    "true_energy_quadrature",
]

#: Fraction of the expected SM events the default window keeps (PHYSICS.md §9).
COVERAGE = 0.999
_GL_ORDER = 6
_N_BREAKPOINTS = 120
_N_SIGMA = 6.0


def true_energy_quadrature(low_keV: float, high_keV: float, extra_breaks=()) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights [keV] for ∫_{low}^{high} dE' on log intervals with extra breakpoints.

    Returns:
        nodes (n,), weights (n,) with n = 6 × number of intervals.
    """
    breaks = np.geomspace(low_keV, high_keV, _N_BREAKPOINTS)
    extra = np.asarray(list(extra_breaks), dtype=float)
    extra = extra[(extra > low_keV) & (extra < high_keV)]
    breaks = np.unique(np.concatenate([breaks, extra]))
    x, w = np.polynomial.legendre.leggauss(_GL_ORDER)
    half = 0.5 * np.diff(breaks)
    mid = 0.5 * (breaks[1:] + breaks[:-1])
    nodes = (mid[:, None] + half[:, None] * x[None, :]).ravel()
    weights = (half[:, None] * w[None, :]).ravel()
    return nodes, weights


def _true_range(edges_keV: np.ndarray, resolution: float) -> tuple[float, float]:
    if resolution == 0:
        return float(edges_keV[0]), float(edges_keV[-1])
    low = edges_keV[0] / (1.0 + _N_SIGMA * resolution)
    high = (
        edges_keV[-1] / (1.0 - _N_SIGMA * resolution) if _N_SIGMA * resolution < 0.75 else 4.0 * edges_keV[-1]
    )
    return float(low), float(high)


def response_matrix(detector: Detector, edges_keV: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Folding matrix from true-energy nodes to reconstructed bins.

    Returns:
        nodes_keV (n,), matrix (n_bins, n) with ε(E'), P(b | E') and the quadrature weights included,
        so that counts per t·yr = matrix @ dR/dE'(nodes).
    """
    edges = np.asarray(edges_keV, dtype=float)
    low, high = _true_range(edges, detector.resolution)
    nodes, weights = true_energy_quadrature(low, high, (*edges, detector.threshold_keV))
    eff = np.clip(detector.efficiency(nodes), 0.0, 1.0)
    if detector.resolution == 0:
        idx = np.searchsorted(edges, nodes, side="right") - 1
        prob = (idx[None, :] == np.arange(edges.size - 1)[:, None]).astype(float)
    else:
        sigma = detector.resolution * nodes
        cdf = ndtr((edges[:, None] - nodes[None, :]) / sigma[None, :])
        prob = np.diff(cdf, axis=0)
    return nodes, prob * (eff * weights)[None, :]


def max_recoil_keV(detector: Detector, channels) -> float:
    """Largest recoil energy any of ``channels`` can produce in the detector's lightest isotope [keV]."""
    lightest = min(detector.target.isotopes, key=lambda i: i.A)
    e_max = max(ch.energy_max_MeV for ch in channels)
    return float(max_recoil_energy_keV(e_max, lightest.mass_GeV))


def _nice_ceiling(value: float) -> float:
    scale = 10.0 ** np.floor(np.log10(value))
    return float(np.ceil(value / scale * 2.0) / 2.0 * scale)


def default_edges(detector: Detector, channels, *, mixing: MixingParameters | None = None) -> np.ndarray:
    """Log-spaced edges from the window floor to where ≥ 99.9 % of the SM events are kept (PHYSICS.md §9).

    Raises:
        InvalidInput: if the window floor (threshold) lies above every recoil endpoint.
    """
    low = detector.window_low_keV
    top = max_recoil_keV(detector, channels)
    if low >= top:
        msg = (
            f"threshold {low:g} keV is above the largest recoil energy ({top:.3g} keV) that the selected "
            f"flux channels can produce in {detector.target.name}; lower the threshold"
        )
        raise InvalidInput(msg)
    fine = np.geomspace(low, min(top, 1.0e4), 600)
    nodes, matrix = response_matrix(detector, fine)
    sm = rate_components(unit_rates(detector.target, channels, nodes, mixing=mixing))[0].sum(axis=0)
    counts = matrix @ sm
    if not np.any(counts > 0):
        msg = (
            f"no events above {low:g} keV in {detector.target.name} with the selected channels and efficiency"
        )
        raise InvalidInput(msg)
    kept = np.cumsum(counts) / counts.sum()
    upper = fine[1:][np.searchsorted(kept, COVERAGE)]
    return np.geomspace(low, _nice_ceiling(upper), detector.n_bins + 1)


@dataclass(frozen=True)
class BinnedRates:
    """Expected counts per bin for the detector's exposure.

    Attributes:
        edges_keV: (n_bins + 1,) reconstructed-energy edges.
        components: (3, n_channels, n_bins): SM, LIN (per unit ε), QUAD (per unit ε²).
        channels: the flux channels (axis 1 order).
        detector: the detector.
        model: the NSI model or ``None``.
    """

    edges_keV: np.ndarray
    components: np.ndarray
    channels: tuple
    detector: Detector
    model: NSIModel | None

    def counts(self, eps: float = 0.0) -> np.ndarray:
        """Counts per channel and bin at ε, (n_channels, n_bins): SM + ε·LIN + ε²·QUAD."""
        sm, lin, quad = self.components
        return sm + eps * lin + eps**2 * quad


def binned_rates(
    detector: Detector,
    channels,
    model: NSIModel | None = None,
    *,
    mixing: MixingParameters | None = None,
    edges_keV=None,
) -> BinnedRates:
    """Binned SM/LIN/QUAD counts per channel for the detector (exposure included)."""
    channels = tuple(channels)
    if edges_keV is None:
        edges_keV = detector.edges_keV
    edges = default_edges(detector, channels, mixing=mixing) if edges_keV is None else np.asarray(edges_keV)
    if edges[0] >= max_recoil_keV(detector, channels):
        msg = f"lowest bin edge {edges[0]:g} keV is above every recoil endpoint in {detector.target.name}"
        raise InvalidInput(msg)
    nodes, matrix = response_matrix(detector, edges)
    comps = rate_components(unit_rates(detector.target, channels, nodes, mixing=mixing), model)
    counts = np.einsum("bn,kcn->kcb", matrix, comps) * detector.exposure_tonne_year
    return BinnedRates(edges, counts, channels, detector, model)


def __dir__() -> list[str]:
    return __all__
