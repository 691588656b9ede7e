"""The fast engine evaluates the same likelihood as pyhf 0.7.6 on the same workspace.

Workspaces are built by hand: one channel per target, one sample per flux channel (``SM_k``) with a
``normsys`` ``nu_flux_k`` (σ from 1 % to 50 %), NSI samples scaled by ``mu`` (scalar), ``nsi_lin`` /
``nsi_quad`` (vector, fixed per scan point) or a ``histosys`` variant (linear Gaussian).
"""

from __future__ import annotations

import numpy as np
import pyhf
import pytest

from cevns_stats.errors import UnsupportedWorkspace
from cevns_stats.inference.discovery import asimov_data, asimov_z, generate_toys, paper_mode_t, q0
from cevns_stats.inference.engine import CompiledModel
from cevns_stats.inference.fit import fit_batch, fit_signed_eps, nll_grad_hess
from cevns_stats.inference.simplemodels import counting_workspace


def _flux_uncertainties(n_flux: int, rng) -> np.ndarray:
    return np.concatenate([[0.01, 0.05, 0.2, 0.5], rng.uniform(0.01, 0.5, max(n_flux - 4, 0))])[:n_flux]


def _sys(name: str, sigma: float, data: np.ndarray, histo: bool) -> dict:
    if histo:
        return {
            "name": name,
            "type": "histosys",
            "data": {"hi_data": list((1 + sigma) * data), "lo_data": list((1 - sigma) * data)},
        }
    return {"name": name, "type": "normsys", "data": {"hi": 1 + sigma, "lo": 1 - sigma}}


def _samples(kind: str, n_flux: int, n_bins: int, rng, histo: bool) -> list:
    sigmas, samples = _flux_uncertainties(n_flux, rng), []
    for k in range(n_flux):
        shape = np.exp(-np.linspace(0.0, rng.uniform(0.5, 8.0), n_bins))
        sm = 10 ** rng.uniform(-3, 3) * shape / shape.max() + 1e-3  # 1e-3 … 1e3 events per bin
        flux = f"nu_flux_{k}"
        samples.append({"name": f"SM_{k}", "data": list(sm), "modifiers": [_sys(flux, sigmas[k], sm, histo)]})
        if k % 3:
            continue
        tilt = np.linspace(2.0, 0.0, n_bins)  # NSI enhances low recoil energies
        parts = {
            "scalar": [("NSI", 0.2 * sm * tilt, "mu")],
            "vector": [("LIN", -0.3 * sm, "nsi_lin"), ("QUAD", 0.05 * sm, "nsi_quad")],
        }[kind]
        for prefix, data, factor in parts:
            mods = [{"name": factor, "type": "normfactor", "data": None}, _sys(flux, sigmas[k], data, histo)]
            samples.append({"name": f"{prefix}_{k}", "data": list(data), "modifiers": mods})
    return samples


def make_workspace(kind="scalar", *, n_flux=15, n_bins=40, histo=False, targets=("xenon",), seed=1) -> dict:
    """A pyhf workspace spec: one channel per target, SM + NSI samples per flux channel."""
    rng = np.random.default_rng(seed)
    channels = [{"name": t, "samples": _samples(kind, n_flux, n_bins, rng, histo)} for t in targets]
    observations = [
        {
            "name": c["name"],
            "data": list(
                np.round(np.sum([s["data"] for s in c["samples"] if s["name"].startswith("SM")], axis=0))
            ),
        }
        for c in channels
    ]
    params = [
        {"name": "nsi_lin", "fixed": True, "inits": [0.5]},
        {"name": "nsi_quad", "fixed": True, "inits": [0.25]},
    ]
    config = {"poi": "mu", "parameters": []} if kind == "scalar" else {"poi": "nsi_lin", "parameters": params}
    return {
        "channels": channels,
        "observations": observations,
        "version": "1.0.0",
        "measurements": [{"name": "meas", "config": config}],
    }


WORKSPACES = {
    "scalar": {"kind": "scalar"},
    "vector_fixed": {"kind": "vector", "targets": ("xenon", "argon")},
    "histosys": {"kind": "vector", "histo": True},
    "scalar_two_targets": {"kind": "scalar", "targets": ("xenon", "argon")},
}


