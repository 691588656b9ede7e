"""S1 leptoquark bounds for the paper's Figs 6 and 9 (PHYSICS.md §6, §11; :mod:`cevns_stats.experiments.leptoquark`).

Fig. 6: the LZ WS2022 90 % CL exclusion (observed, counting recast) for ν_μ and ν_τ couplings, with our
direct ⁸B normalisation (shaded) and the variant rescaled to LZ's quoted 0.14 events (dashed), and the
expected bounds of a DARWIN-like xenon detector at the exposures of ``LQ_EXPOSURES_TONNE_YEAR``.
Fig. 9: the expected bounds of the argon (ARGO-like) and lead detectors at the same exposures and at each
preset's own exposure.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from cevns_stats.experiments.leptoquark import LQLimit, lq_limit
from cevns_stats.paper.config import LQ_EXPERIMENTS, LQ_EXPOSURES_TONNE_YEAR

if TYPE_CHECKING:
    from tqdm import tqdm

log = logging.getLogger(__name__)

__all__ = ["FLAVOURS", "future_bounds", "lq_results", "lz_bounds"]

FLAVOURS = ("mu", "tau")
_STYLES = ("-.", ":", "-.", ":")  # plain strings: they survive the JSON round trip


def _entry(limit: LQLimit, label: str, linestyle: str = "-") -> dict:
    return {**limit.to_json(), "label": label, "linestyle": linestyle}


def lz_bounds(flavour: str) -> list[dict]:
    """LZ WS2022 bounds: direct normalisation first (the result), then the LZ-quoted variant."""
    direct = lq_limit("lz-ws2022", flavour)
    quoted = lq_limit("lz-ws2022", flavour, normalisation="lz-quoted")
    return [
        _entry(direct, "LZ WS2022 (recast, our $^8$B rate)"),
        _entry(quoted, "LZ WS2022, $^8$B rescaled to LZ's 0.14 events", "--"),
    ]


def future_bounds(experiment: str, flavour: str) -> list[dict]:
    """Expected bounds of one future detector at ``LQ_EXPOSURES_TONNE_YEAR`` and its preset exposure."""
    out = [
        _entry(
            lq_limit(experiment, flavour, exposure_tonne_year=e),
            f"{experiment} {e:g} t yr (expected)",
            _STYLES[i % len(_STYLES)],
        )
        for i, e in enumerate(LQ_EXPOSURES_TONNE_YEAR)
    ]
    own = lq_limit(experiment, flavour)
    if any(abs(own.exposure_tonne_year - e) < 1e-9 * e for e in LQ_EXPOSURES_TONNE_YEAR):
        log.debug("%s: preset exposure %g t yr is already on the list", experiment, own.exposure_tonne_year)
    else:
        out.append(_entry(own, f"{experiment} {own.exposure_tonne_year:g} t yr (expected, preset)", ":"))
    return out


def lq_results(progress: tqdm | None = None) -> dict:
    """{"lz-ws2022": {flavour: [...]}, experiment: {flavour: [...]}} for every experiment of Figs 6 and 9."""
    out = {"lz-ws2022": {f: lz_bounds(f) for f in FLAVOURS}}
    for experiment in LQ_EXPERIMENTS:
        out[experiment] = {f: future_bounds(experiment, f) for f in FLAVOURS}
        if progress is not None:
            progress.update(1)
    return out


def __dir__() -> list[str]:
    return __all__
