"""The pieces of the batched fits: starts at predicted minima (:mod:`cevns_stats.inference.starts`) end where
fits from the reference end, in fewer iterations; the Newton step counts releasing a held parameter; the
batched LDLᵀ solve equals LAPACK's and flags matrices that are not positive definite; failed fits are
repeated from a second start; −log L keeps pyhf's conventions at zero rates.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from cevns_stats.inference.discovery import generate_toys, q0
from cevns_stats.inference.engine import CompiledModel
from cevns_stats.inference.fit import fit_batch, free_and_box, nll_grad_hess, refit_failed
from cevns_stats.inference.newton import ldl_solve, newton_step
from cevns_stats.inference.simplemodels import counting_workspace
from cevns_stats.inference.starts import linear_response_starts

BENCH = Path(__file__).resolve().parents[1] / "scripts" / "bench_toys.py"


def _bench_model() -> CompiledModel:
    """The 16-parameter, 40-bin model of scripts/bench_toys.py (NSI on every flux channel)."""
    spec = importlib.util.spec_from_file_location("bench_toys", BENCH)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    return CompiledModel.from_workspace(bench.benchmark_workspace())


@pytest.fixture(scope="module")
def bench_model() -> CompiledModel:
    return _bench_model()


def _toys(model: CompiledModel, mu: float, n: int, seed: int):
    truth = model.init.copy()
    truth[model.par_index("mu")] = mu
    return generate_toys(model, truth, n, seed=seed, aux="resampled")


def test_start_is_one_newton_step_with_the_reference_hessian(bench_model):
    """Independent route: the toy's own gradient at the reference (the engine's analytic derivatives,
    evaluated on the toy) and the reference's Hessian give the same step as the linear response."""
    model = bench_model
    main, aux = _toys(model, 2.0, 50, seed=3)
    mean = (main.mean(axis=0)[None], aux.mean(axis=0)[None])
    reference = fit_batch(model, *mean)
    assert reference.converged[0]
    free, box = free_and_box(model)
    starts = linear_response_starts(model, (reference.pars, *mean), (main, aux), free=free, box=box)
    ref = np.repeat(reference.pars, main.shape[0], axis=0)
    _, grad, _ = nll_grad_hess(model, ref, main, aux)  # each toy's gradient at the reference point
    _, _, hess = nll_grad_hess(model, reference.pars, *mean)
    step = -np.linalg.solve(hess[0], grad.T).T
    inside = np.all((ref + step > box[0]) & (ref + step < box[1]), axis=1)
    assert inside.sum() >= 45  # the comparison is not only of clipped starts
    np.testing.assert_allclose(starts[inside], (ref + step)[inside], rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("mu", [0.5, 2.0])
def test_predicted_starts_reach_the_same_minima_in_fewer_iterations(bench_model, mu):
    model = bench_model
    main, aux = _toys(model, mu, 400, seed=7)
    index = model.par_index("mu")
    result = q0(model, main, aux)  # starts predicted from the fits of the mean dataset
    null_ref = fit_batch(model, main.mean(axis=0), aux.mean(axis=0), fixed={"mu": 0.0}).pars
    null = fit_batch(model, main, aux, fixed={"mu": 0.0}, init=null_ref)  # the same fits from the reference
    free = fit_batch(model, main, aux, init=null.pars)  # the free fits from the background-only fits
    assert result.converged.all() and null.converged.all() and free.converged.all()
    np.testing.assert_allclose(result.null.nll, null.nll, rtol=0, atol=1e-7)
    np.testing.assert_allclose(result.free.nll, free.nll, rtol=0, atol=2e-5)  # within the fits' tolerance
    assert np.median(np.abs(result.free.pars[:, index] - free.pars[:, index])) < 1e-4
    assert result.null.n_iter.mean() < null.n_iter.mean() - 0.8
    assert result.free.n_iter.mean() < free.n_iter.mean() - 0.3


def test_newton_step_counts_the_release_of_a_held_parameter():
    """θ₀ on its lower bound with a small outward gradient is held; the step of θ₁ turns θ₀'s gradient
    inwards (cross term 0.9), so the decrement adds g₀'²/H₀₀ with g₀' = 0.01 − 0.9·0.5: the fit goes on
    instead of stopping on a bound that its own step makes wrong (a prototype of the predicted starts,
    without the held parameters of the reference, stopped 2.5e-4 above a minimum this way)."""
    hess = np.array([[[1.0, 0.9], [0.9, 1.0]]])
    box = (np.zeros(2), np.full(2, 10.0))
    theta = np.array([[0.0, 1.0]])
    step, decrement, newton = newton_step(np.array([[0.01, 0.5]]), hess, hess, theta, box)
    assert newton[0] and step[0, 0] == 0.0 and step[0, 1] == pytest.approx(-0.5)
    assert decrement[0] == pytest.approx(0.5**2 + (0.01 - 0.9 * 0.5) ** 2)
    # the gradient stays outward after the step: nothing to add
    _, decrement, _ = newton_step(np.array([[0.5, 0.1]]), hess, hess, theta, box)
    assert decrement[0] == pytest.approx(0.1**2)


def test_ldl_solve_equals_lapack_and_flags_indefinite_matrices():
    rng = np.random.default_rng(4)
    for size in (1, 2, 9, 16):
        factors = rng.normal(size=(200, size, 3 * size))
        hess = factors @ factors.transpose(0, 2, 1)  # positive definite
        hess[:20] -= 2.0 * np.abs(hess[:20]).max() * np.eye(size)  # negative definite: not
        rhs = rng.normal(size=(200, size))
        x, ok = ldl_solve(hess, rhs)
        assert ok.tolist() == [False] * 20 + [True] * 180
        np.testing.assert_allclose(x[20:], np.linalg.solve(hess[20:], rhs[20:, :, None])[:, :, 0], rtol=1e-9)
    singular = np.array([[[1.0, 1.0], [1.0, 1.0]]])  # positive semi-definite only
    assert not ldl_solve(singular, np.ones((1, 2)))[1][0]


def test_failed_fits_are_repeated_from_the_second_start():
    model = CompiledModel.from_workspace(counting_workspace(signal=10.0, background=100.0, sigma=0.05))
    main = np.array([[100.0], [130.0], [160.0]])
    short = fit_batch(model, main, model.aux_nominal, max_iter=1)
    assert short.n_failed > 0
    again = refit_failed(model, main, model.aux_nominal, short, init=model.init, fixed=None)
    full = fit_batch(model, main, model.aux_nominal)
    assert again.converged.all()
    np.testing.assert_allclose(again.nll, full.nll, rtol=1e-12)
    np.testing.assert_array_equal(again.n_iter[~short.converged], 1 + full.n_iter[~short.converged])
    np.testing.assert_array_equal(again.pars[short.converged], short.pars[short.converged])


def test_negative_log_likelihood_at_zero_and_negative_rates():
    """The fast −log L (one logarithm per bin) keeps pyhf's conventions where rates vanish."""
    sample = {
        "name": "signal",
        "data": [10.0],
        "modifiers": [{"name": "mu", "type": "normfactor", "data": None}],
    }
    spec = {
        "channels": [{"name": "bin", "samples": [sample]}],
        "observations": [{"name": "bin", "data": [10.0]}],
        "measurements": [{"name": "m", "config": {"poi": "mu", "parameters": []}}],
        "version": "1.0.0",
    }
    model = CompiledModel.from_workspace(spec)
    pars = np.array([[1.0], [0.0], [0.0], [-2.0]])  # rates 10, 0, 0, −20
    data = np.array([[12.0], [0.0], [3.0], [5.0]])
    nll = model.nll(pars, data, model.aux_nominal)
    np.testing.assert_allclose(nll[:2], -model.logpdf(pars[:2], data[:2], model.aux_nominal), rtol=1e-12)
    assert nll[1] == 0.0  # no counts at zero rate: L = 1
    assert np.isposinf(nll[2]) and np.isposinf(nll[3])  # counts at zero rate; a negative rate
    finite = model.nll_is_finite(pars, data, np.zeros((4, 0)))
    assert finite.tolist() == [True, True, False, False]
