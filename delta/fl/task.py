"""The training task: what runs at an endpoint for one FL round.

:func:`train_task` is self-contained (it imports what it needs when it runs) so Globus
Compute's ``ComputeSerializer`` can ship it by reference to any endpoint where DELTA is
installed.  Weights travel as lists of numpy arrays, never as pickled models.
"""

from __future__ import annotations

from typing import Any


def train_task(
    builder: str,
    weights: list | None,
    data: dict[str, Any],
    samples: int,
    epochs: int,
    batch_size: int = 32,
    *,
    builder_kwargs: dict[str, Any] | None = None,
    seed: int = 0,
    learning_rate: float = 0.05,
    prox_mu: float = 0.0,
    threads: int = 0,
) -> dict[str, Any]:
    """Train the model on ``samples`` local samples for ``epochs`` epochs.

    Parameters
    ----------
    builder:
        ``"package.module:function"`` returning a ``keras.Model``.
    weights:
        Global weights to start from (``None``: the builder's initialisation).
    data:
        A data spec for :func:`delta.fl.data.load`.
    samples, epochs, batch_size:
        The plan's knobs. ``samples`` is capped by the local data.
    prox_mu:
        FedProx proximal term weight (0: plain local SGD).
    threads:
        TensorFlow intra-op threads (0: TensorFlow's default).

    Returns
    -------
    dict
        ``weights`` (list of arrays), ``samples``, ``epochs``, ``timings`` (wall seconds
        of import — with a cold worker's one-off model compilation —, load, build, train
        and total; ``cpu``: process CPU seconds of load + build + train, which a busy
        shared host inflates far less than wall time), ``hardware`` (cores, memory_gb)
        and ``metrics`` (loss, accuracy of the last epoch).
    """
    import os
    import time

    t0 = time.perf_counter()
    # Imports are timed apart: a fresh worker pays ~8 s for TensorFlow once, which is
    # not part of what the round's training costs on a warm endpoint.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras
    import numpy as np
    import tensorflow as tf

    from delta.fl.data import load

    if threads:
        try:
            tf.config.threading.set_intra_op_parallelism_threads(int(threads))
            tf.config.threading.set_inter_op_parallelism_threads(1)
        except RuntimeError:
            pass  # already initialised in this worker; keep its setting
    from delta.fl.task import compiled_model, initial_weights

    # A cold worker compiles and traces the train step here, once (like the imports).
    model, anchors, mu = compiled_model(builder, builder_kwargs, learning_rate, prox_mu > 0)
    t_import = time.perf_counter()
    cpu0 = time.process_time()
    x, y = load(data)
    rng = np.random.default_rng(seed)
    n = min(int(samples), len(x))
    pick = rng.choice(len(x), size=n, replace=False) if n < len(x) else np.arange(len(x))
    x, y = x[pick], y[pick]
    t_load = time.perf_counter()

    if weights is None:
        weights = initial_weights(builder, builder_kwargs=builder_kwargs, seed=seed)
    model.set_weights([np.asarray(w) for w in weights])
    if anchors:
        for a, v in zip(anchors, model.trainable_weights):
            a.assign(v.numpy())
        mu.assign(float(prox_mu))
    keras.utils.set_random_seed(seed)  # the shuffling order of this task
    t_build = time.perf_counter()

    history = model.fit(x, y, epochs=int(epochs), batch_size=int(batch_size), verbose=0,
                        shuffle=True) if n and epochs else None
    t_train = time.perf_counter()
    cpu = time.process_time() - cpu0
    metrics = ({k: float(v[-1]) for k, v in history.history.items()} if history else {})
    return {
        "weights": [np.asarray(w) for w in model.get_weights()],
        "samples": n,
        "epochs": int(epochs),
        "batch_size": int(batch_size),
        "model_params": int(model.count_params()),
        "timings": {"import": t_import - t0, "load": t_load - t_import,
                    "build": t_build - t_load, "train": t_train - t_build,
                    "total": t_train - t0, "cpu": cpu},
        "hardware": {"cores": os.cpu_count() or 1,
                     "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
                                        / 2**30, 2)},
        "metrics": metrics,
    }


#: Compiled models of this worker process, by configuration: compiling and tracing the
#: train step costs more than a small model's whole round, so a warm worker (like a warm
#: endpoint) pays it once.
_COMPILED: dict[tuple, tuple] = {}


def compiled_model(builder: str, builder_kwargs: dict[str, Any] | None, learning_rate: float,
                   prox: bool) -> tuple[Any, list, Any]:
    """``(model, anchors, mu)``: a compiled model reused across this worker's tasks.

    With ``prox`` the loss adds FedProx's ``mu/2 * ||w - anchor||^2``; the anchors (the
    round's global weights) and ``mu`` are variables the task assigns.
    """
    import json

    key = (builder, json.dumps(builder_kwargs or {}, sort_keys=True, default=str),
           float(learning_rate), bool(prox))
    if key in _COMPILED:
        return _COMPILED[key]
    import keras
    import tensorflow as tf

    from delta.fl.models import resolve_builder

    model = resolve_builder(builder)(**(builder_kwargs or {}))
    loss_fn = keras.losses.SparseCategoricalCrossentropy()
    anchors: list = []
    mu = tf.Variable(0.0, trainable=False)
    loss: Any = loss_fn
    if prox:
        anchors = [tf.Variable(tf.zeros(v.shape, v.dtype), trainable=False)
                   for v in model.trainable_weights]

        def loss(y_true, y_pred):
            prox_term = tf.add_n([tf.reduce_sum(tf.square(v - a))
                                  for v, a in zip(model.trainable_weights, anchors)])
            return loss_fn(y_true, y_pred) + 0.5 * mu * prox_term

    model.compile(optimizer=keras.optimizers.SGD(learning_rate=learning_rate), loss=loss,
                  metrics=["accuracy"])
    # Trace the train step on one dummy batch, so no task's timing carries it.
    import numpy as np

    shape = tuple(d or 1 for d in model.inputs[0].shape[1:])
    model.fit(np.zeros((2, *shape), np.float32), np.zeros(2, np.int64), epochs=1,
              batch_size=2, verbose=0)
    _COMPILED[key] = (model, anchors, mu)
    return _COMPILED[key]


def initial_weights(builder: str, *, builder_kwargs: dict[str, Any] | None = None,
                    seed: int = 0) -> list:
    """The builder's initial weights for ``seed``: the global model of round 1."""
    import os

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras
    import numpy as np

    from delta.fl.models import resolve_builder

    keras.utils.set_random_seed(seed)
    model = resolve_builder(builder)(**(builder_kwargs or {}))
    return [np.asarray(w) for w in model.get_weights()]


def evaluate_task(builder: str, weights: list, data: dict[str, Any], *,
                  builder_kwargs: dict[str, Any] | None = None) -> dict[str, float]:
    """Accuracy and loss of ``weights`` on a data spec (the held-out validation split)."""
    import os

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras
    import numpy as np

    from delta.fl.data import load
    from delta.fl.models import resolve_builder

    x, y = load(data)
    model = resolve_builder(builder)(**(builder_kwargs or {}))
    model.set_weights([np.asarray(w) for w in weights])
    model.compile(loss=keras.losses.SparseCategoricalCrossentropy(), metrics=["accuracy"])
    loss, acc = model.evaluate(x, y, batch_size=256, verbose=0)
    return {"loss": float(loss), "accuracy": float(acc)}
