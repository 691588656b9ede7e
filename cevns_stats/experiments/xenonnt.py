"""XENONnT solar ⁸B CEvNS recast from the collaboration's binned data release (docs/recasts.md).

Data: the XENONnT release XENONnT/cevns_data_release (CC-BY-4.0; PRL 133, 191002 (2024), arXiv:2408.02877 for
SR0+SR1; arXiv:2604.06002 for SR0–SR2; Zenodo 10.5281/zenodo.20576156), shipped as the compact derived arrays
of ``cevns_stats/experiments/data/xenonnt/`` (built by ``scripts/build_xenonnt_response.py``; attribution,
licence and commit in that folder's README.md).

Likelihood: one pyhf channel per science run (``xenonnt_sr0`` …), 81 bins — the release's 3×3×3×3 binning in
(cS2, S2 shadow quantile, S1 BDT score, S2 BDT score) flattened in C order, bin = ((i_cs2·3 + i_shadow)·3 +
i_s1)·3 + i_s2 — with the observed events, and

* backgrounds (release templates [events/(t·yr)] × livetime): ``xenonnt_ac`` (accidental coincidences,
  normsys ``xenonnt_ac_<run>``: 9.04 % SR0, 5.76 % SR1 — XENONnT's public statistical model — and, for SR2,
  which that model predates, the SR1 value 5.76 %, SR2 using SR1's AC modelling), ``xenonnt_er`` (100 %,
  see below, per run ``xenonnt_er_<run>``) and ``xenonnt_neutron`` (radiogenic neutrons, normsys
  ``xenonnt_neutron`` 58 %, correlated across runs, and the yield shape nuisances);
* CEvNS signal per flux channel (default ⁸B and hep; other channels give no recoil above 0.5 keV in the
  release's 0.5–5 keV range): our recoil spectrum dR/dE (``physics.rates``: SM, LIN, QUAD) folded with the
  mono-energetic NR efficiencies ε_b(E) of the release, E = 0.5, 0.6, …, 5.0 keVnr, linearly interpolated in
  E (nothing below 0.5 keV or above 5 keV): N_b = livetime · ∫ dR/dE · ε_b(E) dE. Each signal sample
  carries ``nu_flux_<k>`` (normsys, our flux uncertainty) and ``xenonnt_signal_efficiency`` (25 %).
* Light- and charge-yield nuisances ``xenonnt_tly``, ``xenonnt_tqy``: histosys from the release's ±1σ
  variants, on the signal and neutron samples (both NR) of every run — one parameter each, correlated across
  samples and runs (they parametrise the xenon NR yield model, not a run condition).

A 100 % rate uncertainty: a normsys with lo = 0 is impossible (pyhf's code 4 takes ln(lo)), and lo = 0.5,
hi = 2 would change the constraint to a log-normal. ``xenonnt_er_<run>`` is therefore a histosys with hi =
2 × and lo = 0 × nominal: for symmetric variations pyhf's code 4p is exactly linear, ER = (1 + α)·nominal
with a unit Gaussian on α, and its bounds [−1, 5] keep the rate ≥ 0 — a Gaussian truncated at zero rate.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np

from cevns_stats.errors import InvalidInput, UnknownName
from cevns_stats.experiments.recast_channel import RecastChannel, json_numbers
from cevns_stats.physics.fluxes.catalogue import get_channels
from cevns_stats.physics.interactions import NSIModel
from cevns_stats.physics.nuclei import get_target
from cevns_stats.physics.rates import rate_components, unit_rates

__all__ = [
    "AC_UNCERTAINTY",
    "DEFAULT_FLUX_CHANNELS",
    "ER_UNCERTAINTY",
    "NEUTRON_UNCERTAINTY",
    "RUNS",
    "SIGNAL_EFFICIENCY_UNCERTAINTY",
    "XenonntRun",
    "fold_weights",
    "load_run",
    "parse_runs",
    "signal_events",
    "xenonnt_channels",
]

log = logging.getLogger(__name__)

RUNS = ("sr0", "sr1", "sr2")
DEFAULT_FLUX_CHANNELS = ("8B", "hep")
#: Accidental-coincidence rate uncertainty per run (XENONnT public statistical model; SR2: SR1's value).
AC_UNCERTAINTY = {"sr0": 0.0904, "sr1": 0.0576, "sr2": 0.0576}
ER_UNCERTAINTY = 1.0
NEUTRON_UNCERTAINTY = 0.58
SIGNAL_EFFICIENCY_UNCERTAINTY = 0.25
ER_BOUNDS = (-1.0, 5.0)
YIELD_NUISANCES = ("xenonnt_tly", "xenonnt_tqy")
_NODES_PER_INTERVAL = 8
#: The ``XenonntRun`` arrays stored as they are in ``<run>.npz``, under their field names.
_STORED_ARRAYS = (
    "mono_energy_keV",
    "mono_efficiency",
    "ac_rate",
    "er_rate",
    "neutron_rate",
    "observed",
    "bin_edges",
)


@dataclass(frozen=True)
class XenonntRun:
    """Derived release arrays of one science run (see ``scripts/build_xenonnt_response.py``).

    Attributes:
        name: ``sr0``, ``sr1`` or ``sr2``.
        livetime_tonne_year: exposure [t·yr].
        mono_energy_keV: (46,) mono-energetic NR energies [keVnr].
        mono_efficiency: (5, 46, 81) efficiency per bin, variants (t_ly, t_qy) = (0,0), (+1,0), (−1,0), (0,+1), (0,−1).
        ac_rate, er_rate: (81,) backgrounds [events/(t·yr)].
        neutron_rate: (5, 81) neutron background per yield variant [events/(t·yr)].
        observed: (81,) observed counts.
        bin_edges: (4, 4) edges; axis_names: (4,).
    """

    name: str
    livetime_tonne_year: float
    mono_energy_keV: np.ndarray
    mono_efficiency: np.ndarray
    ac_rate: np.ndarray
    er_rate: np.ndarray
    neutron_rate: np.ndarray
    observed: np.ndarray
    bin_edges: np.ndarray
    axis_names: tuple[str, ...]

    def background_events(self) -> dict[str, np.ndarray]:
        """Nominal background expectation per component (81,) [events]: rate × livetime."""
        lt = self.livetime_tonne_year
        return {"ac": self.ac_rate * lt, "er": self.er_rate * lt, "neutron": self.neutron_rate[0] * lt}


def parse_runs(runs) -> tuple[str, ...]:
    """Runs from ``"sr0,sr1"`` or an iterable; validated, unique, in release order."""
    names = [r.strip().lower() for r in (runs.split(",") if isinstance(runs, str) else runs) if r.strip()]
    unknown = [r for r in names if r not in RUNS]
    if unknown or not names:
        msg = f"unknown or no XENONnT science runs {unknown or names!r}; allowed: {', '.join(RUNS)} (comma separated)"
        raise UnknownName(msg)
    return tuple(r for r in RUNS if r in names)


@lru_cache(maxsize=3)
def load_run(name: str) -> XenonntRun:
    """The derived arrays of run ``name`` from the package data (cached)."""
    (name,) = parse_runs([name])
    path = resources.files("cevns_stats.experiments") / "data" / "xenonnt" / f"{name}.npz"
    with resources.as_file(path) as file, np.load(file, allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    return XenonntRun(
        name=name,
        livetime_tonne_year=float(arrays["livetime_tonne_year"]),
        axis_names=tuple(str(a) for a in arrays["axis_names"]),
        **{k: arrays[k] for k in _STORED_ARRAYS},
    )


def fold_weights(mono_energy_keV) -> tuple[np.ndarray, np.ndarray]:
    """Quadrature nodes E_n [keV] (N,) and weights W (N, M) with ∫ f(E) ε(E) dE = Σ_n f(E_n) Σ_k W_nk ε_k.

    ε(E) is the linear interpolation of the M mono-energetic values ε_k (zero outside [E_0, E_{M−1}]);
    Gauss–Legendre (8 nodes) on every interval, exact for polynomial f of degree ≤ 14.

    Example:
        >>> e, w = fold_weights([0.5, 0.6, 0.7])
        >>> round(float(np.sum(w @ np.ones(3))), 12)  # ∫_{0.5}^{0.7} 1 dE
        0.2
    """
    grid = np.asarray(mono_energy_keV, dtype=float)
    x, wq = np.polynomial.legendre.leggauss(_NODES_PER_INTERVAL)
    t = 0.5 * (x + 1.0)
    width = np.diff(grid)
    nodes = (grid[:-1, None] + width[:, None] * t[None, :]).ravel()
    weights = np.zeros((nodes.size, grid.size))
    rows = np.arange(nodes.size).reshape(width.size, -1)
    base = (0.5 * width[:, None] * wq[None, :]).ravel()
    left = np.repeat(np.arange(width.size), _NODES_PER_INTERVAL)
    weights[rows.ravel(), left] = base * np.tile(1.0 - t, width.size)
    weights[rows.ravel(), left + 1] = base * np.tile(t, width.size)
    return nodes, weights


def signal_events(
    run: XenonntRun, flux_channels, model: NSIModel | None = None, *, mixing=None
) -> np.ndarray:
    """CEvNS events per yield variant, component, flux channel and bin, (5, 3, K, 81).

    Components SM, LIN (per unit ε), QUAD (per unit ε²) of ``rate_components`` (natural xenon) folded with
    the run's mono-energetic efficiencies (:func:`fold_weights`) × livetime.
    """
    energy, weights = fold_weights(run.mono_energy_keV)
    comps = rate_components(unit_rates(get_target("xenon"), flux_channels, energy, mixing=mixing), model)
    per_energy = np.einsum("ckn,nm->ckm", comps, weights)  # (3, K, 46) events/(t·yr) per unit efficiency
    return run.livetime_tonne_year * np.einsum("ckm,vmb->vckb", per_energy, run.mono_efficiency)


def _histosys(name: str, nominal: np.ndarray, hi: np.ndarray, lo: np.ndarray) -> dict:
    return {
        "name": name,
        "type": "histosys",
        "data": {"hi_data": json_numbers(hi), "lo_data": json_numbers(lo)},
    }


def _backgrounds(run: XenonntRun) -> tuple[dict, ...]:
    lt, sigma_ac = run.livetime_tonne_year, AC_UNCERTAINTY[run.name]
    ac, er = run.ac_rate * lt, run.er_rate * lt
    neutron = run.neutron_rate * lt
    return (
        {
            "name": "xenonnt_ac",
            "data": json_numbers(ac),
            "modifiers": [
                {
                    "name": f"xenonnt_ac_{run.name}",
                    "type": "normsys",
                    "data": {"hi": 1 + sigma_ac, "lo": 1 - sigma_ac},
                }
            ],
        },
        {
            "name": "xenonnt_er",
            "data": json_numbers(er),
            "modifiers": [
                _histosys(f"xenonnt_er_{run.name}", er, (1 + ER_UNCERTAINTY) * er, (1 - ER_UNCERTAINTY) * er)
            ],
        },
        {
            "name": "xenonnt_neutron",
            "data": json_numbers(neutron[0]),
            "modifiers": [
                {
                    "name": "xenonnt_neutron",
                    "type": "normsys",
                    "data": {"hi": 1 + NEUTRON_UNCERTAINTY, "lo": 1 - NEUTRON_UNCERTAINTY},
                },
                *(
                    _histosys(n, neutron[0], neutron[1 + 2 * j], neutron[2 + 2 * j])
                    for j, n in enumerate(YIELD_NUISANCES)
                ),
            ],
        },
    )


def xenonnt_channels(
    runs=RUNS, *, model: NSIModel | None = None, flux_channels=DEFAULT_FLUX_CHANNELS, channel_objects=None
) -> list[RecastChannel]:
    """One :class:`RecastChannel` per science run (see the module docstring).

    Args:
        runs: runs (``"sr0,sr1"`` or a list); default all three.
        model: NSI model for LIN/QUAD (``make_model``); ``None``: SM only (LIN = QUAD = 0).
        flux_channels: flux channel names (default ⁸B and hep).
        channel_objects: ``FluxChannel`` objects to use instead (e.g. another solar model); overrides names.

    Raises:
        UnknownName: unknown run or flux channel.
    """
    chans = tuple(channel_objects) if channel_objects is not None else get_channels(list(flux_channels))
    if not chans:
        raise InvalidInput("need at least one flux channel")
    out = []
    for name in parse_runs(runs):
        run = load_run(name)
        signal = signal_events(run, chans, model)
        log.debug("xenonnt %s: SM CEvNS events %s", name, signal[0, 0].sum(axis=-1))
        out.append(
            RecastChannel(
                name=f"xenonnt_{name}",
                observed=run.observed,
                backgrounds=_backgrounds(run),
                flux_channels=tuple(ch.name for ch in chans),
                flux_uncertainties=tuple(float(ch.uncertainty) for ch in chans),
                flux_nuisances=tuple(ch.nuisance for ch in chans),
                signal=signal,
                histosys=YIELD_NUISANCES,
                signal_normsys=(
                    (
                        "xenonnt_signal_efficiency",
                        1 + SIGNAL_EFFICIENCY_UNCERTAINTY,
                        1 - SIGNAL_EFFICIENCY_UNCERTAINTY,
                    ),
                ),
                parameters=({"name": f"xenonnt_er_{name}", "bounds": [list(ER_BOUNDS)]},),
                metadata={
                    "experiment": "XENONnT",
                    "run": name,
                    "livetime_tonne_year": run.livetime_tonne_year,
                    "model": None if model is None else model.describe(),
                },
            )
        )
    return out


def __dir__() -> list[str]:
    return __all__
