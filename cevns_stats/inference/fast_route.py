"""Discovery statistics of an analysis with the fast engine, per dataset (the counterpart of ``pyhf_route``).

``analysis`` is a :class:`cevns_stats.inference.workflow.Analysis` (not imported: no cycle).

q0 (standard mode; multi-start fits for the signed-ε view, whose rate is not monotonic in ε) or the paper
mode's t, from :mod:`cevns_stats.inference.discovery`.
"""

from __future__ import annotations

import numpy as np

from cevns_stats.errors import InvalidInput
from cevns_stats.inference.discovery import paper_mode_t, q0
from cevns_stats.inference.engine import CompiledModel

__all__ = ["fast_model", "fast_z"]


def fast_model(analysis) -> CompiledModel:
    """The fast engine's model of an analysis (InvalidInput where there is none)."""
    if analysis.model is None:
        msg = "this analysis has no fast-engine model (the workspace needs pyhf); use engine='pyhf'"
        raise InvalidInput(msg)
    return analysis.model


def fast_z(analysis, mode: str, data_main, data_aux):
    """Z (n,), convergence (n,) and the free fits' −log L (n,) with the fast engine, per dataset."""
    model, poi, signal = fast_model(analysis), analysis.poi, analysis.signal
    if mode == "paper":
        paper = paper_mode_t(model, data_main, data_aux, alt_value=signal, poi=poi)
        return paper.z, paper.converged, None
    direction = 1 if signal > 0 else -1
    starts = None
    if analysis.kind == "signed-eps":
        bound = float(np.max(np.abs(model.bounds[model.par_index(poi)])))
        starts = direction * np.concatenate(
            [[0.0], np.geomspace(bound * 1e-4, bound * 0.3, 5), [abs(signal)]]
        )
    result = q0(model, data_main, data_aux, poi=poi, direction=direction, starts=starts)
    return result.z, result.converged, result.free.nll


def __dir__() -> list[str]:
    return __all__
