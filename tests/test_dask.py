"""Dask scale-out: a loopback LocalCluster gives results identical to the in-process run (same seed)."""

import numpy as np
import pytest

from cevns_stats.detector.presets import make_detector
from cevns_stats.errors import InvalidInput
from cevns_stats.experiments.projections import reach_setup
from cevns_stats.inference.distributed import dask_client, map_tasks
from cevns_stats.inference.reach import reach_grid
from cevns_stats.physics.fluxes.catalogue import get_channels
from cevns_stats.physics.interactions import make_model


def _square(shared, task):
    return shared * task * task


def test_in_process_map_keeps_order():
    assert map_tasks(_square, 2, [3, 1, 2]) == [18, 2, 8]
    with dask_client() as client:
        assert client is None


def test_bad_cluster_options():
    with pytest.raises(InvalidInput, match="not both"), dask_client("tcp://127.0.0.1:1", 2):
        pass
    with pytest.raises(InvalidInput, match="≥ 1"), dask_client(workers=0):
        pass


def test_local_cluster_matches_in_process():
    pytest.importorskip("dask.distributed")
    setup = reach_setup(
        make_detector("xenon", threshold_keV=2.0),
        get_channels(None),
        make_model("vector-universal"),
        preset="xenon",
    )
    grid = ([3.0, 30.0, 300.0], [0.02, 0.08])
    local = reach_grid(setup, *grid, n_toys=40, seed=21, with_asimov=True)
    with dask_client(workers=2) as client:
        assert len(client.scheduler_info()["workers"]) == 2
        remote = reach_grid(setup, *grid, n_toys=40, seed=21, with_asimov=True, client=client)
    for name in ("z_mean", "z_median", "z_asimov", "n_failed"):
        np.testing.assert_array_equal(getattr(remote, name), getattr(local, name))
