"""Compile a ``pyhf.pdf.Model`` into the row/slot arrays of :class:`~cevns_stats.inference.engine.CompiledModel`.

The expected count in global bin b is written as a sum over *rows* r of a product of univariate factors,

    ν_b(θ) = Σ_r a_r(θ) · basis_rb,    a_r(θ) = Π_j φ_rj(θ_{k_rj})    (factors: :mod:`.factors`),

which is exactly pyhf's ν = (nominal + Σ histosys Δ) · Π multiplicative factors (pyhf 0.7.6 defaults):

* one row per (channel, sample) with the sample's nominal histogram and one slot per ``normfactor``,
  ``lumi`` (θ) and ``normsys`` (code 4) acting on it;
* ``histosys`` (code 4p): Δ = α·S + g(α)·A with S = (up + dn)/2, A = (up − dn)/16, up = hi − nom,
  dn = nom − lo; two more rows (basis S and A) carrying the sample's slots plus α or g(α);
* per-bin modifiers (``shapesys``, ``staterror``, ``shapefactor``): the sample's rows are split into
  single-bin rows, each with one more θ slot per γ parameter acting in that bin. Which flat parameter
  acts on which (sample, bin) is read from pyhf's own appliers (masks and access fields), so masked bins,
  staterror's combined relative widths and shared parameters are exactly pyhf's.

Constraints (pyhf ``auxdata_order``): Gaussian (``normsys``, ``histosys``, ``lumi``, ``staterror``; width
from pyhf's paramset) or Poisson (``shapesys``: auxdata τ = (nom/σ)², expected τ·γ, as pyhf). pyhf's own
quirks are kept: a modifier listed twice (same name and type) on one sample counts once (the last).
Anything else raises :class:`~cevns_stats.errors.UnsupportedWorkspace` naming what is unsupported.
"""

from __future__ import annotations

import logging

import numpy as np

from cevns_stats.errors import UnsupportedWorkspace
from cevns_stats.inference.factors import FactorKind, code4_coefficients

__all__ = ["DEFAULT_INTERPCODES", "PER_BIN_TYPES", "SCALAR_TYPES", "compile_pyhf_model"]

#: pyhf's default interpolation codes, the only ones the engine evaluates.
DEFAULT_INTERPCODES = {"normsys": {"interpcode": "code4"}, "histosys": {"interpcode": "code4p"}}
SCALAR_TYPES = ("normfactor", "lumi", "normsys", "histosys")
PER_BIN_TYPES = ("shapesys", "staterror", "shapefactor")

log = logging.getLogger(__name__)


def compile_pyhf_model(model) -> dict:
    """All arrays of a CompiledModel (except data) from a ``pyhf.pdf.Model``.

    Raises:
        UnsupportedWorkspace: non-default interpolation codes, an unknown modifier type or constraint,
            normsys factors ≤ 0.
    """
    cfg = model.config
    settings = {k: v for k, v in cfg.modifier_settings.items() if k in DEFAULT_INTERPCODES}
    if settings != DEFAULT_INTERPCODES:
        msg = (
            "the fast engine evaluates only pyhf's default interpolation (normsys code4, histosys code4p), "
            f"got {settings}"
        )
        raise UnsupportedWorkspace(msg)
    unknown = sorted({t for _, t in cfg.modifiers} - set(SCALAR_TYPES) - set(PER_BIN_TYPES))
    if unknown:
        msg = f"the fast engine does not evaluate modifier type(s) {unknown}"
        raise UnsupportedWorkspace(msg)
    start = {name: cfg.par_slice(name).start for name in cfg.par_order}
    per_bin = _per_bin_parameters(model)
    rows = []
    for channel in model.spec["channels"]:
        for sample in channel["samples"]:
            rows += _sample_rows(cfg, channel["name"], sample, start, per_bin.get(sample["name"]))
    if per_bin:
        log.debug(
            "per-bin modifiers on %d samples: their rows are split per bin (%d rows)", len(per_bin), len(rows)
        )
    arrays = _pack_rows(rows, cfg.nmaindata)
    arrays.update(_constraints(cfg))
    return arrays


def _per_bin_parameters(model) -> dict:
    """{sample name: (B, K) flat parameter indices (−1: none) of the per-bin γ acting in each global bin}."""
    cfg, appliers = model.config, model.main_model.modifiers_appliers
    columns: dict = {}
    for mtype in PER_BIN_TYPES:
        names = [name for name, kind in cfg.modifiers if kind == mtype]
        if not names:
            continue
        applier = appliers[mtype]
        mask = np.asarray(getattr(applier, f"_{mtype}_mask"), dtype=bool)[:, :, 0, :]  # (mods, samples, B)
        access = np.asarray(applier._access_field, dtype=int)[:, 0, :]  # (mods, B) flat parameter index
        for m in range(len(names)):
            for s, sample in enumerate(cfg.samples):
                if mask[m, s].any():
                    columns.setdefault(sample, []).append(np.where(mask[m, s], access[m], -1))
    return {sample: np.stack(cols, axis=1) for sample, cols in columns.items()}


