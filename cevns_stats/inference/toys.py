"""Toy studies of the discovery significance, generated and fitted in chunks (bounded memory).

Peak memory: the toys are drawn and fitted ``chunk_size`` at a time (default :data:`TOY_CHUNK`); only
Z (8 bytes) and the fit status (1 byte) of every toy are kept, so a run needs about
``9 · n_toys + chunk_size · 8 · (B + A + 6 P)`` bytes beyond the interpreter and the model — 10⁷ toys
of a 50-bin, 25-parameter workspace ≈ 90 MB + 20 MB (``MEMORY_BOUND`` states it). Seeded runs are
reproducible (one generator drives every chunk in turn). A tqdm progress bar (stderr, terminals only)
shows runs longer than one chunk.
"""

from __future__ import annotations

import logging
from typing import NamedTuple

import numpy as np

from cevns_stats.errors import InvalidInput

__all__ = ["MEMORY_BOUND", "TOY_CHUNK", "ToySummary", "toy_summary"]

log = logging.getLogger(__name__)

TOY_CHUNK = 20_000  # toys generated and fitted together
MEMORY_BOUND = "9 bytes per toy + 8 (B + A + 6 P) bytes per toy of one chunk (20 000 toys)"
MAX_TOYS = 10**9  # 9 GB of results: beyond any run that ends in a working day


class ToySummary(NamedTuple):
    """Toys' Z statistics: mean and median over converged fits (None if none converged)."""

    z_mean_toys: float | None
    z_median_toys: float | None
    n_toys: int
    n_failed_fits: int
    toy_aux: str
    seed: int | None
    chunk_size: int

    def to_json(self) -> dict:
        """JSON-ready dict with the statistic's description."""
        return {
            **self._asdict(),
            "toy_statistics": "mean and median over the toys whose fits converged",
            "memory_bound": MEMORY_BOUND,
        }


def _chunk_z(analysis, mode, size, rng, toy_aux, fast):
    if fast:
        from cevns_stats.inference.discovery import generate_toys
        from cevns_stats.inference.fast_route import fast_z

        model = analysis.model
        truth = model.init.copy()
        truth[model.par_index(analysis.poi)] = analysis.signal
        main, aux = generate_toys(model, truth, size, rng=rng, aux=toy_aux)
        z, converged, _ = fast_z(analysis, mode, main, aux)
        return z, converged
    from cevns_stats.inference import pyhf_route

    return pyhf_route.z_values(analysis, mode, pyhf_route.sample_toys(analysis, size, rng, toy_aux))


def toy_summary(
    analysis,
    mode: str,
    n_toys: int,
    *,
    seed: int | None = None,
    toy_aux: str = "resampled",
    fast: bool = True,
    chunk_size: int = TOY_CHUNK,
    progress: bool = False,
) -> ToySummary:
    """Z of ``n_toys`` pseudo-datasets at the signal hypothesis, in chunks of ``chunk_size``.

    Args:
        analysis: a :class:`~cevns_stats.inference.workflow.Analysis`.
        mode: ``"standard"`` or ``"paper"`` (as ``discovery_summary``).
        n_toys: number of toys, 1 … 10⁹.
        seed: seed (≥ 0) of ``numpy.random.default_rng``.
        toy_aux: ``"resampled"`` or ``"fixed"`` auxiliary data.
        fast: fit with the fast engine (else pyhf, one toy at a time).
        chunk_size: toys per chunk (memory bound, see the module docstring).
        progress: tqdm progress bar on stderr when the run has more than one chunk.
    """
    n_toys = int(n_toys)
    if not 1 <= n_toys <= MAX_TOYS:
        msg = f"the number of toys must be between 1 and {MAX_TOYS:.0e}, got {n_toys}"
        raise InvalidInput(msg)
    if seed is not None and int(seed) < 0:
        msg = f"the seed must be an integer ≥ 0, got {seed}"
        raise InvalidInput(msg)
    from tqdm import tqdm

    chunk = max(1, int(chunk_size) if fast else min(int(chunk_size), 100))
    rng = np.random.default_rng(seed)
    z = np.empty(n_toys)
    converged = np.empty(n_toys, dtype=bool)
    log.info("%d toys in chunks of %d (%s engine)", n_toys, chunk, "fast" if fast else "pyhf")
    with tqdm(total=n_toys, unit="toy", disable=True if not progress or n_toys <= chunk else None) as bar:
        for start in range(0, n_toys, chunk):
            size = min(chunk, n_toys - start)
            z[start : start + size], converged[start : start + size] = _chunk_z(
                analysis, mode, size, rng, toy_aux, fast
            )
            bar.update(size)
    good = z[converged]
    mean, median = (float(np.mean(good)), float(np.median(good))) if good.size else (None, None)
    failed = int(n_toys - good.size)
    if failed:
        log.info("%d of %d toy fits did not converge (left out of mean and median)", failed, n_toys)
    return ToySummary(mean, median, n_toys, failed, toy_aux, seed, chunk)


def __dir__() -> list[str]:
    return __all__
