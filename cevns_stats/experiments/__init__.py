"""Experiments: real detectors and their recasts (LZ WS2022, the WIMP calibration), the S1 leptoquark
bounds, and projections for hypothetical detectors (reach models).

Takes physics, detector, likelihood and inference; gives likelihoods and bounds for named experiments.
"""
