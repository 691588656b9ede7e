"""Detector: efficiency, energy resolution, binning and the named presets (PHYSICS.md §9).

Takes physics rates; gives expected counts per reconstructed-energy bin for one exposure
(:func:`~cevns_stats.detector.response.binned_rates`) and the ``Detector`` presets that describe them.
"""
