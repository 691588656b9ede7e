"""Benchmark: one full paper panel (20 exposures × 20 ε × 600 toys) of the reach scan, in-process.

Scalar-universal NSI in the generic xenon detector (tanh efficiency, E_th = 1 keV), exposures 0.1–10⁴ t·yr
and ε = 10⁻³–10⁻¹ (log-spaced), toys in the default mode (q0, resampled auxiliary data). The templates are
built once (``setup_s``) and scaled per point; ``panel_s`` is the wall time of the grid itself (``panel_cpu_s``
the CPU time of this process, meaningful in-process only). ``--workers N`` runs the exposures on a loopback
Dask cluster of N single-threaded processes (``--workers 2`` for "2 cores"). BLAS threads are set to 1 before
numpy is imported (the fits are batched in numpy, not BLAS-bound).

Usage: python scripts/bench_reach.py [--exposures 20] [--eps 20] [--toys 600] [--seed 1] [--workers N] [--json]
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from cevns_stats.detector.presets import make_detector  # noqa: E402
from cevns_stats.experiments.projections import reach_setup  # noqa: E402
from cevns_stats.inference.distributed import dask_client  # noqa: E402
from cevns_stats.inference.reach import reach_grid  # noqa: E402
from cevns_stats.physics.fluxes.catalogue import get_channels  # noqa: E402
from cevns_stats.physics.interactions import make_model  # noqa: E402


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exposures", type=int, default=20, help="number of exposures (0.1–1e4 t·yr)")
    parser.add_argument("--eps", type=int, default=20, help="number of ε values (1e-3–1e-1)")
    parser.add_argument("--toys", type=int, default=600, help="toys per grid point")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--workers", type=int, default=None, help="Dask worker processes (default: in-process)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)

    start = time.perf_counter()
    setup = reach_setup(
        make_detector("xenon", threshold_keV=1.0),
        get_channels(None),
        make_model("scalar-universal"),
        preset="xenon",
    )
    setup_s = time.perf_counter() - start
    exposures, eps = np.geomspace(0.1, 1e4, args.exposures), np.geomspace(1e-3, 1e-1, args.eps)
    with dask_client(workers=args.workers) as client:
        start, cpu = time.perf_counter(), time.process_time()
        result = reach_grid(setup, exposures, eps, n_toys=args.toys, seed=args.seed, client=client)
        panel_s, panel_cpu_s = time.perf_counter() - start, time.process_time() - cpu
    n_points = exposures.size * eps.size
    report = {
        "panel_s": panel_s,
        "panel_cpu_s": panel_cpu_s,
        "workers": args.workers or 0,
        "setup_s": setup_s,
        "n_points": n_points,
        "n_toys": args.toys,
        "per_toy_s": panel_s / (n_points * args.toys),
        "n_failed_fits": int(result.n_failed.sum()),
        "contour_3sigma_eps_at_100_tyr": float(np.interp(2.0, np.log10(exposures), result.contours()[3.0])),
        "cpu_count": os.cpu_count(),
    }
    if args.json:
        print(json.dumps(report, sort_keys=True))
    else:
        print(
            f"panel: {n_points} points × {args.toys} toys in {panel_s:.1f} s "
            f"({report['per_toy_s'] * 1e6:.0f} µs per toy, {report['n_failed_fits']} failed fits); "
            f"templates {setup_s:.1f} s"
        )
    return report


if __name__ == "__main__":
    main()