def _random_points(model: CompiledModel, n: int, rng) -> np.ndarray:
    pars = rng.uniform(-3.0, 3.0, (n, model.n_pars))
    for name in ("mu", "nsi_quad"):
        if name in model.par_names:
            pars[:, model.par_index(name)] = rng.uniform(0.0, 3.0, n)
    pars[:6] = np.round(pars[:6])  # exactly on the interpolation knots α = 0, ±1, ±2, ±3
    return pars


@pytest.mark.parametrize("name", sorted(WORKSPACES))
def test_compiled_model_equals_pyhf(name):
    model = CompiledModel.from_workspace(make_workspace(**WORKSPACES[name]))
    ref = model.pyhf_model
    assert model.par_names == tuple(ref.config.par_names)
    np.testing.assert_array_equal(model.bounds, ref.config.suggested_bounds())
    np.testing.assert_array_equal(model.init, ref.config.suggested_init())
    np.testing.assert_array_equal(model.fixed, ref.config.suggested_fixed())
    pars = _random_points(model, 40, np.random.default_rng(2))
    expected = np.array([ref.expected_actualdata(p) for p in pars])
    np.testing.assert_allclose(model.expected_actualdata(pars), expected, rtol=1e-9, atol=0)
    data = np.concatenate([model.observed_main, model.observed_aux])
    reference = np.array([ref.logpdf(p, data)[0] for p in pars])
    ours = model.logpdf(pars, model.observed_main, model.observed_aux)
    finite = np.isfinite(reference)  # pyhf gives nan where a (vector) rate turns negative
    assert finite.sum() >= 30
    np.testing.assert_allclose(ours[finite], reference[finite], rtol=1e-9, atol=0)


@pytest.mark.parametrize("name", ["scalar", "histosys"])
def test_analytic_derivatives_equal_finite_differences(name):
    model = CompiledModel.from_workspace(make_workspace(**WORKSPACES[name]))
    rng = np.random.default_rng(5)
    pars = model.init + rng.normal(0.0, 0.4, (3, model.n_pars))
    data = np.round(model.expected_actualdata(pars) * 1.1)
    aux = rng.normal(0.0, 1.0, (3, model.aux_nominal.size))
    _, grad, hess = nll_grad_hess(model, pars, data, aux)
    step = 1e-6
    for k in range(model.n_pars):
        shift = np.zeros(model.n_pars)
        shift[k] = step
        numeric = (model.nll(pars + shift, data, aux) - model.nll(pars - shift, data, aux)) / (2 * step)
        np.testing.assert_allclose(grad[:, k], numeric, rtol=1e-5, atol=1e-5)
        row = (
            nll_grad_hess(model, pars + shift, data, aux)[1]
            - nll_grad_hess(model, pars - shift, data, aux)[1]
        ) / (2 * step)
        np.testing.assert_allclose(hess[:, k], row, rtol=1e-5, atol=1e-5)


@pytest.fixture
def tight_pyhf():
    """pyhf's numpy backend with a tightened SLSQP tolerance (its default 1e-6 on −2 log L is too loose
    for a 1e-4 comparison of q0); restored afterwards."""
    pyhf.set_backend("numpy", pyhf.optimize.scipy_optimizer(tolerance=1e-10))
    yield
    pyhf.set_backend("numpy", "scipy")


def _pyhf_q0(model, data_main, data_aux):
    """pyhf's q0 per toy, and −log L (pyhf's logpdf) at its free and null best fits."""
    ref, cfg = model.pyhf_model, model.pyhf_model.config
    out = []
    for main, aux in zip(data_main, data_aux):
        data = np.concatenate([main, aux])
        stat, (null, free) = pyhf.infer.test_statistics.q0(
            0.0,
            data,
            ref,
            cfg.suggested_init(),
            cfg.suggested_bounds(),
            cfg.suggested_fixed(),
            return_fitted_pars=True,
        )
        out.append((float(stat), -ref.logpdf(free, data)[0], -ref.logpdf(null, data)[0]))
    return np.array(out).T


