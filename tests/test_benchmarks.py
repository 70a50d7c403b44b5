"""The parity benchmark's baseline is a fair one: its hand-written script trains what the engine trains."""

import dataclasses

import pytest

from benchmarks.clock import BUILT, EngineClock, EpochClock
from benchmarks.handwritten import SCRIPTS
from engine.recipe.loading import load_recipe
from engine.run.training import run_recipe


def test_every_hand_written_script_is_a_catalog_recipe():
    from engine.recipe.loading import catalog_names

    assert set(SCRIPTS) <= set(catalog_names())


def test_the_hand_set_arm_sets_the_dtype_policy_and_steps_the_script_compiles_with():
    import keras

    from benchmarks.handwritten import use
    from benchmarks.overhead import HAND_SET

    try:
        assert use(None) == {"steps_per_execution": 1}
        assert keras.mixed_precision.global_policy().name == "float32"
        for settings in HAND_SET:
            assert use(settings) == {"steps_per_execution": settings["steps_per_execution"]}
            assert keras.mixed_precision.global_policy().name == settings["precision"]
    finally:
        keras.mixed_precision.set_global_policy("float32")


@pytest.mark.figures
def test_the_hand_written_script_and_the_engine_reach_the_same_test_metrics(tmp_path):
    clock = EpochClock()
    script = SCRIPTS["breast_cancer_mlp"](3, clock)
    recipe = load_recipe("breast_cancer_mlp")
    recipe = dataclasses.replace(recipe, epochs=3, callbacks=[EngineClock, *recipe.callbacks])
    engine = run_recipe(recipe, runs_dir=tmp_path, console=lambda line: None, verbose=0).metrics["test"]
    assert set(script) == set(engine) == {"loss", "accuracy"}
    for name in script:
        assert abs(script[name] - engine[name]) <= 1e-6, (name, script[name], engine[name])
    # One period per epoch, each from an epoch's start to the next (the last to the end of training).
    assert len(clock.periods()) == len(BUILT[-1].periods()) == 3
    assert all(period > 0 for period in clock.periods())


def test_the_catalog_results_file_keeps_each_recipe_and_gives_back_its_table(tmp_path):
    from benchmarks.catalog import Spread, keep, kept, table

    path = tmp_path / "catalog.json"
    keep([Spread("iris_mlp", "accuracy", 0.93, [0.9, 1.0], [0.95, 0.95], "RBF SVM accuracy", [2.0, 4.0])], path)
    keep([Spread("wine_mlp", "accuracy", 0.94, [0.5], [1.0], "RBF SVM accuracy", [3.0])], path)
    keep([Spread("iris_mlp", "accuracy", 0.93, [0.8], [0.9], "RBF SVM accuracy", [1.0])], path)
    spreads = kept(path)
    assert [(spread.name, spread.scores) for spread in spreads] == [("iris_mlp", [0.8]), ("wine_mlp", [0.5])]
    rows = table(spreads)
    assert "| `wine_mlp` | accuracy | 1 | 0.5000 | 0.5000 | 0.5000 | >= 0.94 | RBF SVM accuracy 1.0000 | 3.0 |" in rows


def test_a_benchmark_results_file_keeps_the_machine_and_renders_as_its_page(tmp_path):
    from benchmarks import pages, results_file

    header, rows = ["recipe", "batch size", "ratio"], [["`digits_cnn`", 32, "71.4x"], ["`iris_mlp`", 16, 0.5]]
    path = results_file.save("pipeline", ["digits_cnn"], [results_file.table("Pipeline", header, rows)],
                             ["Goal: met."], {"ratio": 71.4}, folder=tmp_path)
    kept = results_file.load("pipeline", folder=tmp_path)
    assert path == tmp_path / "pipeline.json"
    assert kept["command"] == "python -m benchmarks.pipeline digits_cnn" and kept["figures"] == {"ratio": 71.4}
    assert {"cpu", "versions", "date"} <= set(kept) and "keras" in kept["versions"]
    page = "\n".join(pages.generic(next(item for item in pages.BENCHMARKS if item.name == "pipeline"), kept))
    assert "| `digits_cnn` | 32 | 71.4x |" in page and "| `iris_mlp` | 16 | 0.5000 |" in page
    assert kept["cpu"] in page and "- Goal: met." in page and "`python -m benchmarks.pipeline digits_cnn`" in page
