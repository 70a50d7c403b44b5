"""What engine/, data/ and zoo/ share, in one small place that imports none of them.

- `common.errors`: `UserError`, the base of every room's user-error class, and "did you mean"
  (`close_matches`, `suggestion`).
- `common.references`: `"file.py:name"` and `"package.module:name"` references to user code, both ways
  (`reference_to`, `import_reference`).
- `common.signatures`: the keyword arguments a function or class accepts (`accepted_arguments`,
  `takes_any_keyword`).
- `common.targets`: one-hot or integer targets to class indices (`class_indices`), and the one rule for
  whether whole-number targets are class labels (`whole_numbers_are_classes`).
- `common.text`: Markdown tables (`markdown_table`, `markdown_row`, `cell`, `significant`), `plural`
  ("1 epoch", "3 epochs") and timestamps (`timestamp`, `folder_stamp`).
- `common.hashing`: `sha256_of`, for downloads and shipped weights alike.
"""
