"""A recipe that starts from a pretrained zoo entry, with a two-phase fine-tune."""

from tests.conftest import only_run_folder, read_json, run_cli

TWO_PHASES = ["model.freeze_backbone=true", 'fine_tune={"epochs": 2, "learning_rate": 0.0003}', "epochs=2"]


def test_two_phases_train_the_head_then_everything(tmp_path):
    runs_dir = tmp_path / "runs"
    result = run_cli("recipe", "digits59_finetune", *TWO_PHASES, runs_dir=runs_dir)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Fine-tuning: backbone unfrozen, learning rate 0.0003, 2 more epochs." in result.stdout
    folder = only_run_folder(runs_dir, "digits59_finetune")
    rows = (folder / "history.csv").read_text().strip().splitlines()
    assert [row.split(",")[0] for row in rows[1:]] == ["1", "2", "3", "4"]
    env = read_json(folder / "env.json")
    assert env["data"]["sizes"]["train"] == 100 and env["output_layer"]["units"] == 5


def test_fine_tune_and_freezing_need_what_they_build_on(tmp_path):
    runs_dir = tmp_path / "runs"
    unfrozen = run_cli("recipe", "digits59_finetune", 'fine_tune={"epochs": 2, "learning_rate": 0.0003}',
                       runs_dir=runs_dir)
    assert unfrozen.returncode == 2 and "set model.freeze_backbone=true" in unfrozen.stderr
    scratch = run_cli("recipe", "digits_cnn", "model.freeze_backbone=true", runs_dir=runs_dir)
    assert scratch.returncode == 2 and "needs pretrained weights" in scratch.stderr
    arguments = run_cli("recipe", "digits59_finetune", "model.args.filters=8", runs_dir=runs_dir)
    assert arguments.returncode == 2 and "takes its arguments from its card" in arguments.stderr
    assert not runs_dir.exists()
