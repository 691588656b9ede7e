"""Benchmark: toy-based discovery with pyhf 0.7.6 versus the vectorised engine on one workspace.

The workspace has one channel (40 bins), 15 flux channels with a ``normsys`` each (1–50 %) and a
scalar-NSI POI ``mu`` (16 parameters). pyhf runs ``infer.hypotest(0, ..., test_stat="q0",
calctype="toybased")`` (each toy: two fits of q0; it throws signal+background and background-only toys);
ours computes q0 for a batch of toys with ``cevns_stats.inference.discovery.q0``. pyhf's q0 is also
evaluated on the first of our toys to show both give the same numbers. Both run single-threaded
(BLAS threads set to 1 before numpy is imported).

Usage: python scripts/bench_toys.py [--n-toys 10000] [--pyhf-toys 20] [--json]
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pyhf  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from cevns_stats.inference.discovery import generate_toys, q0  # noqa: E402
from cevns_stats.inference.engine import CompiledModel  # noqa: E402


def benchmark_workspace(n_flux: int = 15, n_bins: int = 40, seed: int = 7) -> dict:
    """16-parameter, 40-bin workspace: per flux channel SM_k and NSI_k (× mu), both with normsys nu_flux_k."""
    rng = np.random.default_rng(seed)
    sigmas = np.concatenate([[0.01, 0.05, 0.2, 0.5], rng.uniform(0.01, 0.5, n_flux - 4)])
    samples = []
    for k in range(n_flux):
        shape = np.exp(-np.linspace(0.0, rng.uniform(0.5, 8.0), n_bins))
        sm = 10 ** rng.uniform(-2, 2.5) * shape / shape.max() + 1e-3
        normsys = {
            "name": f"nu_flux_{k}",
            "type": "normsys",
            "data": {"hi": 1 + sigmas[k], "lo": 1 - sigmas[k]},
        }
        samples.append({"name": f"SM_{k}", "data": list(sm), "modifiers": [normsys]})
        mods = [{"name": "mu", "type": "normfactor", "data": None}, normsys]
        nsi = 0.1 * sm * np.linspace(2.0, 0.0, n_bins)  # NSI enhances low recoil energies
        samples.append({"name": f"NSI_{k}", "data": list(nsi), "modifiers": mods})
    observed = np.round(np.sum([s["data"] for s in samples if s["name"].startswith("SM")], axis=0))
    return {
        "channels": [{"name": "xenon", "samples": samples}],
        "observations": [{"name": "xenon", "data": list(observed)}],
        "measurements": [{"name": "bench", "config": {"poi": "mu", "parameters": []}}],
        "version": "1.0.0",
    }


def time_pyhf(model: CompiledModel, truth: np.ndarray, n_toys: int) -> float:
    """Seconds per toy of pyhf's toy-based q0 hypotest (2·n_toys toys are thrown)."""
    ref = model.pyhf_model
    data = np.concatenate([model.expected_actualdata(truth)[0], model.expected_auxdata(truth)[0]])
    start = time.perf_counter()
    with warnings.catch_warnings():  # pyhf divides CLsb/CLb, which is 0/0 for q0 toys far in the tail
        warnings.simplefilter("ignore", RuntimeWarning)
        pyhf.infer.hypotest(
            0.0, data, ref, test_stat="q0", calctype="toybased", ntoys=n_toys, track_progress=False
        )
    return (time.perf_counter() - start) / (2 * n_toys)


def pyhf_q0(model: CompiledModel, data_main: np.ndarray, data_aux: np.ndarray) -> np.ndarray:
    """pyhf's q0 (test_statistics.q0, scipy SLSQP) on each given toy."""
    cfg = model.pyhf_model.config
    init, bounds, fixed = cfg.suggested_init(), cfg.suggested_bounds(), cfg.suggested_fixed()
    return np.array(
        [
            float(
                pyhf.infer.test_statistics.q0(
                    0.0, np.concatenate([m, a]), model.pyhf_model, init, bounds, fixed
                )
            )
            for m, a in zip(data_main, data_aux)
        ]
    )


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-toys", type=int, default=10000, help="toys for the vectorised engine")
    parser.add_argument("--pyhf-toys", type=int, default=20, help="toys per hypothesis for pyhf's hypotest")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--mu", type=float, default=2.0, help="injected signal strength (Asimov Z ≈ 2.5)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)

    pyhf.set_backend("numpy", "scipy")
    model = CompiledModel.from_workspace(benchmark_workspace())
    truth = model.init.copy()
    truth[model.par_index("mu")] = args.mu
    data_main, data_aux = generate_toys(model, truth, args.n_toys, seed=args.seed, aux="resampled")

    start = time.perf_counter()
    result = q0(model, data_main, data_aux)
    ours = (time.perf_counter() - start) / args.n_toys
    theirs = time_pyhf(model, truth, args.pyhf_toys)
    n_check = min(10, args.n_toys)
    check = pyhf_q0(model, data_main[:n_check], data_aux[:n_check])
    report = {
        "n_parameters": model.n_pars,
        "n_bins": model.n_bins,
        "ours_n_toys": args.n_toys,
        "ours_per_toy_s": ours,
        "ours_failed_fits": int(np.count_nonzero(~result.converged)),
        "pyhf_n_toys": 2 * args.pyhf_toys,
        "pyhf_per_toy_s": theirs,
        "speedup": theirs / ours,
        "median_z_ours": float(np.median(result.z)),
        "max_abs_dq0_vs_pyhf_first_toys": float(np.max(np.abs(result.q0[:n_check] - check))),
    }
    if args.json:
        print(json.dumps(report, sort_keys=True))
    else:
        print(f"workspace: {model.n_pars} parameters, {model.n_bins} bins")
        print(
            f"ours : {ours * 1e6:9.1f} µs per toy ({args.n_toys} toys, {report['ours_failed_fits']} not converged)"
        )
        print(f"pyhf : {theirs * 1e3:9.1f} ms per toy ({2 * args.pyhf_toys} toys, hypotest toybased q0)")
        print(
            f"speed-up: {report['speedup']:.0f}x;  max |Δq0| on {n_check} shared toys: {report['max_abs_dq0_vs_pyhf_first_toys']:.2e}"
        )
    return report


if __name__ == "__main__":
    main()
