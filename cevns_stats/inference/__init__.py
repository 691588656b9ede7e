"""Inference: pyhf workspaces (JSON) in; fits, discovery significance, CLs limits and ε intervals out.

Never imports physics: everything it needs is in the workspace. A fast engine checked against pyhf.

Modules: :mod:`~cevns_stats.inference.engine` (the workspace compiled to arrays),
:mod:`~cevns_stats.inference.fit` (batched Newton fits), :mod:`~cevns_stats.inference.discovery` (q0,
paper mode, Asimov, toys), :mod:`~cevns_stats.inference.limits` (asymptotic CLs with q̃μ, signed-ε
intervals) and :mod:`~cevns_stats.inference.workflow` (file → result, used by the CLI).
"""

from __future__ import annotations

from cevns_stats.inference.discovery import (
    DiscoveryResult,
    PaperModeResult,
    asimov_data,
    asimov_z,
    generate_toys,
    paper_mode_t,
    q0,
    significance,
)
from cevns_stats.inference.engine import CompiledModel
from cevns_stats.inference.fit import FitResult, fit_batch, fit_multistart, fit_signed_eps
from cevns_stats.inference.limits import (
    CLsResult,
    EpsScan,
    UpperLimit,
    cls_asymptotic,
    eps_intervals,
    eps_scan,
    pyhf_upper_limit,
    upper_limit_asymptotic,
)
from cevns_stats.inference.workflow import Analysis, discovery_summary, limit_summary, load_analysis

__all__ = [
    "Analysis",
    "CLsResult",
    "CompiledModel",
    "DiscoveryResult",
    "EpsScan",
    "FitResult",
    "PaperModeResult",
    "UpperLimit",
    "asimov_data",
    "asimov_z",
    "cls_asymptotic",
    "discovery_summary",
    "eps_intervals",
    "eps_scan",
    "fit_batch",
    "fit_multistart",
    "fit_signed_eps",
    "generate_toys",
    "limit_summary",
    "load_analysis",
    "paper_mode_t",
    "pyhf_upper_limit",
    "q0",
    "significance",
    "upper_limit_asymptotic",
]


def __dir__() -> list[str]:
    return __all__
