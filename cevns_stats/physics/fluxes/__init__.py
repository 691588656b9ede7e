"""Neutrino flux channels (PHYSICS.md §7): the catalogue, spectral shapes and user tables.

Takes energies in MeV; gives dΦ/dE_ν in cm⁻² s⁻¹ MeV⁻¹ per :class:`~cevns_stats.physics.fluxes.channel.FluxChannel`.
"""
