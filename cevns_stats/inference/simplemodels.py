"""Tiny pyhf workspaces for examples, doctests and tests (as pyhf's ``simplemodels``).

Each function returns a plain pyhf JSON spec (dict) with one measurement whose POI is ``mu``.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["counting_workspace", "shape_workspace"]


def counting_workspace(signal: float, background: float, sigma: float) -> dict:
    """One bin: a background (events) with a ``normsys`` ``nu_flux_bkg`` of relative width ``sigma``
    and a signal (events) scaled by the normfactor ``mu``; the observation equals the background.

    Example:
        >>> spec = counting_workspace(signal=5.0, background=50.0, sigma=0.1)
        >>> [s["name"] for s in spec["channels"][0]["samples"]]
        ['SM_bkg', 'NSI_bkg']
    """
    samples = [
        {
            "name": "SM_bkg",
            "data": [float(background)],
            "modifiers": [
                {"name": "nu_flux_bkg", "type": "normsys", "data": {"hi": 1 + sigma, "lo": 1 - sigma}}
            ],
        },
        {
            "name": "NSI_bkg",
            "data": [float(signal)],
            "modifiers": [{"name": "mu", "type": "normfactor", "data": None}],
        },
    ]
    return {
        "channels": [{"name": "xenon", "samples": samples}],
        "version": "1.0.0",
        "observations": [{"name": "xenon", "data": [float(background)]}],
        "measurements": [{"name": "meas", "config": {"poi": "mu", "parameters": []}}],
    }


def shape_workspace(
    signal: Sequence[float],
    background: Sequence[float],
    background_uncertainty: Sequence[float],
    observed: Sequence[float] | None = None,
) -> dict:
    """Several bins: a signal (× ``mu``) and a background with an uncorrelated ``shapesys`` per bin
    (absolute uncertainties, events), as pyhf's ``simplemodels.uncorrelated_background``.

    Example:
        >>> spec = shape_workspace([12.0, 11.0], [50.0, 52.0], [3.0, 7.0])
        >>> spec["observations"][0]["data"]
        [50.0, 52.0]
    """
    observed = list(background) if observed is None else list(observed)
    samples = [
        {
            "name": "signal",
            "data": [float(x) for x in signal],
            "modifiers": [{"name": "mu", "type": "normfactor", "data": None}],
        },
        {
            "name": "background",
            "data": [float(x) for x in background],
            "modifiers": [
                {
                    "name": "uncorr_bkguncrt",
                    "type": "shapesys",
                    "data": [float(x) for x in background_uncertainty],
                }
            ],
        },
    ]
    return {
        "channels": [{"name": "singlechannel", "samples": samples}],
        "version": "1.0.0",
        "observations": [{"name": "singlechannel", "data": [float(x) for x in observed]}],
        "measurements": [{"name": "meas", "config": {"poi": "mu", "parameters": []}}],
    }


def __dir__() -> list[str]:
    return __all__
