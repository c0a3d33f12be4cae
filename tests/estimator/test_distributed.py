"""Beyond one machine on existing engines: joblib on a Dask cluster, partial_fit over blocks.

dask, distributed and dask-ml are in the test extra, so these tests import
them unconditionally: a missing package fails here rather than skipping.
"""

from __future__ import annotations

from collections.abc import Iterator

import dask.array as da
import distributed
import joblib
import numpy as np
import pytest
from dask_ml.wrappers import Incremental
from distributed import Client, LocalCluster
from sklearn.datasets import make_moons
from sklearn.model_selection import GridSearchCV

from glassnet import MLPClassifier


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    # Two worker processes with one thread each: real pickling across
    # processes, small enough for a 2-core machine.
    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
            memory_limit="1GiB",
        ) as cluster,
        Client(cluster) as dask_client,
    ):
        yield dask_client


def test_grid_search_on_a_dask_cluster(client: Client) -> None:
    X, y = make_moons(600, noise=0.2, random_state=0)
    search = GridSearchCV(
        MLPClassifier(random_state=0),
        {"alpha": [1e-4, 1e-3, 1e-2]},
        cv=2,
        n_jobs=-1,
    )
    with distributed.get_task_stream(client) as stream, joblib.parallel_backend("dask"):
        search.fit(X, y)
    # Every fit ran on a worker process, not in this one: the cluster's task
    # stream recorded the fits, each on one of its workers.
    workers = set(client.scheduler_info()["workers"])
    assert workers
    assert stream.data
    assert {task["worker"] for task in stream.data} <= workers
    assert search.cv_results_["mean_test_score"].shape == (3,)
    assert search.best_score_ > 0.9
    local = GridSearchCV(
        MLPClassifier(random_state=0),
        {"alpha": [1e-4, 1e-3, 1e-2]},
        cv=2,
    ).fit(X, y)
    # Same seeds, same splits: the cluster computes exactly what one process does.
    np.testing.assert_allclose(
        search.cv_results_["mean_test_score"], local.cv_results_["mean_test_score"]
    )


def test_partial_fit_over_dask_array_blocks_with_incremental() -> None:
    X_np, y_np = make_moons(2000, noise=0.2, random_state=1)
    X = da.from_array(X_np, chunks=(250, 2))
    y = da.from_array(y_np, chunks=250)
    model = Incremental(MLPClassifier(random_state=0), scoring="accuracy", shuffle_blocks=False)
    for _ in range(10):  # each call walks every block once, one partial_fit per block
        model.partial_fit(X, y, classes=[0, 1])
    est = model.estimator_
    assert est.t_ == 10 * 2000
    assert len(est.loss_curve_) == 10 * X.numblocks[0]
    assert model.score(X, y) > 0.9


def test_partial_fit_over_dask_array_blocks_with_a_plain_loop() -> None:
    # Without dask-ml: compute one block at a time, so only one is in memory.
    X_np, y_np = make_moons(2000, noise=0.2, random_state=2)
    X = da.from_array(X_np, chunks=(250, 2))
    y = da.from_array(y_np, chunks=250)
    clf = MLPClassifier(random_state=0)
    for _ in range(10):
        for X_block, y_block in zip(X.to_delayed().ravel(), y.to_delayed(), strict=True):
            clf.partial_fit(X_block.compute(), y_block.compute(), classes=[0, 1])
    assert clf.t_ == 10 * 2000
    assert clf.score(X_np, y_np) > 0.9
