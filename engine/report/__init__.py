"""What does a run tell a person? Evaluation, diagnosis, cost, plots, report.md and TensorBoard.

- `assessment`: `assess(...)` after training: evaluate, diagnose, measure, draw.
- `evaluation`: scikit-learn metrics and the easy baseline of a split.
- `diagnosis`: `diagnose(history, ...)`, one function per rule (divergence, overfitting, underfitting,
  convergence: still improving, undertrained against a missed target, plateau); the phases a budget never
  reaches (`unreached_findings`, `say_unreached`); `DivergenceStop`, the callback that ends a run when the
  divergence rule fires.
- `cost`: parameters, FLOPs, time per epoch, throughput, memory.
- `plots`: learning curves, confusion matrix, ROC/PR and regression plots; `save_figure`.
- `run_report`: report.md.
- `tensorboard_logs`: what a run writes to TensorBoard beyond Keras's callback (its HParams session, named
  recipe/run).
- `compare`: `make compare`, runs side by side: one recipe's, or every recipe's.
- `time_to_target`: the epoch and seconds at which the validation metric first reached each target.
"""
