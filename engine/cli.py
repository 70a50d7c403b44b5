"""The command line behind `make recipe` and `make list`.

    python -m engine recipe NAME [key=value ...] [--runs-dir runs] [--workers N]
    python -m engine recipe NAME resume=runs/NAME/<run> [--runs-dir runs] [--workers N]
    python -m engine tune NAME [key=value ...] [--runs-dir runs] [--workers N]
    python -m engine compare [NAME] [--runs-dir runs]
    python -m engine publish RUN [--as NAME] [--overwrite]
    python -m engine list
    python -m engine show NAME [key=value ...]
    python -m engine new NAME [--from CATALOG_NAME]
    python -m engine evaluate RUN_OR_ZOO_NAME [--episodes 100] [--seed S]
    python -m engine predict RUN_OR_ZOO_NAME INPUT [--output predictions.csv]
    python -m engine export RUN --format saved_model|onnx|litert
    python -m engine serve RUN_OR_ZOO_NAME [--port 8501] [--host 127.0.0.1] [--name NAME]

A mistake in what was asked (exit code 2) or a failure while running (exit code 1) prints a
one-paragraph message and no traceback; set ENGINE_DEBUG=1 to see the traceback as well.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback

from common.errors import UserError
from common.text import first_sentence
from engine.errors import RecipeError

USER_ERRORS = (UserError,)  # engine's RecipeError, data's DataError and zoo's ZooError
DEFAULT_RECIPE = "digits_cnn"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m engine", description="Train and list declared Keras recipes.")
    commands = parser.add_subparsers(dest="command", required=True)
    recipe = commands.add_parser("recipe", help="train a recipe and write its run folder")
    recipe.add_argument("name", nargs="?", default=DEFAULT_RECIPE,
                        help="a catalog name, a path to a .py recipe file, or a run's recipe.json")
    recipe.add_argument("overrides", nargs="*", help="dotted overrides, e.g. epochs=5 optimizer.learning_rate=0.01")
    recipe.add_argument("--runs-dir", default="runs", help="where run folders go (default: runs)")
    recipe.add_argument("--workers", type=int, default=0,
                        help="train with MultiWorkerMirroredStrategy in this many worker processes on 127.0.0.1")
    recipe.add_argument("--data", default=None,
                        help="your own files, with NAME a starter: table (a .csv/.parquet), images or text (a folder "
                             "with one sub-folder per class)")
    recipe.add_argument("--target", default=None, help="with --data and NAME=table: the column to predict")
    recipe.add_argument("--as", dest="entry", default=None, help="with --data: the name runs are filed under")
    tune = commands.add_parser("tune", help="search the recipe's hyperparameter ranges with KerasTuner")
    tune.add_argument("name", nargs="?", default=DEFAULT_RECIPE, help="a catalog name or a path to a .py recipe")
    tune.add_argument("overrides", nargs="*",
                      help="dotted overrides plus tuner=, max_trials=, objective=, executions_per_trial=, overwrite=")
    tune.add_argument("--runs-dir", default="runs", help="where search folders go (default: runs)")
    tune.add_argument("--workers", type=int, default=0,
                      help="run the search in parallel: a chief and this many worker processes on 127.0.0.1")
    compare = commands.add_parser("compare", help="runs side by side, newest first: one recipe's, or every recipe's")
    compare.add_argument("name", nargs="?", default=None,
                         help="the recipe whose runs to compare (default: every recipe with runs)")
    compare.add_argument("--runs-dir", default="runs", help="where run folders are (default: runs)")
    publish = commands.add_parser("publish", help="turn a finished run into a pretrained zoo entry")
    publish.add_argument("run", help="the run folder, runs/<recipe>/<run>")
    publish.add_argument("--as", dest="entry", default=None, help="the zoo name (default: the recipe's name)")
    publish.add_argument("--overwrite", action="store_true", help="replace an existing zoo entry of that name")
    commands.add_parser("list", help="list the catalog recipes, zoo models and data sources")
    new = commands.add_parser("new", help="write an editable copy of a catalog recipe as a recipe file of your own")
    new.add_argument("name", help="the new recipe's name (the file NAME.py) or a path ending in .py")
    new.add_argument("--from", dest="source", default=DEFAULT_RECIPE, help="the catalog recipe to start from")
    show = commands.add_parser("show", help="a recipe's every override key: its value, what it accepts, its meaning")
    show.add_argument("name", nargs="?", default=DEFAULT_RECIPE,
                      help="a catalog name, a path to a .py recipe file, or a run's recipe.json")
    show.add_argument("overrides", nargs="*", help="dotted overrides to apply before showing, e.g. kind=unsupervised")
    evaluate = commands.add_parser("evaluate", help="a trained agent's greedy return over N episodes")
    evaluate.add_argument("run", help="a reinforcement run folder, runs/<recipe>/<run>, or a shipped zoo entry")
    evaluate.add_argument("--episodes", type=int, default=100, help="greedy episodes (default: 100)")
    evaluate.add_argument("--seed", type=int, default=None,
                          help="start the episodes from this seed's test seeds (default: the recipe's, as its run did)")
    _serve_parsers(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    arguments = _parser().parse_args(argv)
    try:
        if arguments.command == "list":
            return _list()
        if arguments.command == "new":
            from engine.recipe.new import new_recipe

            path = new_recipe(arguments.name, arguments.source)
            print(f"Wrote {path} from {arguments.source}. Edit it, then: make recipe NAME={path}")
            return 0
        if arguments.command == "show":
            return _show(arguments.name, arguments.overrides)
        if arguments.command == "evaluate":
            return _evaluate(arguments.run, arguments.episodes, arguments.seed)
        if arguments.command in ("predict", "export", "serve"):
            return _serve(arguments)
        if arguments.command == "publish":
            from engine.run.publish import publish

            target = publish(arguments.run, arguments.entry, overwrite=arguments.overwrite)
            print(f"Published {target.name} to {target}: model.keras, card.json, README.md.")
            print(f"Load it with: zoo.load({target.name!r}, pretrained=True)")
            return 0
        if arguments.command == "compare":
            from engine.report.compare import compare

            print(compare(arguments.runs_dir, arguments.name))
            return 0
        if arguments.command == "tune":
            return _tune(arguments.name, arguments.overrides, arguments.runs_dir, arguments.workers)
        return _recipe(arguments.name, arguments.overrides, arguments.runs_dir, arguments.workers,
                       (arguments.data, arguments.target, arguments.entry))
    except USER_ERRORS as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted.", file=sys.stderr)
        return 130
    except Exception as error:  # noqa: BLE001 - the last line of defence: a message, not a traceback
        if os.environ.get("ENGINE_DEBUG"):
            traceback.print_exc()
        print(
            f"error: the run failed: {type(error).__name__}: {error}. "
            "Set ENGINE_DEBUG=1 to see the traceback.",
            file=sys.stderr,
        )
        return 1


def _recipe(name: str, overrides: list[str], runs_dir: str, workers: int = 0,
            own_data: tuple[str | None, str | None, str | None] = (None, None, None)) -> int:
    from engine.recipe.loading import load_recipe
    from engine.recipe.overrides import apply_overrides, parse_assignments

    if workers < 0:
        raise RecipeError(f"WORKERS must be 0 (one process) or more. Received: {workers}")
    if workers and os.environ.get("TF_CONFIG"):
        raise RecipeError("WORKERS starts its own workers on 127.0.0.1, each with its TF_CONFIG, but TF_CONFIG is "
                          "already set here. Unset TF_CONFIG, or drop WORKERS and run one process per TF_CONFIG task.")
    assignments = parse_assignments(overrides)
    from_tune = assignments.pop("from_tune", None)
    location = assignments.pop("resume", None)
    init_from = assignments.pop("init_from", None)
    if init_from is not None:  # one's own run as a zoo entry: its model, the head replaced where classes differ
        assignments = {"model.name": str(init_from), "model.pretrained": True, "model.args": {},
                       "model.builder": None, **assignments}
    data_path, target, entry = own_data
    if data_path is None and (target or entry):
        raise RecipeError("TARGET= and AS= go with DATA=, your own files for a starter recipe (make recipe "
                          "NAME=table DATA=my.csv TARGET=label AS=my_name).")
    if data_path is not None:
        from engine.recipe.starters import starter_recipe

        if workers or location is not None:
            raise RecipeError("DATA= starts a new run in one process; resume it with resume=runs/<name>/<run>, "
                              "whose recipe.json holds the data, and WORKERS= with NAME=runs/<name>/<run>/recipe.json.")
        recipe = starter_recipe(name, data_path, target, entry)
    else:
        recipe = load_recipe(name)
    values, resume = None, None
    if location is not None:
        recipe, resume = _resumed(str(location), assignments, from_tune, runs_dir, recipe.name)
    else:
        recipe = apply_overrides(recipe, assignments)
    if from_tune is not None:
        from engine.tune.search import load_best

        values = load_best(str(from_tune), recipe)["hyperparameters"]
    if workers:
        from engine.distribute.multi_worker import launch

        return launch([name, *overrides], runs_dir, workers, lambda line: print(line, flush=True))
    from engine.run.training import run_recipe

    run_recipe(recipe, runs_dir=runs_dir, console=lambda line: print(line, flush=True), values=values,
               values_from=None if from_tune is None else f"best trial of {from_tune}", resume=resume)
    return 0


def _resumed(location: str, assignments: dict, from_tune, runs_dir: str, recipe_name: str):
    """The recipe and the checked unfinished run that `resume=` names; overrides may only repeat recipe.json."""
    from engine.recipe.overrides import apply_overrides
    from engine.run.resume import check_not_training, check_repeats_recorded, check_resume

    if from_tune is not None:
        raise RecipeError("resume= continues a run with the values its recipe.json recorded; drop from_tune=.")
    resume = check_resume(location, runs_dir, recipe_name)
    if not os.environ.get("TF_CONFIG"):
        check_not_training(resume.folder)
    check_repeats_recorded(resume, {key: value for key, value in assignments.items() if key != "strategy"})
    return apply_overrides(resume.recipe, assignments), resume


def _tune(name: str, overrides: list[str], runs_dir: str, workers: int) -> int:
    from engine.recipe.loading import load_recipe
    from engine.recipe.overrides import apply_overrides, parse_assignments
    from engine.tune.search import expand_shorthands, plan_search, run_search

    if workers < 0:
        raise RecipeError(f"WORKERS must be 0 (one process) or more. Received: {workers}")
    assignments, overwrite = expand_shorthands(parse_assignments(overrides))
    recipe = apply_overrides(load_recipe(name), assignments)
    console = lambda line: print(line, flush=True)  # noqa: E731
    if workers and "KERASTUNER_TUNER_ID" not in os.environ:
        from engine.tune.workers import launch

        plan_search(recipe, runs_dir, overwrite, make_tuner=False)
        words = [name, *[word for word in overrides if not word.startswith("overwrite=")], "--runs-dir", runs_dir]
        return launch(words, workers, console)
    run_search(plan_search(recipe, runs_dir, overwrite), console)
    return 0


def _serve_parsers(commands) -> None:
    predict = commands.add_parser("predict", help="predict raw inputs with a trained run or a pretrained zoo model")
    predict.add_argument("run", help="a run folder, runs/<recipe>/<run>, or a pretrained zoo model's name")
    predict.add_argument("input", help="the raw inputs: a .csv/.parquet table, a .npz/.npy array, or an image folder")
    predict.add_argument("--output", default=None,
                         help="the CSV to write (default: the run folder's predictions/<input name>.csv)")
    export = commands.add_parser("export", help="export a run's model with its preprocessing, parity-checked")
    export.add_argument("run", help="the run folder, runs/<recipe>/<run>")
    export.add_argument("--format", default="saved_model", help="saved_model (default), onnx or litert")
    serve = commands.add_parser("serve", help="serve a trained run or a zoo model over HTTP (TF Serving's REST API)")
    serve.add_argument("run", help="a run folder, runs/<recipe>/<run>, or a pretrained zoo model's name")
    serve.add_argument("--port", type=int, default=8501, help="the port to listen on (default: 8501)")
    serve.add_argument("--host", default="127.0.0.1", help="the address to listen on (default: 127.0.0.1)")
    serve.add_argument("--name", default=None, help="the model's name in /v1/models/NAME (default: the recipe's)")
    serve.add_argument("--max-batch-size", type=int, default=32, help="samples per model call at most (default: 32)")
    serve.add_argument("--max-wait-ms", type=float, default=2.0,
                       help="how long a batch waits for requests on their way in (default: 2 ms)")


def _serve(arguments) -> int:
    """make predict, make export and make serve (engine.serve); a failed export parity check exits 1."""
    console = lambda line: print(line, flush=True)  # noqa: E731
    if arguments.command == "serve":
        from engine.serve.server import serve

        return serve(arguments.run, arguments.host, arguments.port, arguments.name, arguments.max_batch_size,
                     arguments.max_wait_ms / 1000, console)
    if arguments.command == "predict":
        from engine.serve.predict import predict

        print(f"Predictions written to {predict(arguments.run, arguments.input, arguments.output, console)}")
        return 0
    from engine.serve.export import ExportFailed, export

    try:
        target = export(arguments.run, arguments.format, console)
    except ExportFailed as error:
        print(f"error: the export failed: {error}", file=sys.stderr)
        return 1
    print(f"Exported {target} (parity checked); see {target.parent / 'README.md'}")
    return 0


def _show(name: str, overrides: list[str]) -> int:
    """Every key a recipe's overrides can set, read without importing TensorFlow (engine.recipe.show says how)."""
    from engine.recipe.loading import load_recipe
    from engine.recipe.overrides import apply_overrides, parse_assignments
    from engine.recipe.show import render

    print("\n".join(render(apply_overrides(load_recipe(name), parse_assignments(overrides)))).rstrip())
    return 0


