"""Dask scale-out: a loopback LocalCluster gives results identical to the in-process run (same seed)."""

import numpy as np
import pytest

from cevns_stats.detector.presets import make_detector
from cevns_stats.errors import InvalidInput
from cevns_stats.experiments.projections import reach_setup
from cevns_stats.inference.distributed import (
    LOOPBACK_DASK_CONFIG,
    WORKER_MALLOC_ENVIRON,
    dask_client,
    map_tasks,
)
from cevns_stats.inference.reach import reach_grid
from cevns_stats.paper.config import PaperConfig
from cevns_stats.paper.reach_study import reach_panels
from cevns_stats.physics.fluxes.catalogue import get_channels
from cevns_stats.physics.interactions import make_model


def _square(shared, task):
    return shared * task * task


def test_in_process_map_keeps_order():
    seen = []
    assert map_tasks(_square, 2, [3, 1, 2], on_result=lambda i, r: seen.append((i, r))) == [18, 2, 8]
    assert seen == [(0, 18), (1, 2), (2, 8)]
    with dask_client() as client:
        assert client is None


def test_cluster_map_reports_each_result_as_it_finishes():
    """on_result gets (task index, result) once per task, in the order they finish; the list keeps task order."""
    pytest.importorskip("dask.distributed")
    seen = []
    with dask_client(workers=2) as client:
        out = map_tasks(_square, 3, list(range(6)), client=client, on_result=lambda i, r: seen.append((i, r)))
    assert out == [3 * k * k for k in range(6)]
    assert sorted(seen) == list(enumerate(out))


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


def test_paper_panels_on_workers_match_in_process():
    """Each reach panel of the paper is one task on a worker: same numbers as in-process, and the workers
    were spawned with the malloc settings that keep the batched fits fast there and without the
    dashboard's periodic work."""
    pytest.importorskip("dask.distributed")
    tiny = PaperConfig("test", np.array([10.0, 1000.0]), np.array([10.0, 1000.0]), 2, 10)
    local = reach_panels(("lead",), tiny)
    ready = []
    with dask_client(workers=2) as client:
        environ = client.run(lambda: {k: __import__("os").environ.get(k) for k in WORKER_MALLOC_ENVIRON})
        config = client.run(lambda: {k: __import__("dask").config.get(k) for k in LOOPBACK_DASK_CONFIG})
        remote = reach_panels(
            ("lead",), tiny, client=client, on_target=lambda t, panels: ready.append((t, panels))
        )
    assert ready == [("lead", remote["lead"])]  # once, with all four panels, in MODELS order
    assert all(env == {k: str(v) for k, v in WORKER_MALLOC_ENVIRON.items()} for env in environ.values())
    assert all(cfg == LOOPBACK_DASK_CONFIG for cfg in config.values())  # no dashboard-only periodic work
    assert (
        list(remote["lead"])
        == list(local["lead"])
        == ["scalar-universal", "scalar-minimal", "vector-universal", "vector-minimal"]
    )
    remote_leaves, local_leaves = _leaves(remote), _leaves(local)
    assert remote_leaves.keys() == local_leaves.keys()
    numbers = {k for k, v in local_leaves.items() if isinstance(v, float)}
    assert {k: remote_leaves[k] for k in numbers} == pytest.approx(
        {k: local_leaves[k] for k in numbers}, rel=1e-9, nan_ok=True
    )  # equal up to rounding: a worker's BLAS threads may differ
    assert all(remote_leaves[k] == v for k, v in local_leaves.items() if k not in numbers)


def _leaves(tree, path=""):
    """{path: value} of every number, string or None in a JSON-like tree (numbers compared with a tolerance)."""
    if isinstance(tree, dict):
        return {k: v for key, item in tree.items() for k, v in _leaves(item, f"{path}/{key}").items()}
    if isinstance(tree, (list, tuple)):
        return {k: v for i, item in enumerate(tree) for k, v in _leaves(item, f"{path}[{i}]").items()}
    return {path: tree}


def test_local_cluster_failure(monkeypatch, caplog):
    """A cluster that cannot start: an error naming it, or (``fallback``, the paper's default) in-process."""
    distributed = pytest.importorskip("dask.distributed")

    def refuse(*args, **kwargs):
        raise OSError("no loopback networking")

    monkeypatch.setattr(distributed, "LocalCluster", refuse)
    with pytest.raises(InvalidInput, match="local Dask cluster: no loopback"), dask_client(workers=2):
        pass
    with dask_client(workers=2, fallback=True) as client:
        assert client is None
    assert "running in-process" in caplog.text


def test_default_workers(monkeypatch):
    """One worker per core where there are several and Dask is installed; in-process otherwise."""
    from cevns_stats.inference import distributed

    monkeypatch.setattr(distributed, "usable_cores", lambda: 4)
    installed = distributed.importlib.util.find_spec("distributed") is not None
    assert distributed.default_workers() == (4 if installed else 0)
    assert distributed.default_workers(n_tasks=3) == (3 if installed else 0)  # no idle workers
    assert distributed.default_workers(n_tasks=1) == 0
    monkeypatch.setattr(distributed.importlib.util, "find_spec", lambda name: None)
    assert distributed.default_workers() == 0
    monkeypatch.setattr(distributed, "usable_cores", lambda: 1)
    assert distributed.default_workers() == 0
