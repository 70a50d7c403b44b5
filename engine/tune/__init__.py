"""How is a search run? `make tune`: the recipe as a KerasTuner HyperModel over its ranges.

- `search`: `plan_search`, `run_search`, `load_best` (for `from_tune=`), `RecipeHyperModel`.
- `report`: the search's report.md, trial table and importance plot.
- `workers`: a parallel search, a chief and workers on 127.0.0.1.
"""
