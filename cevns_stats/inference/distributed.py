"""Run independent tasks in-process or on a Dask cluster, results in task order (DESIGN.md: scale out with Dask).

``dask_client(scheduler=ADDRESS)`` connects to a running ``dask.distributed`` scheduler;
``dask_client(workers=N)`` starts a loopback ``LocalCluster`` (N worker processes, one thread each, no
dashboard) for the duration of the ``with`` block; with neither it yields ``None`` and :func:`map_tasks`
runs in-process. A task carries everything that decides its result (e.g. its own ``SeedSequence``), so the
results are the same however and wherever the tasks run (up to rounding where a different number of BLAS
threads changes the order of a sum).

The loopback cluster's workers keep freed memory (glibc ``MALLOC_TRIM_THRESHOLD_`` 256 MiB and
``MALLOC_MMAP_THRESHOLD_`` 32 MiB, set before they are spawned): Dask's default trim threshold (64 KiB,
meant for long-lived workers to hand memory back) makes every multi-MB work array of the batched fits
come from fresh pages, which made the fits ≈ 1.5× slower on a worker than in-process (scripts/bench_reach.py).
The loopback cluster also runs without the periodic work that serves Dask's dashboard (which it does not
start): no statistical profiler in the workers (a stack sample every 10 ms), the system monitor every 5 s
instead of 0.5 s, the event-loop tick every 0.5 s instead of 20 ms. Idle, the default settings cost the
scheduler and two workers 2.5 s of CPU per 20 s (≈ 6 % of a 2-core machine during a paper run); these 0.75 s.
A cluster the user runs (``scheduler``) keeps its own settings.
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import os
import sys
from collections.abc import Callable
from typing import Any

from cevns_stats.errors import InvalidInput

__all__ = [
    "LOOPBACK_DASK_CONFIG",
    "WORKER_MALLOC_ENVIRON",
    "dask_client",
    "default_workers",
    "map_tasks",
    "usable_cores",
]

log = logging.getLogger(__name__)

#: glibc malloc settings of the loopback cluster's workers (module docstring); bytes.
WORKER_MALLOC_ENVIRON = {"MALLOC_TRIM_THRESHOLD_": 256 * 2**20, "MALLOC_MMAP_THRESHOLD_": 32 * 2**20}

#: Dask settings of the loopback cluster: no dashboard-only periodic work (module docstring).
LOOPBACK_DASK_CONFIG = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.system-monitor.interval": "5s",
    "distributed.admin.tick.interval": "500ms",
}


def usable_cores() -> int:
    """CPU cores this process may run on (its affinity mask; ``os.cpu_count()`` where there is none)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def default_workers(n_tasks: int | None = None) -> int:
    """Local workers for a command's default: one per usable core (at most ``n_tasks``) if that makes several
    and Dask is installed (the ``[dask]`` extra), else 0 (in-process)."""
    workers = usable_cores() if n_tasks is None else min(usable_cores(), n_tasks)
    if workers < 2:
        return 0
    if importlib.util.find_spec("distributed") is None:
        log.info("dask.distributed is not installed (pip install 'cevns-stats[dask]'): running in-process")
        return 0
    return workers


def _check(scheduler, workers) -> None:
    if scheduler is not None and workers is not None:
        msg = f"give either a scheduler address or a number of workers, not both (got {scheduler!r} and {workers!r})"
        raise InvalidInput(msg)
    if workers is not None and (not isinstance(workers, int) or workers < 1):
        msg = f"the number of Dask workers must be an integer ≥ 1, got {workers!r}"
        raise InvalidInput(msg)


@contextlib.contextmanager
def dask_client(scheduler: str | None = None, workers: int | None = None, *, fallback: bool = False):
    """A ``dask.distributed.Client`` for ``scheduler`` or a new loopback ``LocalCluster``; ``None`` for neither.

    ``fallback``: if the local cluster cannot start (e.g. no loopback networking), log a warning and yield
    ``None`` (run in-process) instead of raising.

    Raises:
        InvalidInput: both given, ``workers`` < 1, or the scheduler cannot be reached.
    """
    _check(scheduler, workers)
    if scheduler is None and workers is None:
        yield None
        return
    import dask.config
    from dask.distributed import Client, LocalCluster

    cluster, client = None, None
    try:
        if scheduler is not None:
            client = Client(scheduler, timeout="10s")
        else:
            environ = {
                f"distributed.nanny.pre-spawn-environ.{k}": v for k, v in WORKER_MALLOC_ENVIRON.items()
            }
            with dask.config.set({**environ, **LOOPBACK_DASK_CONFIG}):
                cluster = LocalCluster(
                    n_workers=workers,
                    processes=True,
                    threads_per_worker=1,
                    host="127.0.0.1",
                    dashboard_address=None,
                )
            client = Client(cluster)
    except (OSError, TimeoutError) as err:
        if scheduler is not None or not fallback:
            where = f"the Dask scheduler {scheduler!r}" if scheduler is not None else "a local Dask cluster"
            msg = f"cannot connect to {where}: {err}"
            raise InvalidInput(msg) from None
        log.warning("could not start a local Dask cluster (%s): running in-process", err)
        client = None
    if client is None:
        yield None
        return
    try:
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _apply(task, *, task_function, shared):
    return task_function(shared, task)


def _progress_bar(total: int, progress: bool, desc: str):
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, file=sys.stderr, disable=not (progress and sys.stderr.isatty()))


def map_tasks(
    func,
    shared,
    tasks,
    *,
    client=None,
    progress: bool = False,
    desc: str = "tasks",
    on_result: Callable[[int, Any], object] | None = None,
) -> list:
    """``[func(shared, task) for task in tasks]``, in-process (``client=None``) or on the Dask ``client``.

    Args:
        func: a picklable module-level function ``func(shared, task)``.
        shared: data every task needs (sent once to each worker with ``Client.scatter(broadcast=True)``).
        tasks: a list of picklable task descriptions.
        progress: show a tqdm bar on stderr (only if stderr is a terminal).
        on_result: called in this process as ``on_result(index, result)`` as each task finishes (in the
            order they finish), e.g. to draw a figure while the other tasks run.

    Returns:
        The results, in the order of ``tasks``.
    """
    tasks = list(tasks)
    results: list = [None] * len(tasks)

    def finished(index: int, result: object) -> None:
        results[index] = result
        bar.update()
        if on_result is not None:
            on_result(index, result)

    with _progress_bar(len(tasks), progress, desc) as bar:
        if client is None:
            for index, task in enumerate(tasks):
                finished(index, func(shared, task))
            return results
        from dask.distributed import as_completed

        remote = client.scatter(shared, broadcast=True)
        futures = client.map(_apply, tasks, task_function=func, shared=remote, pure=False)
        position = {future.key: index for index, future in enumerate(futures)}
        for future, result in as_completed(futures, with_results=True):
            finished(position[future.key], result)
        return results


def __dir__() -> list[str]:
    return __all__
