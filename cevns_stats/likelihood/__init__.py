"""Likelihood building: templates per flux channel, pyhf workspaces, patchsets, XML and combination.

Takes binned counts from the detector stage; gives pyhf JSON (workspaces, BkgOnly + patchset publications,
HistFactory XML) and the committed ``templates/`` and ``workspaces/``. :mod:`~cevns_stats.likelihood.workspace`
and :mod:`~cevns_stats.likelihood.patches` are pure pyhf JSON (no physics), so inference may read them.
"""