def _sample_rows(cfg, channel: str, sample: dict, start: dict, per_bin) -> list:
    """Rows (basis (B,), [slot dicts]) of one (channel, sample)."""
    where = cfg.channel_slices[channel]
    nbins = cfg.nmaindata
    nominal = np.zeros(nbins)
    nominal[where] = sample["data"]
    modifiers = {(m["type"], m["name"]): m for m in sample.get("modifiers", [])}  # pyhf: the last one wins
    slots, terms = [], []
    for (mtype, name), mod in modifiers.items():
        if mtype in ("normfactor", "lumi"):
            slots.append({"par": start[name], "kind": FactorKind.POWER})
        elif mtype == "normsys":
            hi, lo = float(mod["data"]["hi"]), float(mod["data"]["lo"])
            if not (hi > 0 and lo > 0):
                msg = (
                    f"normsys {name!r} on channel {channel!r}, sample {sample['name']!r} has hi={hi}, lo={lo}; "
                    "the fast engine needs positive factors (code 4 takes their logarithm)"
                )
                raise UnsupportedWorkspace(msg)
            slots.append({"par": start[name], "kind": FactorKind.CODE4, "hi": hi, "lo": lo})
        elif mtype == "histosys":
            up, dn = np.zeros(nbins), np.zeros(nbins)
            up[where] = np.asarray(mod["data"]["hi_data"], dtype=float) - sample["data"]
            dn[where] = np.asarray(sample["data"], dtype=float) - np.asarray(
                mod["data"]["lo_data"], dtype=float
            )
            terms.append((0.5 * (up + dn), {"par": start[name], "kind": FactorKind.POWER}))
            terms.append((0.0625 * (up - dn), {"par": start[name], "kind": FactorKind.CODE4P_G}))
    rows = [(nominal, slots)] + [(basis, [*slots, extra]) for basis, extra in terms]
    if per_bin is None:
        return rows
    split = []
    for basis, row_slots in rows:
        for b in np.flatnonzero(basis):
            single = np.zeros(nbins)
            single[b] = basis[b]
            gammas = [{"par": int(k), "kind": FactorKind.POWER} for k in per_bin[b] if k >= 0]
            split.append((single, [*row_slots, *gammas]))
    return split


def _pack_rows(rows: list, nbins: int) -> dict:
    """Pad the rows' slot lists to a rectangular (R, M) layout."""
    if not rows:
        rows = [(np.zeros(nbins), [])]
    nrow, nslot = len(rows), max(1, max(len(s) for _, s in rows))
    out = {
        "basis": np.array([b for b, _ in rows]).reshape(nrow, nbins),
        "slot_par": np.full((nrow, nslot), -1),
        "slot_kind": np.full((nrow, nslot), int(FactorKind.NONE)),
        "slot_power": np.ones((nrow, nslot)),
        "slot_hi": np.ones((nrow, nslot)),
        "slot_lo": np.ones((nrow, nslot)),
    }
    for r, (_, slots) in enumerate(rows):
        for j, slot in enumerate(slots):
            out["slot_par"][r, j] = slot["par"]
            out["slot_kind"][r, j] = int(slot["kind"])
            out["slot_hi"][r, j] = slot.get("hi", 1.0)
            out["slot_lo"][r, j] = slot.get("lo", 1.0)
    out["slot_coef"] = code4_coefficients(out["slot_hi"], out["slot_lo"])
    return out


def _constraints(cfg) -> dict:
    """Per auxiliary datum (pyhf auxdata order): parameter index, Gaussian width, Poisson flag and factor."""
    index: list[int] = []
    sigma: list[float] = []
    poisson: list[bool] = []
    factor: list[float] = []
    for name in cfg.auxdata_order:
        pset, first = cfg.param_set(name), cfg.par_slice(name).start
        if pset.pdf_type == "normal":
            widths = np.broadcast_to(np.asarray(pset.width(), dtype=float), (pset.n_parameters,))
            sigma += widths.tolist()
            factor += [1.0] * pset.n_parameters
            poisson += [False] * pset.n_parameters
        elif pset.pdf_type == "poisson":
            factor += np.broadcast_to(np.asarray(pset.factors, dtype=float), (pset.n_parameters,)).tolist()
            sigma += [1.0] * pset.n_parameters
            poisson += [True] * pset.n_parameters
        else:
            msg = f"parameter {name!r} has a {pset.pdf_type!r} constraint; the fast engine evaluates normal and poisson"
            raise UnsupportedWorkspace(msg)
        index += range(first, first + pset.n_parameters)
    return {
        "aux_par_index": np.array(index, dtype=int),
        "aux_sigma": np.array(sigma, dtype=float),
        "aux_poisson": np.array(poisson, dtype=bool),
        "aux_factor": np.array(factor, dtype=float),
    }


def __dir__() -> list[str]:
    return __all__
