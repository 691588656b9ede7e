"""Exposure × ε reach scans: mean and median toy Z and Asimov Z on a grid; 3σ/5σ contours (PHYSICS.md §10, §12).

The physics is computed once per (detector, model) by :func:`cevns_stats.experiments.projections.reach_setup`:
templates at unit exposure (1 t·yr) compiled into a :class:`ReachSetup`. Each grid point (exposure E, injected ε) then uses the same compiled arrays with every
likelihood row scaled exactly (rates are linear in exposure and SM + ε·LIN + ε²·QUAD in ε): SM rows by E,
NSI rows by E·|ε|^p (p = 1 for LIN, 2 for QUAD and the scalar NSI sample). The fitted signal parameter is
thereby measured in units of the injected value: scalar μ' = ε²/ε_true² ≥ 0 (truth 1, bounds [0, 10⁴]);
vector / leptoquark signed ε' = ε/|ε_true| (truth ±1) restricted to the sign of the injected ε (bounds
[0, 100] or [−100, 0]). q0 is invariant under this re-parametrisation unless a fit reaches the bound
(|ε| = 100·|ε_true|, far beyond any toy fluctuation of interest).

Flux channels with no expected events (e.g. pp in xenon) are dropped: their nuisance only meets its own
Gaussian constraint, identically in the null and free fits, so q0, t and Z are unchanged.

Toys are generated at the injected ε and the nominal nuisances, with ``toy_aux`` "resampled" (pyhf's toys)
or "fixed" (the paper's); ``mode`` "standard" is q0 (Cowan et al. 2011), "paper" the paper-reproduction t.
All toys of a point are fitted in one batch; toys whose fits do not converge are counted and left out of
the mean and median. Per-point seeds come from ``SeedSequence(seed).spawn`` in grid order (exposure-major),
so results do not depend on how points are scheduled (:mod:`cevns_stats.inference.distributed`).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from cevns_stats.errors import InvalidInput
from cevns_stats.inference.discovery import MODES, TOY_AUX
from cevns_stats.inference.distributed import map_tasks
from cevns_stats.inference.reach_points import (
    PointResult,
    ReachSetup,
    asimov_points,
    point_asimov,
    point_model,
    point_toys,
    row_toys,
)

__all__ = [
    "MODES",
    "TOY_AUX",
    "PointResult",
    "ReachResult",
    "ReachSetup",
    "contours",
    "crossing",
    "eps_reach",
    "eps_reach_curve",
    "exposure_row",
    "point_asimov",
    "point_model",
    "point_seeds",
    "point_toys",
    "reach_grid",
]


def point_seeds(seed: int, n_points: int) -> list:
    """One ``SeedSequence`` per grid point, from ``SeedSequence(seed).spawn`` (grid order, exposure-major)."""
    return np.random.SeedSequence(seed).spawn(n_points)


def exposure_row(setup: ReachSetup, task: dict) -> dict:
    """All ε points of one exposure (the unit of work, in-process or on a Dask worker); the toys of all
    ε are fitted in one batch (:func:`~cevns_stats.inference.reach_points.row_toys`).

    ``task``: exposure (t·yr), eps (list), seeds (one SeedSequence per ε), n_toys (0: Asimov only), mode,
    toy_aux, with_asimov (bool). Returns lists z_mean, z_median, n_failed and z_asimov (empty if not asked).
    """
    out: dict[str, list] = {"z_mean": [], "z_median": [], "z_asimov": [], "n_failed": []}
    if task["with_asimov"]:
        out["z_asimov"] = asimov_points(setup, task["exposure"], task["eps"]).tolist()  # one batched fit
    if task["n_toys"]:
        points = row_toys(
            setup,
            task["exposure"],
            task["eps"],
            task["seeds"],
            n_toys=task["n_toys"],
            mode=task["mode"],
            toy_aux=task["toy_aux"],
        )
        out["z_mean"] = [p.z_mean for p in points]
        out["z_median"] = [p.z_median for p in points]
        out["n_failed"] = [p.n_failed for p in points]
    return out


class ReachResult(NamedTuple):
    """A reach grid. Arrays are (n_exposures, n_eps); z_mean/z_median are None for Asimov-only scans and
    z_asimov is None for toy scans without ``with_asimov``.

    Attributes:
        exposures: (n_exposures,) exposures [t·yr]; eps: (n_eps,) injected ε (one sign, |ε| increasing).
        n_failed: (n_exposures, n_eps) toys whose fits did not converge (left out of mean and median).
        settings: detector, model, threshold, ⁸B per t·yr, n_toys, mode, toy_aux, seed, signal parameter.
    """

    exposures: np.ndarray
    eps: np.ndarray
    z_mean: np.ndarray | None
    z_median: np.ndarray | None
    z_asimov: np.ndarray | None
    n_failed: np.ndarray
    settings: dict

    @property
    def z_contour(self) -> np.ndarray:
        """The Z the contours are drawn from: the toy mean (as the paper), else the Asimov Z."""
        z = self.z_mean if self.z_mean is not None else self.z_asimov
        assert z is not None, "a reach scan computes toys, Asimov Z or both"
        return z

    def contours(self, levels=(3.0, 5.0)) -> dict:
        """{level: (n_exposures,) ε where :attr:`z_contour` crosses the level} (see :func:`contours`)."""
        return contours(self.eps, self.z_contour, levels)

    def to_json(self) -> dict:
        """JSON-ready dict (NaN written as null)."""
        listed = lambda a: None if a is None else _nan_to_none(np.asarray(a, dtype=float).tolist())  # noqa: E731
        return {
            "exposures": self.exposures.tolist(),
            "eps": self.eps.tolist(),
            "z_mean": listed(self.z_mean),
            "z_median": listed(self.z_median),
            "z_asimov": listed(self.z_asimov),
            "contours": {f"{k:g}": listed(v) for k, v in self.contours().items()},
            "contour_source": "z_mean" if self.z_mean is not None else "z_asimov",
            "n_toys": self.settings["n_toys"],
            "n_failed_fits": int(self.n_failed.sum()),
            "n_failed_per_point": self.n_failed.tolist(),
            "settings": self.settings,
        }


def _nan_to_none(value):
    if isinstance(value, list):
        return [_nan_to_none(v) for v in value]
    return None if isinstance(value, float) and not math.isfinite(value) else value


def _check_grid(exposures, eps, n_toys, mode, toy_aux) -> tuple[np.ndarray, np.ndarray]:
    exposures, eps = np.asarray(exposures, dtype=float).ravel(), np.asarray(eps, dtype=float).ravel()
    if exposures.size == 0 or not np.all(np.isfinite(exposures) & (exposures > 0)):
        raise InvalidInput("exposures must be a non-empty list of finite numbers > 0 [t·yr]")
    if (
        eps.size == 0
        or not np.all(np.isfinite(eps) & (eps != 0))
        or len(set(np.sign(eps))) != 1
        or np.any(np.diff(np.abs(eps)) <= 0)
    ):
        raise InvalidInput("eps must be non-zero finite values of one sign with |eps| strictly increasing")
    if not (isinstance(n_toys, (int, np.integer)) and n_toys >= 0):
        msg = f"the number of toys must be an integer ≥ 1 (or 0 for Asimov only), got {n_toys!r}"
        raise InvalidInput(msg)
    if mode not in MODES or toy_aux not in TOY_AUX:
        msg = f"mode must be one of {MODES} and toy_aux one of {TOY_AUX}, got {mode!r}, {toy_aux!r}"
        raise InvalidInput(msg)
    return exposures, eps


def reach_grid(
    setup: ReachSetup,
    exposures,
    eps,
    *,
    n_toys: int = 600,
    asimov: bool = False,
    with_asimov: bool = False,
    seed: int = 0,
    mode: str = "standard",
    toy_aux: str = "resampled",
    client=None,
    progress: bool = False,
) -> ReachResult:
    """Mean/median toy Z (or the Asimov Z with ``asimov=True``) on the exposure × ε grid.

    Args:
        setup: from :func:`reach_setup` (physics computed once, scaled per point).
        exposures: (n_exposures,) [t·yr]; eps: (n_eps,) injected ε, one sign, |ε| increasing.
        n_toys: toys per point (ignored with ``asimov``); with_asimov: also compute the Asimov Z.
        seed: master seed; point (i, j) uses ``SeedSequence(seed).spawn(n)[i·n_eps + j]``.
        mode, toy_aux: see the module docstring; client: a Dask client (``distributed.dask_client``) or None.

    Returns:
        ReachResult.
    """
    n_toys = 0 if asimov else n_toys
    exposures, eps = _check_grid(exposures, eps, n_toys, mode, toy_aux)
    if not asimov and n_toys < 1:
        msg = f"the number of toys must be ≥ 1, got {n_toys}"
        raise InvalidInput(msg)
    seeds = point_seeds(seed, exposures.size * eps.size)
    tasks = [
        {
            "exposure": float(e),
            "eps": eps.tolist(),
            "seeds": seeds[i * eps.size : (i + 1) * eps.size],
            "n_toys": n_toys,
            "mode": mode,
            "toy_aux": toy_aux,
            "with_asimov": asimov or with_asimov,
        }
        for i, e in enumerate(exposures)
    ]
    rows = map_tasks(exposure_row, setup, tasks, client=client, progress=progress, desc="exposures")
    grid = {k: np.array([r[k] for r in rows], dtype=float) if rows[0][k] else None for k in rows[0]}
    failed = (
        grid["n_failed"].astype(int)
        if grid["n_failed"] is not None
        else np.zeros((exposures.size, eps.size), int)
    )
    settings = {
        **setup.settings,
        "n_toys": n_toys,
        "asimov": asimov,
        "mode": mode,
        "toy_aux": toy_aux,
        "seed": seed,
        "eps_sign": int(np.sign(eps[0])),
    }
    return ReachResult(exposures, eps, grid["z_mean"], grid["z_median"], grid["z_asimov"], failed, settings)


def crossing(eps, z, level: float) -> float:
    """The ε at which z first reaches ``level`` as |ε| increases; log|ε| interpolated linearly in z.

    Args:
        eps: (n,) injected ε, all of one sign, |ε| increasing.
        z: (n,) significance at each ε (NaN entries are skipped).
        level: the Z level (e.g. 3 or 5).

    Returns:
        The signed ε of the crossing; NaN if z never reaches ``level`` or already exceeds it at the first ε.

    Example:
        >>> round(crossing([0.01, 0.1, 1.0], [1.0, 3.0, 9.0], 5.0), 4)
        0.2154
    """
    eps, z = np.asarray(eps, dtype=float), np.asarray(z, dtype=float)
    good = np.isfinite(z)
    eps, z = eps[good], z[good]
    above = np.flatnonzero(z >= level)
    if above.size == 0 or above[0] == 0:
        return math.nan
    j = above[0]
    frac = (level - z[j - 1]) / (z[j] - z[j - 1])
    log_abs = math.log(abs(eps[j - 1])) + frac * (math.log(abs(eps[j])) - math.log(abs(eps[j - 1])))
    return math.copysign(math.exp(log_abs), eps[j])


def contours(eps, z_grid, levels=(3.0, 5.0)) -> dict:
    """{level: (n_exposures,) crossing ε per exposure (NaN where not crossed)} from z_grid (n_exposures, n_eps)."""
    z_grid = np.asarray(z_grid, dtype=float)
    return {float(level): np.array([crossing(eps, row, level) for row in z_grid]) for level in levels}


def eps_reach(
    setup: ReachSetup,
    exposure_tonne_year: float,
    *,
    z: float = 3.0,
    sign: int = 1,
    eps_min: float = 1e-6,
    eps_max: float = 10.0,
    xtol: float = 1e-4,
) -> float:
    """The |ε| at which the Asimov Z reaches ``z`` at a fixed exposure (first crossing from small |ε|).

    One point of :func:`eps_reach_curve` (see there for the method and the arguments).

    Returns:
        |ε| of the crossing, or NaN if Z stays below ``z`` up to ``eps_max`` (or is above it at ``eps_min``).
    """
    curve = eps_reach_curve(
        setup, [exposure_tonne_year], z=z, sign=sign, eps_min=eps_min, eps_max=eps_max, xtol=xtol
    )
    return float(curve[0])


def eps_reach_curve(
    setup: ReachSetup,
    exposures_tonne_year,
    *,
    z=3.0,
    sign: int = 1,
    eps_min: float = 1e-6,
    eps_max: float = 10.0,
    xtol: float = 1e-4,
    max_iter: int = 100,
) -> np.ndarray:
    """The |ε| at which the Asimov Z first reaches ``z`` at each exposure, all exposures at once.

    Args:
        exposures_tonne_year: (n,) exposures [t·yr].
        z: the Z level, scalar or (n,) (one per exposure; repeat an exposure for several levels).
        sign: +1, or −1 for the ε < 0 side of signed models.
        eps_min, eps_max: the |ε| range searched; xtol: tolerance on the crossing in log|ε|.

    |ε| is stepped up by factors of 2 from ``eps_min`` (the ladder is evaluated for every distinct exposure
    in one batch, :func:`~cevns_stats.inference.reach_points.asimov_points`), the first ladder interval
    in which Z reaches ``z`` brackets the crossing, and the crossings are refined together by the Illinois
    variant of regula falsi in log|ε| (Dowell & Jarratt, BIT 11 (1971) 168), one batched Asimov fit per
    iteration, until each bracket is narrower than ``xtol`` or |Z − z| < 1e-9·z.

    Returns:
        (n,) |ε| of the crossings; NaN where Z stays below ``z`` up to ``eps_max`` or is above it at ``eps_min``.
    """
    if sign not in (-1, 1) or (not setup.signed and sign < 0):
        msg = f"sign must be +1 (or -1 for signed models), got {sign!r}"
        raise InvalidInput(msg)
    exposures = np.atleast_1d(np.asarray(exposures_tonne_year, dtype=float))
    level = np.broadcast_to(np.asarray(z, dtype=float), exposures.shape)
    ladder = np.append(np.arange(math.log(eps_min), math.log(eps_max), math.log(2.0)), math.log(eps_max))
    distinct, which = np.unique(exposures, return_inverse=True)
    z_ladder = (
        asimov_points(
            setup, np.repeat(distinct, ladder.size), sign * np.exp(np.tile(ladder, distinct.size))
        ).reshape(distinct.size, ladder.size)[which]
        - level[:, None]
    )  # (n, ladder)
    reached = z_ladder >= 0
    first = np.argmax(reached, axis=1)
    out = np.full(exposures.size, math.nan)
    todo = np.flatnonzero(reached.any(axis=1) & (first > 0))
    if todo.size == 0:
        return out
    lo, hi = ladder[first[todo] - 1], ladder[first[todo]]
    f_lo, f_hi = z_ladder[todo, first[todo] - 1], z_ladder[todo, first[todo]]

    def excess(rows: np.ndarray, log_eps: np.ndarray) -> np.ndarray:
        return asimov_points(setup, exposures[todo[rows]], sign * np.exp(log_eps)) - level[todo[rows]]

    out[todo] = np.exp(_illinois(excess, (lo, hi), (f_lo, f_hi), xtol, 1e-9 * level[todo], max_iter))
    return out


def _illinois(function, bracket, values, xtol, ftol, max_iter) -> np.ndarray:
    """Roots of increasing functions in the brackets (lo, hi) with f(lo) < 0 ≤ f(hi), all at once.

    ``function(rows, x)`` evaluates the functions of the given rows at x. Regula falsi with the Illinois
    weight: an end point kept twice in a row has its value halved, so both ends converge (superlinearly).
    The root of each bracket is returned by linear interpolation of the final (unweighted) end values.
    """
    lo, hi = (np.array(a, dtype=float) for a in bracket)
    f_lo, f_hi = (np.array(a, dtype=float) for a in values)
    w_lo, w_hi = f_lo.copy(), f_hi.copy()  # weighted end values used for the next point
    side = np.zeros(lo.size, dtype=int)  # −1: lo moved last, +1: hi moved last
    root = np.full(lo.size, np.nan)
    active = np.arange(lo.size)
    for _ in range(max_iter):
        active = active[hi[active] - lo[active] >= xtol]
        if active.size == 0:
            break
        a, b = lo[active], hi[active]
        x = a - w_lo[active] * (b - a) / (w_hi[active] - w_lo[active])
        x = np.where((x > a) & (x < b), x, 0.5 * (a + b))  # bisect if the weights push x out
        f = function(active, x)
        hit = np.abs(f) < ftol[active]
        root[active[hit]] = x[hit]
        up = f >= 0
        move_hi, move_lo = active[up], active[~up]
        hi[move_hi], f_hi[move_hi], w_hi[move_hi] = x[up], f[up], f[up]
        lo[move_lo], f_lo[move_lo], w_lo[move_lo] = x[~up], f[~up], f[~up]
        w_lo[move_hi[side[move_hi] == 1]] *= 0.5  # lo kept twice in a row: halve its weight
        w_hi[move_lo[side[move_lo] == -1]] *= 0.5
        side[move_hi], side[move_lo] = 1, -1
        lo[active[hit]] = hi[active[hit]] = x[hit]
    left = np.isnan(root)
    width = f_hi[left] - f_lo[left]
    frac = np.divide(-f_lo[left], width, out=np.full(width.shape, 0.5), where=width > 0)
    root[left] = lo[left] + frac * (hi[left] - lo[left])
    return root


def __dir__() -> list[str]:
    return __all__
