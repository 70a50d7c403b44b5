"""What does a run tell a person? Evaluation, diagnosis, cost, plots, report.md and TensorBoard.

- `assessment`: `assess(...)` after training: evaluate, diagnose, measure, draw.
- `evaluation`: scikit-learn metrics and the easy baseline of a split.
- `diagnosis`: `diagnose(history, ...)`, one function per rule (divergence, overfitting, underfitting,
  convergence); `DivergenceStop`, the callback that ends a run when the divergence rule fires.
- `cost`: parameters, FLOPs, time per epoch, throughput, memory.
- `plots`: learning curves, confusion matrix, ROC/PR and regression plots; `save_figure`.
- `run_report`: report.md.
- `tensorboard_logs`: what a run writes to TensorBoard beyond Keras's callback.
- `compare`: `make compare`, a recipe's runs side by side.
- `time_to_target`: the epoch and seconds at which the validation metric first reached each target.
"""
