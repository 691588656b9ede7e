"""``cevns-stats paper``: regenerate the figures and numbers of arXiv:2307.15736 (Figs 1–3, 5–9).

:func:`run_paper` computes everything into a results dict, draws every figure (PNG and PDF), writes
``results.json`` and ``summary.md``, all into a temporary folder that replaces the output folder's files
only when the whole run has succeeded (never a half-written set).

Takes a :class:`PaperConfig` and the lower stages; gives the paper's results, figures and summary.
"""

from __future__ import annotations

from cevns_stats.paper.config import FULL, QUICK, PaperConfig
from cevns_stats.paper.runner import compute_results, run_paper, write_outputs

__all__ = ["FULL", "QUICK", "PaperConfig", "compute_results", "run_paper", "write_outputs"]


def __dir__() -> list[str]:
    return __all__
