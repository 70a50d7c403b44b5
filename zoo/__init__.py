"""Models: architecture builders in one registry.

    import zoo
    zoo.list_models("*cnn*")
    model = zoo.create("small_cnn", input_shape=(8, 8, 1), num_classes=10, filters=16)
"""

import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

from zoo import cnn, mlp  # noqa: E402,F401  (registers the builders)
from zoo.errors import ZooError  # noqa: E402
from zoo.registry import create, get_builder, list_models, model_arguments, register_model  # noqa: E402

__all__ = ["ZooError", "create", "get_builder", "list_models", "model_arguments", "register_model"]
