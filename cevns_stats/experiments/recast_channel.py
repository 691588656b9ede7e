"""One analysis channel of a real-data recast, and pyhf workspaces and publications assembled from such channels.

A :class:`RecastChannel` holds what a recast of a published measurement contributes to a likelihood: the
observed counts, its background samples (complete pyhf samples, with the experiment's own nuisances), and the
CEvNS signal per flux channel k and component (SM, LIN per unit ε, QUAD per unit ε², as in
:mod:`cevns_stats.likelihood.templates`) — nominal and, for each detector shape nuisance (``histosys``), its
+1σ and −1σ variants. Every signal sample carries the flux nuisance ``nu_flux_<k>`` (a ``normsys``, hi/lo =
1 ± σ_k, exactly as :func:`cevns_stats.likelihood.workspace.flux_sample`), the channel's signal ``normsys``
(e.g. an efficiency) and its ``histosys`` built from the variants with the same component weights. So the
XENONnT, PandaX-4T and LZ channels combine by name with each other and with our projections.

Forms of :func:`build_recast_workspace` (sample names as in :mod:`cevns_stats.likelihood.workspace`):

* ``"flux"`` — the ⁸B flux measurement: samples ``SM_k``; ``SM_8B`` carries the POI ``mu_8B`` = Φ(⁸B) /
  Φ_B16-GS98 (5.46×10⁶ cm⁻² s⁻¹) in [0, 20] and its ``nu_flux_8B`` is fixed at α = 0 (factor 1), so the fitted flux is
  the data's, free of the solar-model prior; measurement ``cevns_b8_flux``.
* ``"linear"`` — vector NSI / S1 leptoquark: ``SM_k``, ``LIN_k`` (``nsi_lin`` = ε), ``QUAD_k`` (``nsi_quad`` =
  ε²), both fixed as in ``workspace.build_workspace(form="linear")``; the fast engine ties them
  (``CompiledModel.tied``) to profile ε. Scalar NSI uses this form too (LIN = 0, rate ∝ ε²).

:func:`build_recast_publication` writes the HEPData form of :mod:`cevns_stats.likelihood.publish`: BkgOnly
(``SM_k`` + backgrounds, the **observed** data, measurement ``cevns_nsi_patch``, POI ``mu`` declared only by
the patches, init 1 and bounds [0, 10] as every cevns-stats publication) and a patchset whose patch at each
grid point adds ``NSI_k`` = ε·LIN_k + ε²·QUAD_k (with the same modifiers as the SM sample) scaled by ``mu``;
where destructive interference turns a rate negative below μ = 10 the patch records that μ as ``mu_max``.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass

import numpy as np
import pyhf

from cevns_stats.errors import WorkspaceError
from cevns_stats.likelihood.publish import HEPDATA_PLACEHOLDER, MEASUREMENT, POI_BOUNDS, POI_INIT, patch_name
from cevns_stats.likelihood.workspace import validate_workspace
from cevns_stats.physics.interactions import leptoquark_epsilon

__all__ = [
    "B8_POI",
    "FLUX_MEASUREMENT",
    "LINEAR_MEASUREMENT",
    "RECAST_FORMS",
    "RecastChannel",
    "build_recast_publication",
    "build_recast_workspace",
    "grid_epsilons",
    "json_numbers",
]

RECAST_FORMS = ("flux", "linear")
FLUX_MEASUREMENT = "cevns_b8_flux"
LINEAR_MEASUREMENT = "cevns_nsi_linear"
B8_POI = "mu_8B"
B8_POI_BOUNDS = (0.0, 20.0)
EPS_BOUND = 10.0
_COMPONENTS = ("SM", "LIN", "QUAD")


def json_numbers(values) -> list[float]:
    """Floats rounded to 10 significant digits for JSON (relative change ≤ 5×10⁻¹¹; smaller, stable files).

    Example:
        >>> json_numbers([1 / 3, 0.0, 2e-20])
        [0.3333333333, 0.0, 2e-20]
    """
    return [float(f"{v:.10g}") for v in np.asarray(values, dtype=float).ravel()]


@dataclass(frozen=True)
class RecastChannel:
    """One pyhf channel of a recast (shapes: V = 1 + 2·n_histosys variants, K flux channels, B bins).

    Attributes:
        name: pyhf channel name (``xenonnt_sr0``, ``pandax4t_paired``, ``lz_ws2022``).
        observed: (B,) observed counts.
        backgrounds: complete pyhf background samples (name, data, modifiers).
        flux_channels: (K,) flux channel names k (samples ``SM_k``…).
        flux_uncertainties: (K,) fractional 1σ flux uncertainties.
        flux_nuisances: (K,) nuisance names (``nu_flux_<k>``).
        signal: (V, 3, K, B) expected events: variant 0 nominal, then (+1σ, −1σ) per histosys; components
            SM, LIN (per unit ε), QUAD (per unit ε²).
        histosys: names of the signal shape nuisances, in variant order.
        signal_normsys: ((name, hi, lo), …) rate nuisances on every signal sample.
        parameters: extra measurement parameter configs (bounds of background nuisances).
        metadata: JSON-ready provenance (experiment, exposure, settings).
    """

    name: str
    observed: np.ndarray
    backgrounds: tuple
    flux_channels: tuple[str, ...]
    flux_uncertainties: tuple[float, ...]
    flux_nuisances: tuple[str, ...]
    signal: np.ndarray
    histosys: tuple[str, ...] = ()
    signal_normsys: tuple = ()
    parameters: tuple = ()
    metadata: dict | None = None

    def events(self, weights) -> np.ndarray:
        """Signal events (V, K, B) for component weights (w_SM, w_LIN, w_QUAD), e.g. (0, ε, ε²)."""
        return np.einsum("c,vckb->vkb", np.asarray(weights, dtype=float), self.signal)

    def background_events(self) -> np.ndarray:
        """(B,) nominal background expectation (sum of the background samples)."""
        return np.sum([s["data"] for s in self.backgrounds], axis=0)

    def signal_sample(self, name: str, k: int, weights, normfactors=()) -> dict:
        """pyhf sample ``name`` of flux channel index ``k`` with component ``weights`` and every signal modifier."""
        ev = self.events(weights)[:, k]
        hi, lo = 1.0 + self.flux_uncertainties[k], 1.0 - self.flux_uncertainties[k]
        modifiers: list[dict] = [
            {"name": self.flux_nuisances[k], "type": "normsys", "data": {"hi": hi, "lo": lo}}
        ]
        modifiers += [
            {"name": n, "type": "normsys", "data": {"hi": h, "lo": lw}} for n, h, lw in self.signal_normsys
        ]
        modifiers += [
            {
                "name": n,
                "type": "histosys",
                "data": {"hi_data": json_numbers(ev[1 + 2 * j]), "lo_data": json_numbers(ev[2 + 2 * j])},
            }
            for j, n in enumerate(self.histosys)
        ]
        modifiers += [{"name": f, "type": "normfactor", "data": None} for f in normfactors]
        return {"name": name, "data": json_numbers(ev[0]), "modifiers": modifiers}


def _check_channels(channels) -> list[RecastChannel]:
    items = list(channels)
    names = [ch.name for ch in items]
    if not items or len(set(names)) != len(names):
        msg = f"need one or more recast channels with unique names, got {names}"
        raise WorkspaceError(msg)
    return items


def _signal_samples(ch: RecastChannel, form: str) -> list[dict]:
    out = []
    for k, flux in enumerate(ch.flux_channels):
        if form == "flux":
            out.append(ch.signal_sample(f"SM_{flux}", k, (1, 0, 0), (B8_POI,) if flux == "8B" else ()))
            continue
        out.append(ch.signal_sample(f"SM_{flux}", k, (1, 0, 0)))
        out.append(ch.signal_sample(f"LIN_{flux}", k, (0, 1, 0), ("nsi_lin",)))
        out.append(ch.signal_sample(f"QUAD_{flux}", k, (0, 0, 1), ("nsi_quad",)))
    return out


def _parameters(items: list[RecastChannel]) -> list[dict]:
    seen: dict[str, dict] = {}
    for ch in items:
        for par in ch.parameters:
            seen.setdefault(par["name"], copy.deepcopy(par))
    return [seen[n] for n in sorted(seen)]


def _observations(items: list[RecastChannel]) -> list[dict]:
    return [{"name": ch.name, "data": np.asarray(ch.observed, dtype=float).tolist()} for ch in items]


def build_recast_workspace(channels, *, form: str = "flux") -> dict:
    """A validated pyhf workspace of recast channels with their observed data (see the module docstring).

    Args:
        channels: one or more :class:`RecastChannel` (unique names).
        form: ``"flux"`` (POI ``mu_8B``) or ``"linear"`` (``nsi_lin``/``nsi_quad`` fixed at 0).

    Raises:
        WorkspaceError: unknown form, no or duplicate channels, a flux form without a ⁸B sample.
    """
    if form not in RECAST_FORMS:
        msg = f"unknown recast workspace form {form!r}; allowed: {', '.join(RECAST_FORMS)}"
        raise WorkspaceError(msg)
    items = _check_channels(channels)
    if form == "flux" and not any("8B" in ch.flux_channels for ch in items):
        raise WorkspaceError("the flux form needs the 8B flux channel in at least one recast channel")
    params = _parameters(items)
    if form == "flux":
        name, poi = FLUX_MEASUREMENT, B8_POI
        params = [
            {"name": B8_POI, "inits": [1.0], "bounds": [list(B8_POI_BOUNDS)]},
            {"name": "nu_flux_8B", "inits": [0.0], "fixed": True},
            *params,
        ]
    else:
        name, poi = LINEAR_MEASUREMENT, "nsi_lin"
        params = [
            {"name": "nsi_lin", "fixed": True, "inits": [0.0], "bounds": [[-EPS_BOUND, EPS_BOUND]]},
            {"name": "nsi_quad", "fixed": True, "inits": [0.0], "bounds": [[0.0, EPS_BOUND**2]]},
            *params,
        ]
    spec = {
        "version": "1.0.0",
        "channels": [
            {"name": ch.name, "samples": [*_signal_samples(ch, form), *copy.deepcopy(list(ch.backgrounds))]}
            for ch in items
        ],
        "observations": _observations(items),
        "measurements": [{"name": name, "config": {"poi": poi, "parameters": params}}],
    }
    validate_workspace(spec)
    return spec


def grid_epsilons(kind: str, grid) -> list[tuple[tuple[float, ...], float]]:
    """[(grid point, ε)] for kind ``eps`` (points ε ≠ 0) or ``lq`` ((m_S1 [GeV], λ) > 0, ε = −λ²/(4√2 G_F m²))."""
    if kind not in ("eps", "lq"):
        msg = f"unknown grid kind {kind!r}; allowed: eps, lq"
        raise WorkspaceError(msg)
    width = 1 if kind == "eps" else 2
    points = np.asarray(grid, dtype=float).reshape(-1, width)
    if points.size == 0 or not np.all(np.isfinite(points)) or np.any(points == 0):
        msg = f"grid must be non-empty, finite and without zeros, got {points.ravel().tolist()}"
        raise WorkspaceError(msg)
    if kind == "lq" and np.any(points <= 0):
        raise WorkspaceError("leptoquark masses and couplings must be > 0")
    out = []
    for p in points:
        point = tuple(float(v) for v in p)
        out.append((point, point[0] if kind == "eps" else leptoquark_epsilon(*point)))
    return out


def _mu_max(items: list[RecastChannel], eps: float) -> float | None:
    """Largest μ with SM_k + μ·NSI_k ≥ 0 (every channel, variant, bin) at one grid point; None if unbounded."""
    mu_max = math.inf
    for ch in items:
        sm, nsi = ch.events((1, 0, 0)), ch.events((0, eps, eps**2))
        negative = nsi < 0
        if negative.any():
            mu_max = min(mu_max, float(np.min(sm[negative] / -nsi[negative])))
    return max(1.0, mu_max) if math.isfinite(mu_max) else None


def _patch_metadata(kind: str, point: tuple, eps: float, items: list[RecastChannel]) -> dict:
    metadata = {"name": patch_name(kind, point), "values": list(point), "eps": eps}
    mu_max = _mu_max(items, eps)
    if mu_max is not None and mu_max < POI_BOUNDS[1]:
        metadata["mu_max"] = mu_max
    return metadata


def build_recast_publication(
    channels, grid, *, kind: str = "eps", description: str = ""
) -> tuple[dict, dict]:
    """BkgOnly workspace (observed data) and patchset over an ε or (m_S1, λ) grid (module docstring).

    Returns:
        (bkg_only, patchset), checked with ``pyhf.patchset.PatchSet.verify`` and one patched model.

    Raises:
        WorkspaceError: bad grid or channels.
    """
    items = _check_channels(channels)
    points = grid_epsilons(kind, grid)
    bkg_only = {
        "version": "1.0.0",
        "channels": [
            {
                "name": ch.name,
                "samples": [
                    *(ch.signal_sample(f"SM_{k}", i, (1, 0, 0)) for i, k in enumerate(ch.flux_channels)),
                    *copy.deepcopy(list(ch.backgrounds)),
                ],
            }
            for ch in items
        ],
        "observations": _observations(items),
        "measurements": [
            {
                "name": MEASUREMENT,
                "config": {
                    "poi": "mu",
                    "parameters": [
                        {"name": "mu", "inits": [POI_INIT], "bounds": [list(POI_BOUNDS)]},
                        *_parameters(items),
                    ],
                },
            }
        ],
    }
    patches = []
    for point, eps in points:
        ops = [
            {
                "op": "add",
                "path": f"/channels/{c}/samples/-",
                "value": ch.signal_sample(f"NSI_{k}", i, (0, eps, eps**2), ("mu",)),
            }
            for c, ch in enumerate(items)
            for i, k in enumerate(ch.flux_channels)
        ]
        patches.append({"metadata": _patch_metadata(kind, point, eps, items), "patch": ops})
    patchset = {
        "version": "1.0.0",
        "metadata": {
            "description": description
            or "cevns-stats real-data recast: NSI_k = eps*LIN_k + eps^2*QUAD_k scaled by mu",
            "labels": ["eps"] if kind == "eps" else ["m_S1_GeV", "lambda"],
            "digests": {"sha256": pyhf.utils.digest(bkg_only)},
            "references": {"hepdata": HEPDATA_PLACEHOLDER},
        },
        "patches": patches,
    }
    workspace = validate_workspace(bkg_only, allow_missing_poi=True)
    pyhf.patchset.PatchSet(copy.deepcopy(patchset)).verify(workspace)
    return bkg_only, patchset


def __dir__() -> list[str]:
    return __all__
