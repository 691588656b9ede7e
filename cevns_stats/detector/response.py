"""Detector response: efficiency × Gaussian smearing folded into binned counts (PHYSICS.md §9).

Counts in reconstructed bin b: exposure × ∫ dE' ε(E') dR/dE'(E') P(b | E'), with
P(b | E') = Φ((hi − E')/σ) − Φ((lo − E')/σ), σ = r·E' (an indicator when r = 0). The E' integral uses
Gauss–Legendre nodes on log-spaced intervals whose breakpoints include every bin edge and the efficiency
threshold, so steps in ε or P never fall inside an interval.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr

from cevns_stats.detector.efficiency import TableEfficiency
from cevns_stats.detector.presets import BINS_PER_DECADE, Detector
from cevns_stats.errors import InvalidInput
from cevns_stats.physics.interactions import NSIModel
from cevns_stats.physics.nuclei import helm_zero_recoil_keV, max_recoil_energy_keV
from cevns_stats.physics.oscillation import MixingParameters
from cevns_stats.physics.rates import rate_components, unit_rates

__all__ = [
    "COVERAGE",
    "BinnedRates",
    "beyond_table_fraction",
    "binned_rates",
    "channel_coverage_keV",
    "default_edges",
    "form_factor_cap_keV",
    "max_recoil_keV",
    "response_matrix",
    "true_energy_quadrature",
]

log = logging.getLogger(__name__)

#: Fraction of the expected SM events *of every selected flux channel* the default window keeps
#: (PHYSICS.md §9; per channel, not of their sum).
COVERAGE = 0.999
#: The scalar-kernel spectrum (∝ E_R, harder than the SM) must keep 99.95 % below the window top, so
#: that a scalar-NSI signal loses < 0.1 % per channel above it, its tail beyond the cap included.
_SCALAR_COVERAGE = 0.9995
#: The window never extends beyond this zero of the Helm form factor (of the lightest isotope): past
#: the third zero the rate is in the fourth lobe, where F² < 1e-5 of its value at q = 0 (PHYSICS.md §9);
#: the second zero would cut 0.2–0.7 % of the scalar-NSI signal of the atmospheric channels (Xe, Pb).
_FORM_FACTOR_CAP_ZERO = 3
#: Fraction of a channel's expected signal beyond an efficiency table's last point above which we warn.
_BEYOND_TABLE_WARNING = 0.01
_N_FINE = 400
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


def _nodes_and_weights(detector: Detector, edges: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    low, high = _true_range(edges, detector.resolution)
    efficiency = detector.efficiency
    extra = (*edges, detector.threshold_keV)
    if isinstance(efficiency, TableEfficiency):
        extra = (*extra, efficiency.last_energy_keV)
    return true_energy_quadrature(low, high, extra)


def response_matrix(detector: Detector, edges_keV: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Folding matrix from true-energy nodes to reconstructed bins.

    Returns:
        nodes_keV (n,), matrix (n_bins, n) with ε(E'), P(b | E') and the quadrature weights included,
        so that counts per t·yr = matrix @ dR/dE'(nodes).
    """
    edges = np.asarray(edges_keV, dtype=float)
    nodes, weights = _nodes_and_weights(detector, edges)
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


def form_factor_cap_keV(detector: Detector) -> float:
    """Recoil energy [keV] where the form factor kills the rate: its third zero in the lightest isotope."""
    lightest = min(detector.target.isotopes, key=lambda i: i.A)
    return helm_zero_recoil_keV(lightest, _FORM_FACTOR_CAP_ZERO)


def _round_up(value: float) -> float:
    """``value`` rounded up to two significant digits (206.3 → 210)."""
    scale = 10.0 ** (np.floor(np.log10(value)) - 1.0)
    return float(f"{np.ceil(value / scale - 1e-9) * scale:.12g}")  # 6.1, not 6.1000000000000005


def channel_coverage_keV(
    detector: Detector, channels, *, mixing: MixingParameters | None = None
) -> dict[str, float]:
    """Per channel, the reconstructed energy [keV] below which it keeps ≥ 99.9 % of its SM events.

    Counted from the window floor with the detector's efficiency and smearing, up to the form-factor
    cap (:func:`form_factor_cap_keV`) or the channel's recoil endpoint. Channels with no events above
    the floor are left out. The scalar-kernel spectrum (harder by a factor E_R) is covered to 99.95 %, so a
    scalar-NSI signal loses < 0.1 % per channel above the window.

    Returns:
        {channel name: energy [keV]}; empty when no channel has events above the floor.
    """
    low = detector.window_low_keV
    cap = form_factor_cap_keV(detector)
    top = min(max_recoil_keV(detector, channels), cap)
    if low >= top:
        return {}
    fine = np.geomspace(low, top, _N_FINE)
    nodes, matrix = response_matrix(detector, fine)
    unit = unit_rates(detector.target, channels, nodes, mixing=mixing)
    sm = rate_components(unit)[0]
    mass_numbers = np.array([iso.A for iso in detector.target.isotopes], dtype=float)
    scalar = np.einsum("i,cfie->ce", mass_numbers**2, unit.scalar)  # Q_S ∝ A: shape of any scalar model
    counts = np.concatenate([sm, scalar]) @ matrix.T  # (2 n_channels, n_fine − 1), one product
    totals = counts.sum(axis=1)
    kept = np.cumsum(counts, axis=1) / np.where(totals > 0, totals, 1.0)[:, None]
    coverage = np.repeat([COVERAGE, _SCALAR_COVERAGE], len(channels))
    at = np.minimum((kept < coverage[:, None]).sum(axis=1), fine.size - 2)
    reach = np.where(totals > 0, fine[at + 1], -np.inf).reshape(2, len(channels)).max(axis=0)
    out = {ch.name: float(top_keV) for ch, top_keV in zip(channels, reach) if np.isfinite(top_keV)}
    return out


