"""What may a recipe say? The schema, hyperparameter ranges, overrides, validation and loading.

- `schema`: the dataclasses `Recipe`, `Data`, `Model`, `Tuner`; field types come from their annotations.
- `hp`: ranges written in place (`hp.Float`, `hp.Int`, `hp.Choice`, `hp.Boolean`), each with its default.
- `resolve`: `resolve(recipe, values)` gives a typed `Recipe` with every range replaced by a value.
- `overrides`: dotted `key=value` overrides (`parse_assignments`, `apply_overrides`).
- `open_keys`: which keys the open parts (`model.args`, `optimizer`, callbacks, ...) accept.
- `keras_signatures`: a snapshot of Keras's optimizers', callbacks' and KerasTuner's tuners' arguments, so that
  `make show` lists them without importing Keras (written by `python -m engine.recipe.keras_signatures`).
- `show`: `make show`'s table of every key a recipe's overrides can set.
- `validation`: the valid range of every number a recipe passes on, checked by one function.
- `loading`: `load_recipe(name_or_path)` for a catalog name, a `.py` file or a run's `recipe.json`.
- `keras_objects`: losses, optimizers, metrics and callbacks from Keras's names or the recipe's own code.
- `names`: recipe names, which become folders under runs/.
"""
