import pytest

from engine import RecipeError, hp


def test_ranges_keep_their_default_and_round_trip_through_json():
    ranges = [
        hp.Float("learning_rate", 1e-4, 1e-2, log=True, default=1e-3),
        hp.Int("units", 16, 128, step=16, default=32),
        hp.Choice("activation", ["relu", "tanh"], default="tanh"),
        hp.Boolean("batch_norm", default=True),
    ]
    for range_ in ranges:
        assert hp.from_dict(range_.to_dict()) == range_
    assert [range_.default for range_ in ranges] == [1e-3, 32, "tanh", True]


@pytest.mark.parametrize(
    "make, words",
    [
        (lambda: hp.Float("lr", 1e-2, 1e-4, default=1e-3), "min_value <= max_value"),
        (lambda: hp.Float("lr", 1e-4, 1e-2, default=1.0), "between min_value and max_value"),
        (lambda: hp.Float("lr", 0.0, 1.0, log=True, default=0.5), "min_value > 0"),
        (lambda: hp.Float("lr", 1e-4, 1e-2), "needs a number for `default`"),
        (lambda: hp.Int("units", 8, 64, default=7.5), "whole number"),
        (lambda: hp.Choice("activation", ["relu", "tanh"], default="gelu"), "must be one of"),
        (lambda: hp.Choice("activation", [], default="relu"), "non-empty"),
        (lambda: hp.Boolean("batch_norm", default="yes"), "True or False"),
        (lambda: hp.from_dict({"hp": "Floaty", "name": "x"}), "must be one of"),
    ],
)
def test_bad_ranges_are_refused_with_a_message_naming_the_problem(make, words):
    with pytest.raises(RecipeError, match=words.replace("(", r"\(")):
        make()
