"""Optional JAX backend: the compiled engine's arrays and q0 under ``jax.numpy`` with ``jit`` and ``vmap``.

Install with ``pip install "cevns-stats[jax]"``; nothing else in the package imports this module, and the
numpy engine stays the default. The same :class:`~cevns_stats.inference.engine.CompiledModel` arrays
(rows, factor slots, constraints) are evaluated by a pure function of one dataset; derivatives come from
``jax.grad``/``jax.hessian`` and the fit is a projected Newton iteration (parameters on a bound with the
gradient pointing outwards are held there; the Hessian's eigenvalues are floored so every step descends;
the step is halved until −log L does not rise), vectorised over datasets with ``vmap`` and compiled once
per model with ``jit``. It runs on a GPU where jax finds one. q0 is defined as in
:func:`cevns_stats.inference.discovery.q0` (signal above 0, q0 = 0 when the fit is not on that side).
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

import numpy as np

from cevns_stats.errors import InvalidInput
from cevns_stats.inference.engine import CompiledModel
from cevns_stats.inference.factors import FactorKind

__all__ = ["JaxQ0", "available", "q0"]

_HALVINGS = 30


def available() -> bool:
    """Whether jax can be imported."""
    try:
        import jax  # noqa: F401
    except ImportError:
        return False
    return True


class JaxQ0(NamedTuple):
    """q0 (n,), the fitted POI (n,), −log L of the free and null fits (n,; without the data-only lnΓ(n + 1)
    and Gaussian normalisation terms), convergence (n,) and the best-fit points (n, P) of both fits."""

    q0: np.ndarray
    poi_hat: np.ndarray
    nll_free: np.ndarray
    nll_null: np.ndarray
    converged: np.ndarray
    pars_free: np.ndarray
    pars_null: np.ndarray


def q0(
    model: CompiledModel,
    data_main: np.ndarray,
    data_aux: np.ndarray,
    *,
    poi: str | None = None,
    max_iter: int = 100,
    tolerance: float = 1e-10,
) -> JaxQ0:
    """One-sided discovery q0 of each dataset (rows of data_main (n, B), data_aux (n, A)) with jax.

    Raises:
        InvalidInput: jax is not installed, or the model has no POI and none is given.
    """
    if not available():
        raise InvalidInput('the jax backend needs jax: pip install "cevns-stats[jax]"')
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
    name = poi or model.poi_name
    if name is None:
        raise InvalidInput("the model has no POI; pass poi='<parameter name>'")
    index = model.par_index(name)
    data_main = jnp.asarray(np.atleast_2d(np.asarray(data_main, dtype=float)))
    data_aux = jnp.asarray(np.asarray(data_aux, dtype=float).reshape(-1, model.aux_nominal.size))
    data_aux = jnp.broadcast_to(data_aux, (data_main.shape[0], data_aux.shape[1]))
    arrays = _arrays(model)
    lower, upper = np.array(model.bounds[:, 0]), np.array(model.bounds[:, 1])
    free_null = ~model.fixed
    free_null[index] = False
    start = np.array(model.init, dtype=float)
    start[index] = 0.0
    fit = _fitter(max_iter, tolerance)
    theta0 = jnp.broadcast_to(jnp.asarray(start), (data_main.shape[0], model.n_pars))
    null_pars, null_nll, null_ok = fit(arrays, theta0, data_main, data_aux, free_null, lower, upper)
    free_lower = lower.copy()
    free_lower[index] = 0.0
    free_free = ~model.fixed
    free_pars, free_nll, free_ok = fit(arrays, null_pars, data_main, data_aux, free_free, free_lower, upper)
    poi_hat = np.asarray(free_pars[:, index])
    stat = np.where(poi_hat > 0, np.clip(2.0 * np.asarray(null_nll - free_nll), 0.0, None), 0.0)
    return JaxQ0(
        stat,
        poi_hat,
        np.asarray(free_nll),
        np.asarray(null_nll),
        np.asarray(free_ok & null_ok),
        np.asarray(free_pars),
        np.asarray(null_pars),
    )


def _arrays(model: CompiledModel) -> dict:
    """The compiled model's arrays as jax arrays (padding slots point at parameter 0 with kind NONE)."""
    import jax.numpy as jnp

    kind = model.slot_kind
    return {
        "par": jnp.asarray(np.where(model.slot_par >= 0, model.slot_par, 0)),
        "kind": jnp.asarray(kind),
        "power": jnp.asarray(model.slot_power),
        "coef": jnp.asarray(np.moveaxis(model.slot_coef, -1, 0)),  # (6, R, M)
        "log_hi": jnp.asarray(np.log(model.slot_hi)),
        "log_lo": jnp.asarray(np.log(model.slot_lo)),
        "basis": jnp.asarray(model.basis),
        "aux_par": jnp.asarray(model.aux_par_index),
        "aux_sigma": jnp.asarray(model.aux_sigma),
        "aux_poisson": jnp.asarray(model.aux_poisson),
        "aux_factor": jnp.asarray(model.aux_factor),
    }