def test_q0_equals_pyhf_on_100_toys(tight_pyhf):
    # 7 parameters and 20 bins keep pyhf's 200 fits within a few seconds
    model = CompiledModel.from_workspace(make_workspace("scalar", n_flux=6, n_bins=20))
    truth = model.init.copy()
    truth[model.par_index("mu")] = 0.05
    data_main, data_aux = generate_toys(model, truth, 100, seed=11, aux="resampled")
    ours = q0(model, data_main, data_aux)
    assert ours.converged.all()
    reference, free_nll, null_nll = _pyhf_q0(model, data_main, data_aux)
    assert np.count_nonzero(reference > 1.0) >= 20  # the comparison covers real excesses, not only zeros
    # our fits never end above pyhf's (−log L evaluated by pyhf itself at pyhf's best fits)
    assert np.all(ours.free.nll <= free_nll + 1e-7) and np.all(ours.null.nll <= null_nll + 1e-7)
    # where pyhf's SLSQP found the same minimum, q0 agrees; with the σ = 50 % code-4 normsys −log L can
    # have a second local minimum near α = −1 where pyhf's (and minuit's) local search may stop
    same = np.abs(ours.free.nll - free_nll) < 1e-6
    assert np.count_nonzero(same) >= 95
    assert np.all(np.abs(ours.q0 - reference)[same] <= 1e-4 * np.maximum(1.0, reference[same]))


def test_counting_experiment_toys_agree_with_asimov():
    model = CompiledModel.from_workspace(counting_workspace(signal=400.0, background=1.0e4, sigma=0.01))
    truth = model.init.copy()  # mu = 1
    z_asimov = float(asimov_z(model, truth)[0])
    assert 2.5 < z_asimov < 4.0
    data_main, data_aux = generate_toys(model, truth, 2000, seed=3, aux="resampled")
    result = q0(model, data_main, data_aux)
    assert result.converged.all()
    assert np.median(result.z) == pytest.approx(z_asimov, rel=0.05)
    assert np.mean(result.z) == pytest.approx(z_asimov, rel=0.05)
    # asymptotically Z = s / sqrt(b + (σ b)²) for a known background uncertainty (Cowan et al. 2011)
    assert z_asimov == pytest.approx(400.0 / np.sqrt(1.0e4 + 100.0**2), rel=0.05)


def test_deficit_gives_zero_significance():
    model = CompiledModel.from_workspace(make_workspace("scalar", n_flux=6, n_bins=20))
    sm = model.init.copy()
    sm[model.par_index("mu")] = 0.0
    data_main = np.floor(0.9 * model.expected_actualdata(sm))
    result = q0(model, np.repeat(data_main, 4, axis=0), np.zeros((4, model.aux_nominal.size)))
    np.testing.assert_array_equal(result.z, 0.0)
    np.testing.assert_array_equal(result.poi_hat, 0.0)  # the fit stops on the physical boundary


def test_standard_and_paper_mode_agree_on_asimov():
    model = CompiledModel.from_workspace(make_workspace("scalar", n_flux=6, n_bins=20))
    alt = model.init.copy()
    alt[model.par_index("mu")] = 0.3
    data_main, data_aux = asimov_data(model, alt)
    standard = q0(model, data_main, data_aux)
    paper = paper_mode_t(model, data_main, data_aux, alt_value=0.3)
    assert standard.z[0] > 1.0
    assert paper.z[0] == pytest.approx(standard.z[0], rel=1e-6)


