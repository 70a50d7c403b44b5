"""Every bad input ends in one clear paragraph, exit code 2, no traceback and nothing written.

BAD_INPUTS is the table: CLI arguments, recipe files, overrides, data, zoo names and files,
and tuning settings, each with the words its message must contain.
"""

from pathlib import Path

import pytest

import zoo
from engine.cli import main
from tests.conftest import run_cli

GOOD_EPOCHS = "epochs=1"


def write(folder: Path, name: str, text: str) -> str:
    path = folder / name
    path.write_text(text)
    return str(path)


HEADER = "from engine import Data, Model, Recipe\n"
BASE = "Recipe(data=Data({data}), model=Model('mlp'), loss='sparse_categorical_crossentropy'{extra})"


def recipe_file(folder: Path, extra: str = "", data: str = "source='iris'") -> str:
    """A user's recipe file on iris, with `extra` recipe fields and `data` arguments."""
    return write(folder, "user_recipe.py", HEADER + "recipe = " + BASE.format(data=data, extra=extra) + "\n")


def table_file(folder: Path, name: str = "table.csv", rows: str = "1.0,red,a\n2.0,blue,b\n") -> str:
    """A small CSV with columns size, colour, kind; 24 copies of `rows`."""
    return write(folder, name, "size,colour,kind\n" + rows * 24)


EMPTY_TABLE = "size,colour,kind\n"
GAPPY_ROWS = "1.0,1,a\n,2,b\n"  # numbers only, one size missing in every other row


def csv_recipe(folder: Path, arguments: str, preprocessing: str = "[{'name': 'feature_space'}]",
               extra: str = "") -> str:
    path = table_file(folder)
    return recipe_file(folder, extra, data=f"source='csv', args={{'path': {path!r}, {arguments}}}, "
                                           f"preprocessing={preprocessing}")


def one_class_folder(folder: Path) -> str:
    (folder / "images" / "cat").mkdir(parents=True)
    (folder / "images" / "cat" / "0.png").write_bytes(b"")
    return recipe_file(folder, data=f"source='image_folder', args={{'path': {str(folder / 'images')!r}}}")


