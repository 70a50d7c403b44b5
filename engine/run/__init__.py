"""How does one run go? Plan, train, record, resume: check -> plan -> train -> assess -> record.

Every step is the kind's (engine.kinds.Learning, looked up once and carried on the plan); this package never
imports a concrete kind.

- `plan`: `plan(recipe, values)`, the one planning path of `make recipe` and `make tune` (checks, strategy,
  seed, data, model), writing nothing.
- `training`: `run_recipe(recipe, ...)`, a whole run into its run folder; `RunResult`, `TrainingDiverged`.
- `record`: what a finished run writes (model, metrics, history, report, env.json).
- `building`: from a resolved recipe to data, a compiled model and `tf.data` pipelines.
- `run_folder`: the layout of `runs/<recipe>/<run>/` (the atomic writes are common.files').
- `resume`: backups (the first epoch, every `backup_interval` seconds, the end) and `resume=` after a crash.
- `artifacts`: `load_run_model(folder)`, a run's model.keras reloaded with the recipe's own losses and metrics.
- `publish`: a finished run becomes a pretrained zoo entry.
- `speed`: `precision`, `jit_compile` and `steps_per_execution`, checked against the hardware and recorded.
- `auto_speed`: `speed="auto"`, the settings a recipe leaves unset chosen per machine (hardware, a timed probe).
"""