def test_tied_eps_view_profiles_signed_eps():
    base = CompiledModel.from_workspace(make_workspace("vector", n_flux=6, n_bins=20))
    tied = base.tied(name="eps", bound=3.0)
    assert "eps" in tied.par_names and "nsi_quad" not in tied.par_names
    pars = base.init.copy()
    eps_true = -0.8
    rates = base.signed_eps_rates(eps_true, pars)
    tied_pars = tied.init.copy()
    tied_pars[tied.par_index("eps")] = eps_true
    np.testing.assert_allclose(tied.expected_actualdata(tied_pars), rates, rtol=1e-12)
    result = q0(tied, rates, tied.aux_nominal[None], poi="eps", direction=-1)
    assert result.poi_hat[0] == pytest.approx(eps_true, abs=1e-6)
    assert result.z[0] > 0.0
    wrong_side = fit_batch(tied, rates, tied.aux_nominal[None], bounds={"eps": (0.0, 3.0)})
    assert wrong_side.nll[0] > result.free.nll[0]
    signed = fit_signed_eps(tied, rates, tied.aux_nominal[None], sign=-1)
    assert signed.converged[0] and signed.pars[0, tied.par_index("eps")] == pytest.approx(eps_true, abs=1e-6)


def test_fit_flags_unconverged_fits_without_dropping_them():
    model = CompiledModel.from_workspace(make_workspace("scalar", n_flux=6, n_bins=20))
    data_main, data_aux = generate_toys(model, model.init, 50, seed=2)
    short = fit_batch(model, data_main, data_aux, max_iter=1)
    assert short.pars.shape == (50, model.n_pars) and short.n_failed > 0
    full = fit_batch(model, data_main, data_aux)
    assert full.n_failed == 0
    assert np.all(full.nll <= short.nll + 1e-9)


def test_refilled_batches_fit_each_dataset_as_alone():
    """fit_batch refills its batch as fits converge: a batch of 7 over 40 datasets (fits of 3 to 6
    iterations finishing at different times, some starting at once, some late) gives every dataset the
    same fit as a batch of all 40 and as fitting it alone, with its own iteration count."""
    model = CompiledModel.from_workspace(make_workspace("scalar", n_flux=6, n_bins=20))
    truth = model.init.copy()
    truth[model.par_index("mu")] = 0.1
    data_main, data_aux = generate_toys(model, truth, 40, seed=5, aux="resampled")
    whole = fit_batch(model, data_main, data_aux)
    small = fit_batch(model, data_main, data_aux, chunk_size=7)
    assert whole.converged.all() and small.converged.all()
    assert np.unique(whole.n_iter).size > 1  # the refill is exercised: fits end at different iterations
    np.testing.assert_array_equal(small.n_iter, whole.n_iter)
    np.testing.assert_allclose(small.nll, whole.nll, rtol=1e-12, atol=0)
    np.testing.assert_allclose(small.pars, whole.pars, rtol=1e-9, atol=1e-12)
    for i in (0, 17, 39):
        alone = fit_batch(model, data_main[i], data_aux[i])
        assert alone.n_iter[0] == whole.n_iter[i]
        assert alone.nll[0] == pytest.approx(whole.nll[i], rel=1e-12)
    counting = CompiledModel.from_workspace(counting_workspace(signal=50.0, background=50.0, sigma=0.1))
    start = np.array([[1.0, 0.0], [-5.0, 0.0], [1.0, 0.0]])  # the second starts at a negative rate
    mixed = fit_batch(
        counting,
        [[55.0], [60.0], [40.0]],
        counting.aux_nominal,
        init=start,
        bounds={"mu": (-10, 10)},
        chunk_size=2,
    )
    assert mixed.converged.tolist() == [True, False, True] and mixed.n_iter[1] == 0 and np.isinf(mixed.nll[1])
    np.testing.assert_allclose(mixed.pars[[0, 2], 0], [0.1, -0.2], atol=1e-6)  # (n − 50)/50 with α̂ = 0
    none = fit_batch(model, data_main[:0], data_aux[:0])  # no dataset: empty results, no error
    assert none.pars.shape == (0, model.n_pars) and none.nll.shape == none.converged.shape == (0,)


def test_non_default_interpolation_is_unsupported_with_a_clear_message():
    spec = counting_workspace(10.0, 100.0, 0.1)
    model = pyhf.Workspace(spec).model(
        modifier_settings={"normsys": {"interpcode": "code1"}, "histosys": {"interpcode": "code4p"}}
    )
    with pytest.raises(UnsupportedWorkspace, match="default interpolation"):
        CompiledModel.from_pyhf_model(model)
