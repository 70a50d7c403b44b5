from engine.recipe.loading import catalog_names
from tests.conftest import run_cli


def test_make_list_shows_every_recipe_model_and_source(tmp_path):
    result = run_cli("list", runs_dir=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    lines = result.stdout.splitlines()
    for name in [*catalog_names(), "mlp", "small_cnn", "digits", "diabetes"]:
        assert any(line.strip().startswith(name + " ") for line in lines), name
