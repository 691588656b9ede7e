"""Inference: a fast engine checked against pyhf, discovery significance, CLs limits and ε intervals.

Modules: :mod:`~cevns_stats.inference.engine` (the workspace compiled to arrays),
:mod:`~cevns_stats.inference.fit` (batched Newton fits), :mod:`~cevns_stats.inference.discovery` (q0,
paper mode, Asimov, toys), :mod:`~cevns_stats.inference.limits` (asymptotic CLs with q̃μ, signed-ε
intervals) and :mod:`~cevns_stats.inference.workflow` (file → result, used by the CLI).
"""

from __future__ import annotations

from .discovery import (DiscoveryResult, PaperModeResult, asimov_data, asimov_z, generate_toys, paper_mode_t, q0,
                        significance)
from .engine import CompiledModel
from .fit import FitResult, fit_batch, fit_multistart, fit_signed_eps
from .limits import (CLsResult, EpsScan, UpperLimit, cls_asymptotic, eps_intervals, eps_scan, pyhf_upper_limit,
                     upper_limit_asymptotic)
from .workflow import Analysis, discovery_summary, limit_summary, load_analysis

__all__ = [
    "CompiledModel",
    "FitResult",
    "fit_batch",
    "fit_multistart",
    "fit_signed_eps",
    "DiscoveryResult",
    "PaperModeResult",
    "q0",
    "paper_mode_t",
    "asimov_data",
    "asimov_z",
    "generate_toys",
    "significance",
    "CLsResult",
    "UpperLimit",
    "EpsScan",
    "cls_asymptotic",
    "upper_limit_asymptotic",
    "pyhf_upper_limit",
    "eps_scan",
    "eps_intervals",
    "Analysis",
    "load_analysis",
    "discovery_summary",
    "limit_summary",
]


def __dir__() -> list[str]:
    return __all__