def _nll(theta, data_main, data_aux, arrays):
    """−log L of one dataset (without the data-only lnΓ(n + 1) terms), as the numpy engine."""
    import jax.numpy as jnp
    from jax.scipy.special import gammaln

    x = theta[arrays["par"]]  # (R, M)
    a = arrays["coef"]
    poly = 1.0 + x * (a[0] + x * (a[1] + x * (a[2] + x * (a[3] + x * (a[4] + x * a[5])))))
    log_base = jnp.where(x >= 1.0, arrays["log_hi"], jnp.where(x <= -1.0, -arrays["log_lo"], 0.0))
    code4 = jnp.where(jnp.abs(x) >= 1.0, jnp.exp(x * log_base), poly)
    x2 = x * x
    g4p = jnp.where(jnp.abs(x) <= 1.0, x2 * (15.0 + x2 * (-10.0 + 3.0 * x2)), 8.0 * jnp.abs(x))
    p = arrays["power"]
    safe = jnp.where(x > 0, x, 1.0)
    powered = jnp.where(p == 1.0, x, jnp.where(p == 2.0, x * x, safe**p))  # ε² of the tied view may be < 0
    kind = arrays["kind"]
    phi = jnp.where(
        kind == FactorKind.POWER,
        powered,
        jnp.where(kind == FactorKind.CODE4, code4, jnp.where(kind == FactorKind.CODE4P_G, g4p, 1.0)),
    )
    rate = jnp.prod(phi, axis=1) @ arrays["basis"]
    main = jnp.sum(rate - jnp.where(data_main > 0, data_main * jnp.log(jnp.where(rate > 0, rate, 1.0)), 0.0))
    bad = jnp.any((rate < 0) | ((rate <= 0) & (data_main > 0)))
    par = theta[arrays["aux_par"]]
    pull = (data_aux - par) / arrays["aux_sigma"]
    gauss = jnp.sum(jnp.where(arrays["aux_poisson"], 0.0, 0.5 * pull**2 + jnp.log(arrays["aux_sigma"])))
    lam = par * arrays["aux_factor"]
    pois_term = lam - jnp.where(data_aux > 0, data_aux * jnp.log(jnp.where(lam > 0, lam, 1.0)), 0.0)
    pois = jnp.sum(jnp.where(arrays["aux_poisson"], pois_term + gammaln(data_aux + 1.0), 0.0))
    return jnp.where(bad, jnp.inf, main + gauss + pois)


@lru_cache(maxsize=8)
def _fitter(max_iter: int, tolerance: float):
    """A jitted, vmapped projected-Newton fit: (arrays, theta (n, P), data, free, lower, upper) → pars, nll, ok."""
    import jax
    import jax.numpy as jnp

    def one(arrays, theta, data_main, data_aux, free, lower, upper):
        def value(t):
            return _nll(t, data_main, data_aux, arrays)

        grad_fn, hess_fn = jax.grad(value), jax.hessian(value)
        margin = 1e-6 * (upper - lower)

        def step_once(carry):
            t, val, done, it = carry
            g = grad_fn(t)
            h = hess_fn(t)
            hold = (~free) | ((t <= lower + margin) & (g > 0)) | ((t >= upper - margin) & (g < 0))
            g = jnp.where(hold, 0.0, g)
            h = jnp.where(hold[:, None] | hold[None, :], 0.0, h) + jnp.diag(jnp.where(hold, 1.0, 0.0))
            scale = 1.0 / jnp.sqrt(jnp.maximum(jnp.abs(jnp.diag(h)), 1e-300))
            hs = h * scale[:, None] * scale[None, :]
            w, v = jnp.linalg.eigh(hs)
            w = jnp.maximum(jnp.abs(w), 1e-10 * jnp.max(jnp.abs(w)))  # modified Newton: |eigenvalues|
            step = -scale * (v @ ((v.T @ (scale * g)) / w))
            step = jnp.where(hold & free, jnp.clip(t, lower, upper) - t, step)
            decrement = -jnp.dot(g, step)

            def halve(state):
                k, _, _ = state
                trial = jnp.clip(t + step * 0.5**k, lower, upper)
                return k + 1, trial, value(trial)

            def worse(state):
                k, _, new = state
                return (k < _HALVINGS) & ~(new <= val)

            first = jnp.clip(t + step, lower, upper)
            _, trial, new = jax.lax.while_loop(worse, halve, (1, first, value(first)))
            accept = new <= val
            t_next = jnp.where(accept & ~done, trial, t)
            val_next = jnp.where(accept & ~done, new, val)
            done_next = done | (0.5 * decrement < tolerance) | ~accept
            return t_next, val_next, done_next, it + 1

        def not_done(carry):
            return (~carry[2]) & (carry[3] < max_iter)

        t0 = jnp.clip(theta, lower, upper)
        t, val, done, _ = jax.lax.while_loop(not_done, step_once, (t0, value(t0), False, 0))
        return t, val, done & jnp.isfinite(val)

    batched = jax.vmap(one, in_axes=(None, 0, 0, 0, None, None, None))
    compiled = jax.jit(batched)

    def run(arrays, theta, data_main, data_aux, free, lower, upper):
        return compiled(
            arrays, theta, data_main, data_aux, jnp.asarray(free), jnp.asarray(lower), jnp.asarray(upper)
        )

    return run


def __dir__() -> list[str]:
    return __all__
