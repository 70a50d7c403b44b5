import pytest

from engine import RecipeError
from engine.recipe.loading import load_recipe
from engine.recipe.overrides import apply_overrides, parse_assignments
from engine.recipe.resolve import resolve


def overridden(*words: str) -> dict:
    return resolve(apply_overrides(load_recipe("iris_mlp"), parse_assignments(list(words))))


def test_values_are_read_as_json_or_as_plain_strings():
    assert parse_assignments(["epochs=5", "optimizer.name=adam", "model.args.dropout=0.5", "x=[1, 2]",
                              "flag=true", "none=null"]) == {
        "epochs": 5, "optimizer.name": "adam", "model.args.dropout": 0.5, "x": [1, 2], "flag": True, "none": None,
    }


def test_dotted_overrides_reach_fields_ranges_and_open_arguments():
    resolved = overridden("epochs=5", "optimizer.learning_rate=0.01", "model.args.width=32",
                          "model.args.dropout=0.5", "data.test_split=0.25")
    assert resolved.epochs == 5
    assert resolved.optimizer["learning_rate"] == 0.01
    assert resolved.model.args["width"] == 32
    # `dropout` is not in the recipe, but it is an argument of the zoo's mlp builder.
    assert resolved.model.args["dropout"] == 0.5
    assert resolved.data.test_split == 0.25


def test_an_int_is_accepted_where_a_float_is_expected():
    assert overridden("optimizer.learning_rate=1").optimizer["learning_rate"] == 1


def test_callbacks_are_addressed_by_class_name_or_index():
    recipe = load_recipe("breast_cancer_mlp")
    by_name = resolve(apply_overrides(recipe, {"callbacks.EarlyStopping.patience": 3}))
    by_index = resolve(apply_overrides(recipe, {"callbacks.0.patience": 3}))
    assert by_name.callbacks[0]["patience"] == by_index.callbacks[0]["patience"] == 3


@pytest.mark.parametrize(
    "word, message",
    [
        ("epoch=5", "Unknown override key `epoch`. Did you mean 'epochs'"),
        ("optimizer.learning_rat=0.1", "Unknown override key `optimizer.learning_rat`. Did you mean 'learning_rate'"),
        ("model.args.widht=8", "Unknown override key `model.args.widht`. Did you mean 'width'"),
        ("epochs=abc", "Override `epochs` expects int. Received: 'abc' (str)"),
        ("epochs=2.5", "Override `epochs` expects int. Received: 2.5"),
        ("optimizer.learning_rate=fast", "Override `optimizer.learning_rate` expects float"),
        ("model.args.width=wide", "Override `model.args.width` expects int"),
        ("data.stratify=1", "Override `data.stratify` expects bool"),
        ("callbacks.Missing.patience=3", "names no entry"),
        ("epochs", "Overrides are written key=value"),
        ("epochs.value=3", "holds a single value"),
    ],
)
def test_bad_overrides_are_refused_before_anything_is_built(word, message):
    with pytest.raises(RecipeError) as caught:
        overridden(word)
    assert message in str(caught.value)


def test_tuner_args_take_the_chosen_tuners_own_arguments_as_the_readme_shows():
    recipe = apply_overrides(load_recipe("iris_mlp"), {"tuner.name": "hyperband", "tuner.args.factor": 4})
    assert recipe.tuner.args == {"factor": 4}
    with pytest.raises(RecipeError, match=r"Unknown override key `tuner.args.factr`. Did you mean 'factor'"):
        apply_overrides(load_recipe("iris_mlp"), {"tuner.name": "hyperband", "tuner.args.factr": 4})
    # The engine sets a tuner's seed and trial count from the recipe, so tuner.args cannot.
    with pytest.raises(RecipeError, match="Unknown override key `tuner.args.seed`"):
        apply_overrides(load_recipe("iris_mlp"), {"tuner.args.seed": 4})
