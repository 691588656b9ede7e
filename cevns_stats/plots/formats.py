"""The image formats a figure can be written in, chosen by the file suffix (no matplotlib import here).

Takes nothing; gives :data:`IMAGE_FORMATS`, which the command line checks before computing (so a bad
suffix fails at once, without loading matplotlib) and :func:`cevns_stats.plots.common.save_figure` uses.
"""

from __future__ import annotations

__all__ = ["IMAGE_FORMATS"]

#: Suffixes (lower case, no dot) of the formats matplotlib's Agg, PDF, SVG and PS backends write.
IMAGE_FORMATS = ("png", "pdf", "svg", "eps", "jpg", "jpeg", "tif", "tiff", "webp")


def __dir__() -> list[str]:
    return __all__