def _log_edges(low: float, high: float, n_bins: int | None) -> np.ndarray:
    if n_bins is None:
        n_bins = max(1, int(np.ceil(BINS_PER_DECADE * np.log10(high / low) - 1e-9)))
    return np.geomspace(low, high, n_bins + 1)


def default_edges(detector: Detector, channels, *, mixing: MixingParameters | None = None) -> np.ndarray:
    """Log-spaced edges of the analysis window (PHYSICS.md §9).

    The window runs from the floor (``detector.window_low_keV``: the hard threshold, or 0.5 keV) to
    the explicit ``detector.window_keV`` top, or by default to where **every** selected channel with
    events above the floor keeps ≥ 99.9 % of its events (:func:`channel_coverage_keV`), capped at the
    form factor's third zero and rounded up to two significant digits. Adding a channel can only
    widen the window; a channel's own count then grows by < 0.1 % (its tail beyond its 99.9 % point).
    ``detector.n_bins`` log bins, or ``BINS_PER_DECADE`` per decade.

    Raises:
        InvalidInput: if the window floor (threshold) lies above every recoil endpoint, or no channel
            has events above it.
    """
    low = detector.window_low_keV
    if detector.window_keV is not None:
        return _log_edges(low, detector.window_keV[1], detector.n_bins)
    top = max_recoil_keV(detector, channels)
    if low >= top:
        msg = (
            f"threshold {low:g} keV is above the largest recoil energy ({top:.3g} keV) that the selected "
            f"flux channels can produce in {detector.target.name}; lower the threshold"
        )
        raise InvalidInput(msg)
    coverage = channel_coverage_keV(detector, channels, mixing=mixing)
    if not coverage:
        msg = (
            f"no events above {low:g} keV in {detector.target.name} with the selected channels and efficiency"
        )
        raise InvalidInput(msg)
    upper = min(_round_up(max(coverage.values())), _round_up(form_factor_cap_keV(detector)))
    log.debug("analysis window %g–%g keV (per-channel 99.9 %% points: %s)", low, upper, coverage)
    return _log_edges(low, upper, detector.n_bins)


def beyond_table_fraction(
    detector: Detector, channels, *, mixing: MixingParameters | None = None
) -> dict[str, float]:
    """Per channel, the fraction of its expected SM signal above an efficiency table's last point.

    The signal is counted in true recoil energy from the window floor to the form-factor cap, with the
    table's last value held beyond its last point (what is lost if the efficiency is zero there).
    Empty for efficiencies that are not tables, or when the table reaches past every recoil.

    Returns:
        {channel name: fraction in [0, 1]} for the channels with a signal above the floor.
    """
    efficiency = detector.efficiency
    if not isinstance(efficiency, TableEfficiency):
        return {}
    channels = tuple(channels)
    low = detector.window_low_keV
    high = min(max_recoil_keV(detector, channels), form_factor_cap_keV(detector))
    last = efficiency.last_energy_keV
    if low >= high or last >= high:
        return {}
    nodes, weights = true_energy_quadrature(low, high, (last,))
    sm = rate_components(unit_rates(detector.target, channels, nodes, mixing=mixing))[0]  # (n_ch, n)
    held = TableEfficiency(efficiency.energy_keV, efficiency.efficiency, hold=True)
    signal = sm * (weights * np.clip(held(nodes), 0.0, 1.0))[None, :]
    total = signal.sum(axis=1)
    beyond = signal[:, nodes > last].sum(axis=1)
    return {ch.name: float(b / t) for ch, b, t in zip(channels, beyond, total) if t > 0}


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
    """Binned SM/LIN/QUAD counts per channel for the detector (exposure included).

    With a vector model whose ``nsi_propagation`` is on, solar flavour fractions are those at the
    model's ε (NSI in the solar matter potential), so SM + ε·LIN + ε²·QUAD is exact at that ε.
    """
    channels = tuple(channels)
    if edges_keV is None:
        edges_keV = detector.edges_keV
    edges = default_edges(detector, channels, mixing=mixing) if edges_keV is None else np.asarray(edges_keV)
    if edges[0] >= max_recoil_keV(detector, channels):
        msg = f"lowest bin edge {edges[0]:g} keV is above every recoil endpoint in {detector.target.name}"
        raise InvalidInput(msg)
    nodes, matrix = response_matrix(detector, edges)
    nsi = None if model is None else model.matter_nsi()
    comps = rate_components(unit_rates(detector.target, channels, nodes, mixing=mixing, nsi=nsi), model)
    efficiency = detector.efficiency
    if isinstance(efficiency, TableEfficiency):
        fractions = beyond_table_fraction(detector, channels, mixing=mixing)
        lost = {name: f for name, f in fractions.items() if f > _BEYOND_TABLE_WARNING}
        if lost:
            log.warning(
                "more than 1 %% of the expected signal lies above the efficiency table's last point (%g keV), "
                "where the efficiency is taken as %s: %s",
                efficiency.last_energy_keV,
                "its last value" if efficiency.hold else "zero (hold it with --hold-efficiency)",
                ", ".join(f"{name} {100.0 * f:.1f} %" for name, f in lost.items()),
            )
    counts = np.einsum("bn,kcn->kcb", matrix, comps) * detector.exposure_tonne_year
    return BinnedRates(edges, counts, channels, detector, model)


def __dir__() -> list[str]:
    return __all__
