"""Physics: neutrino fluxes, nuclei, oscillations and interactions in, CEvNS recoil spectra out.

Takes nothing of the other stages. Gives per-channel, per-flavour differential rates (SM, and the linear and
quadratic NSI parts) in events / (t·yr·keV) (:mod:`~cevns_stats.physics.rates`), with a slow quadrature route
for tests (:mod:`~cevns_stats.physics.quadrature`). Constants live in :mod:`~cevns_stats.physics.constants`.
"""
