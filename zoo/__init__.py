"""Models: architecture builders in one registry, and pretrained models ready to fine-tune.

    import zoo
    zoo.list_models("*cnn*")                        # architectures
    zoo.list_models("*cnn*", pretrained=True)       # shipped pretrained models (and ImageNet backbones)
    model = zoo.create("small_cnn", input_shape=(8, 8, 1), num_classes=10, filters=16)
    model = zoo.load("digits_cnn", pretrained=True, num_classes=5, freeze_backbone=True)
"""

import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

from zoo import (  # noqa: E402,F401  (registers builders)
    applications,
    autoencoder,
    cnn,
    contrastive,
    mlp,
    resnet,
    sequence,
    tabular,
)
from zoo.errors import ZooError  # noqa: E402
from zoo.pretrained import (  # noqa: E402
    card_tolerance,
    list_models_with_weights,
    list_pretrained,
    load,
    read_card,
    replace_head,
    set_backbone_frozen,
    sha256_of,
)
from zoo.registry import (  # noqa: E402
    create,
    get_builder,
    model_arguments,
    model_info,
    register_model,
)
from zoo.registry import list_models as _list_architectures  # noqa: E402


def list_models(pattern: str = "*", pretrained: bool = False) -> list[str]:
    """Registered architectures matching a wildcard; with pretrained=True, the models with weights."""
    return list_models_with_weights(pattern) if pretrained else _list_architectures(pattern)


__all__ = [
    "ZooError", "card_tolerance", "create", "get_builder", "list_models", "list_pretrained", "load", "model_arguments",
    "model_info", "read_card", "register_model", "replace_head", "set_backbone_frozen", "sha256_of",
]
