"""Figures: numbers in, ``matplotlib.figure.Figure`` out, one module per family.

:mod:`~cevns_stats.plots.data` prepares the numbers of the physics figures; the other modules only draw.
Nothing here sets the matplotlib backend or a global style (:mod:`~cevns_stats.plots.common`).
"""
