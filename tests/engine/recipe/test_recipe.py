import json

import pytest

from engine import Data, Model, Recipe, RecipeError, hp
from engine.recipe.loading import catalog_names, load_recipe
from engine.recipe.resolve import collect_ranges, resolve


def small_recipe(**fields) -> Recipe:
    return Recipe(
        data=Data(source="iris"),
        model=Model("mlp", args={"width": hp.Int("width", 8, 32, step=8, default=16)}),
        loss="sparse_categorical_crossentropy",
        optimizer={"name": "adam", "learning_rate": hp.Float("learning_rate", 1e-4, 1e-1, log=True, default=0.01)},
        **fields,
    )


def test_a_plain_run_resolves_every_range_to_its_default():
    resolved = resolve(small_recipe())
    assert resolved.model.args["width"] == 16
    assert resolved.optimizer["learning_rate"] == 0.01
    assert set(collect_ranges(small_recipe())) == {"model.args.width", "optimizer.learning_rate"}


def test_resolve_takes_a_tuners_values_by_range_name():
    resolved = resolve(small_recipe(), {"width": 24})
    assert resolved.model.args["width"] == 24
    assert resolved.optimizer["learning_rate"] == 0.01


def test_unknown_field_is_refused_with_the_closest_name():
    config = small_recipe().to_dict()
    config["epoch"] = 3
    with pytest.raises(RecipeError, match="Unknown recipe field `epoch`. Did you mean 'epochs'"):
        Recipe.from_dict(config)


def test_wrong_field_type_is_refused_naming_the_expected_type():
    config = small_recipe().to_dict()
    config["epochs"] = "ten"
    with pytest.raises(RecipeError, match="`epochs` expects int. Received: 'ten'"):
        Recipe.from_dict(config)


def test_model_needs_a_name_or_a_builder():
    with pytest.raises(RecipeError, match="needs a zoo model `name` or a `builder`"):
        small_recipe(**{}).from_dict({**small_recipe().to_dict(), "model": {"args": {}}})


@pytest.mark.parametrize("name", catalog_names())
def test_every_catalog_recipe_serializes_to_json_and_back(name):
    recipe = load_recipe(name)
    text = json.dumps(recipe.to_dict())
    again = Recipe.from_dict(json.loads(text))
    assert again.to_dict() == recipe.to_dict()
    assert recipe.description, f"{name} needs a docstring stating what it trains and the result to expect"
    assert recipe.targets, f"{name} must declare the test metrics it is expected to reach"
    assert isinstance(recipe.seed, int)


def conditional_recipe() -> Recipe:
    return small_recipe(**{}).from_dict({
        **small_recipe().to_dict(),
        "optimizer": {
            "name": hp.Choice("optimizer", ["adam", "sgd"], default="adam").to_dict(),
            "learning_rate": 0.01,
            "momentum": hp.Float("momentum", 0.0, 0.9, default=0.9, parent_name="optimizer",
                                 parent_values=["sgd"]).to_dict(),
        },
    })


def test_a_conditional_range_is_left_out_when_its_parent_takes_another_value():
    recipe = conditional_recipe()
    assert "momentum" not in resolve(recipe).optimizer
    assert resolve(recipe, {"optimizer": "sgd"}).optimizer == {"name": "sgd", "learning_rate": 0.01,
                                                                   "momentum": 0.9}
    assert resolve(recipe, {"optimizer": "sgd", "momentum": 0.5}).optimizer["momentum"] == 0.5


def test_conditions_must_name_another_range_and_its_possible_values():
    config = conditional_recipe().to_dict()
    config["optimizer"]["momentum"]["parent_name"] = "optimiser"
    with pytest.raises(RecipeError, match="not another range of this recipe. Did you mean 'optimizer'"):
        resolve(Recipe.from_dict(config))
    config["optimizer"]["momentum"].update(parent_name="optimizer", parent_values=["nadam"])
    with pytest.raises(RecipeError, match=r"can only take \['adam', 'sgd'\]"):
        resolve(Recipe.from_dict(config))
    with pytest.raises(RecipeError, match="needs both `parent_name` and `parent_values`"):
        hp.Float("momentum", 0.0, 0.9, default=0.9, parent_name="optimizer")