BAD_INPUTS = {
    "unknown recipe name": (
        lambda d: ["digit_cnn"], "No recipe named 'digit_cnn' in the catalog. Did you mean 'digits_cnn'"),
    "unknown override key": (lambda d: ["iris_mlp", "epoch=3"], "Unknown override key `epoch`"),
    "mistyped override value": (lambda d: ["iris_mlp", "epochs=many"], "Override `epochs` expects int"),
    "override without =": (lambda d: ["iris_mlp", "epochs"], "Overrides are written key=value"),
    "missing recipe file": (lambda d: [str(d / "nowhere.py")], "does not exist"),
    "recipe file that fails to import": (
        lambda d: [write(d, "broken.py", "import not_a_real_module_anywhere\n")],
        "failed to import: ModuleNotFoundError"),
    "recipe file with a syntax error": (
        lambda d: [write(d, "syntax.py", "recipe = Recipe(\n")], "failed to import: SyntaxError"),
    "recipe file without a recipe": (
        lambda d: [write(d, "empty.py", "x = 1\n")], "defines no `recipe`"),
    "recipe object of the wrong type": (
        lambda d: [write(d, "wrong.py", "recipe = {'epochs': 3}\n")], "`recipe` must be an engine.Recipe"),
    "unknown loss": (
        lambda d: [recipe_file(d), "loss=sparse_categorical_crossentropi", GOOD_EPOCHS],
        "`loss` must be a loss Keras knows"),
    "unknown optimizer": (
        lambda d: [recipe_file(d), "optimizer.name=adamw2", GOOD_EPOCHS], "`optimizer.name` must be a Keras optimizer"),
    "unknown metric": (
        lambda d: [recipe_file(d, ", metrics=['acurracy']"), GOOD_EPOCHS], "not a Keras metric"),
    "unknown callback": (
        lambda d: [recipe_file(d, ", callbacks=[{'name': 'EarlyStop'}]"), GOOD_EPOCHS],
        "must name a class in keras.callbacks"),
    "unknown zoo model": (
        lambda d: [recipe_file(d), "model.name=mpl", GOOD_EPOCHS], "No zoo model named 'mpl'. Did you mean 'mlp'"),
    "unknown data source": (
        lambda d: [recipe_file(d), "data.source=irises", GOOD_EPOCHS], "`data.source` must be a registered source"),
    "unknown preprocessing step": (
        lambda d: [recipe_file(d, data="source='iris', preprocessing=[{'name': 'normalise'}]"), GOOD_EPOCHS],
        "`data.preprocessing` step must be one of"),
    "bad model argument value": (
        lambda d: [recipe_file(d), "model.args.activation=relux", GOOD_EPOCHS], "`activation` of model 'mlp'"),
    "absent GPU": (lambda d: ["iris_mlp", "strategy=gpu"], "strategy='gpu' needs a GPU"),
    "mirrored with no GPU and no replicas": (lambda d: ["iris_mlp", "strategy=mirrored"], "needs more than one GPU"),
    "unknown strategy": (lambda d: ["iris_mlp", "strategy=fast"], "`strategy` must be one of"),
    "split leaving no training data": (
        lambda d: ["iris_mlp", "data.test_split=0.5", "data.validation_split=0.5"],
        "`data.validation_split + data.test_split` must be a number in (0, 1), so that it leaves some data for "
        "training. Received: 1.0 (0.5 + 0.5)."),
    "unsafe recipe name": (lambda d: ["iris_mlp", "name=../escape"], "must not contain '..'"),
    "zero epochs": (lambda d: ["iris_mlp", "epochs=0"], "`epochs` must be an integer in [1, inf). Received: 0."),
    "not a JSON recipe": (lambda d: [write(d, "recipe.json", "{not json")], "is not a readable JSON recipe"),
    # Data checked against the recipe before anything is written.
    "target column not in the table": (
        lambda d: [csv_recipe(d, "'target': 'species'"), GOOD_EPOCHS], "has no column 'species'"),
    "labels outside the declared classes": (
        lambda d: [csv_recipe(d, "'target': 'kind', 'classes': ['a']"), GOOD_EPOCHS],
        "labels ['b'] are not among the declared classes ['a']"),
    "regression target with a classification loss": (
        lambda d: [recipe_file(d, data="source='diabetes'"), GOOD_EPOCHS], "needs class labels"),
    "missing values left after cleaning": (
        lambda d: [recipe_file(d, data=f"source='csv', args={{'path': {table_file(d, rows=GAPPY_ROWS)!r}, "
                                       "'target': 'kind'}"), GOOD_EPOCHS], "still holds"),
    "text columns with no encoding step": (
        lambda d: [csv_recipe(d, "'target': 'kind'", preprocessing="[]"), GOOD_EPOCHS],
        "Add {'name': 'feature_space'}"),
    "empty test split": (
        lambda d: [csv_recipe(d, f"'target': 'kind', 'test_path': {write(d, 'empty.csv', EMPTY_TABLE)!r}"),
                   GOOD_EPOCHS], "brought an empty test split"),
    "image folder with one class": (lambda d: [one_class_folder(d), GOOD_EPOCHS], "at least two classes"),
    "missing data file": (
        lambda d: [recipe_file(d, data="source='csv', args={'path': 'no/such.csv', 'target': 'kind'}"), GOOD_EPOCHS],
        "No file at 'no/such.csv'"),
    "unknown augmentation": (
        lambda d: ["digits_cnn", "data.augmentation=[{\"name\": \"random_spin\"}]", GOOD_EPOCHS],
        "`data.augmentation[0]` must be"),
    "unknown data source argument": (
        lambda d: ["iris_mlp", "data.args.n_samples=5"], "Unknown override key `data.args.n_samples`"),
    "negative batch size": (
        lambda d: ["iris_mlp", "batch_size=-3"], "`batch_size` must be an integer in [1, inf). Received: -3."),
    "override of a callback that is not there": (
        lambda d: ["iris_mlp", "callbacks.3.patience=2"], "Override key `callbacks.3` names no entry"),
    "negative worker count": (lambda d: ["iris_mlp", "--workers", "-1"], "WORKERS must be 0"),
    # Zoo names and files.
    "pretrained weights for a model that has none": (
        lambda d: ["iris_mlp", "model.pretrained=true"], "Model 'mlp' has no pretrained weights"),
    "publishing a folder that does not exist": (
        lambda d: ["publish", str(d / "nowhere")], "RUN must be a run folder"),
    "publishing a folder that is not a run": (lambda d: ["publish", str(d)], "has no recipe.json"),
    # Tuning settings.
    "unknown tuner": (lambda d: ["tune", "iris_mlp", "tuner=genetic"], "`tuner.name` must be one of"),
    "zero trials": (
        lambda d: ["tune", "iris_mlp", "max_trials=0"],
        "`tuner.max_trials` must be an integer in [1, inf). Received: 0."),
    "objective the recipe does not log": (
        lambda d: ["tune", "iris_mlp", "objective=val_auc"], "`tuner.objective` must be a metric this recipe logs"),
    "search of a recipe with no ranges": (lambda d: ["tune", recipe_file(d)], "declares no hyperparameter ranges"),
    "retraining from a folder with no search": (
        lambda d: ["iris_mlp", f"from_tune={d}"], "`from_tune` must name a search folder holding best.json"),
    "comparing a recipe that is neither in the catalog nor has runs": (
        lambda d: ["compare", "iris_mpl"], "No recipe or runs named 'iris_mpl'"),
}
COMMANDS = ("recipe", "tune", "compare", "publish")


def command_line(arguments: list[str], runs_dir: Path) -> list[str]:
    """The full argument list: `recipe` unless another command is named; --runs-dir where it applies."""
    if arguments[0] not in COMMANDS:
        arguments = ["recipe", *arguments]
    return arguments if arguments[0] == "publish" else [*arguments, "--runs-dir", str(runs_dir)]


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_exits_2_with_a_clear_message_and_writes_nothing(case, tmp_path, capsys):
    make_arguments, message = BAD_INPUTS[case]
    runs_dir = tmp_path / "runs"
    pretrained_before = sorted(path.name for path in zoo.pretrained.STORE.iterdir())
    code = main(command_line(make_arguments(tmp_path), runs_dir))
    captured = capsys.readouterr()
    assert code == 2, captured.err
    assert message in captured.err
    assert captured.err.startswith("error: ")
    assert "Traceback" not in captured.err + captured.out
    assert not runs_dir.exists()
    assert sorted(path.name for path in zoo.pretrained.STORE.iterdir()) == pretrained_before


def test_the_real_command_exits_2_without_a_traceback(tmp_path):
    runs_dir = tmp_path / "runs"
    result = run_cli("recipe", "digits_cnn", "optimizer.learning_rat=0.1", runs_dir=runs_dir)
    assert result.returncode == 2
    assert "Did you mean 'learning_rate'" in result.stderr
    assert "Traceback" not in result.stderr
    assert not runs_dir.exists()


def test_an_unknown_command_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as caught:
        main(["train"])
    assert caught.value.code == 2
