"""Default Keras models for the built-in data sources.

A model builder is ``"package.module:function"``; it takes keyword arguments and returns
an uncompiled or compiled ``keras.Model``.  The training task compiles it if needed.
"""

from __future__ import annotations

from typing import Any

DEFAULT_BUILDERS = {"sklearn:digits": "delta.fl.models:digits_mlp"}


def digits_mlp(hidden: int = 64, layers: int = 1) -> Any:
    """A small MLP for 8x8 digits: ``layers`` dense ReLU layers of ``hidden`` units."""
    import keras

    model = keras.Sequential([keras.Input(shape=(64,))])
    for _ in range(layers):
        model.add(keras.layers.Dense(hidden, activation="relu"))
    model.add(keras.layers.Dense(10, activation="softmax"))
    return model


def digits_cnn(filters: int = 16) -> Any:
    """A small CNN for 8x8 digits."""
    import keras

    return keras.Sequential([
        keras.Input(shape=(64,)),
        keras.layers.Reshape((8, 8, 1)),
        keras.layers.Conv2D(filters, 3, activation="relu", padding="same"),
        keras.layers.MaxPooling2D(),
        keras.layers.Flatten(),
        keras.layers.Dense(10, activation="softmax"),
    ])


def resolve_builder(builder: str) -> Any:
    """Import ``"package.module:function"`` and return the function."""
    import importlib

    from delta.errors import ConfigError

    module_name, _, attr = builder.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigError(f"cannot import model builder module {module_name!r}: {exc}",
                          field="model.builder") from None
    fn = getattr(module, attr, None)
    if not callable(fn):
        raise ConfigError(f"{module_name!r} has no callable {attr!r}", field="model.builder")
    return fn
