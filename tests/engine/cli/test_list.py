import inspect
import os
import subprocess
import sys

from engine.recipe.loading import catalog_names
from tests.conftest import ROOT, run_cli


def test_make_list_shows_every_recipe_model_and_source(tmp_path):
    result = run_cli("list", runs_dir=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    lines = result.stdout.splitlines()
    for name in [*catalog_names(), "mlp", "small_cnn", "digits", "diabetes"]:
        assert any(line.strip().startswith(name + " ") for line in lines), name
    kinds = {line.split()[0]: line.split()[1] for line in lines if line.startswith("  ")}
    assert kinds["digits_cnn"] == "supervised:" and kinds["digits_autoencoder"] == "unsupervised:"
    assert kinds["cartpole_dqn"] == "reinforcement:" and kinds["cartpole_ppo"] == "reinforcement:"


def test_make_list_says_each_description_whole_not_cut_mid_sentence(tmp_path):
    import data
    import zoo
    from engine.cli import first_sentence

    result = run_cli("list", runs_dir=tmp_path)
    described = [line.split(maxsplit=1)[1].removeprefix("supervised: ").removeprefix("unsupervised: ")
                 .removeprefix("reinforcement: ").strip()
                 .removesuffix(" [your files]").removesuffix(" [download]")
                 for line in result.stdout.splitlines() if line.startswith("  ") and len(line.split()) > 1]
    assert described and all(text.endswith((".", ")", "?")) for text in described), described
    wrapped = "A sentence that a docstring wraps\n    onto a second line, e.g. like this. Then another."
    assert first_sentence(wrapped) == "A sentence that a docstring wraps onto a second line, e.g. like this."
    assert first_sentence(data.get_source("tfds").__doc__).endswith('name="mnist".')
    assert len(zoo.list_models()) > 5


def test_the_models_and_sources_make_list_reads_from_source_are_the_registries_imports_fill():
    import data
    import zoo
    from common.declared import registrations

    models = {found.name: found for found in registrations("zoo", "register_model")}
    sources = {found.name: found for found in registrations("data", "register_source")}
    assert sorted(models) == zoo.list_models() and sorted(sources) == data.list_sources()
    assert all(found.doc == inspect.cleandoc(zoo.get_builder(name).__doc__ or "") for name, found in models.items())
    assert all(found.doc == inspect.cleandoc(data.get_source(name).__doc__ or "") for name, found in sources.items())
    assert all(found.options.get("needs") == data.sources.source_needs(name) for name, found in sources.items())


def test_make_list_imports_neither_tensorflow_nor_keras_nor_scikit_learn():
    script = ("import contextlib, io, sys\nfrom engine.cli import main\n"
              "with contextlib.redirect_stdout(io.StringIO()):\n    code = main(['list'])\n"
              "print(code, sorted(name for name in ('tensorflow', 'keras', 'sklearn') if name in sys.modules))")
    found = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120,
                           env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert found.stdout.split("\n")[-2] == "0 []", found.stdout + found.stderr
