from engine.recipe.loading import catalog_names
from tests.conftest import run_cli


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