def _list() -> int:
    """Recipes, zoo models and data sources, read without importing TensorFlow: a recipe module declares its
    recipe with engine's light classes; models and sources are read from their registering decorators."""
    from common.declared import registrations
    from engine.recipe.loading import catalog_names, load_recipe

    print("Recipes (make recipe NAME=...), each with its kind of learning:")
    for name in catalog_names():
        recipe = load_recipe(name)
        print(f"  {name:<24} {recipe.kind + ':':<14} {first_sentence(recipe.description)}")
    print("Zoo models (zoo.create / model=Model(name=...)):")
    for model in sorted(registrations("zoo", "register_model"), key=lambda found: found.name):
        print(f"  {model.name:<24} {first_sentence(model.doc)}")
    print("Data sources (data=Data(source=...)):")
    for source in sorted(registrations("data", "register_source"), key=lambda found: found.name):
        needs = {"files": " [your files]", "download": " [download]"}.get(source.options.get("needs"), "")
        print(f"  {source.name:<24} {first_sentence(source.doc)}{needs}")
    return 0


def _evaluate(location: str, episodes: int, seed: int | None) -> int:
    from engine.learning.reinforcement.policy import evaluate

    found = evaluate(location, episodes, seed)
    for policy in ("greedy", "random"):
        figures = found[policy]
        print(f"{policy:>6} policy: mean return {figures['mean_return']:.2f} +- {figures['std_return']:.2f} "
              f"(min {figures['min_return']:.1f}, max {figures['max_return']:.1f}) over {figures['episodes']} episodes "
              f"of {found['environment']}, from the test seeds of seed {found['seeds_of']}")
    return 0
