"""How is a trained model used? Predictions from raw inputs, and exports that other runtimes serve.

- `state`: what a run saves so that its preprocessing can be applied again (`preprocessing.json`, written by
  data.fitted_state.save_state at the end of training), and `load_served(run_or_zoo_name)`, the run's model behind that
  preprocessing (`Served`); `ServeError`, the user errors of this subpackage.
- `layers`: the fitted preprocessing steps as Keras layers, the same float32 arithmetic as in training.
- `inputs`: raw inputs read from files (CSV or Parquet rows, `.npz`/`.npy` arrays, image folders) and checked
  against what the model was trained on, before anything is written.
- `predict`: `predict(run_or_zoo_name, input_path, output)`, behind `make predict`: one CSV row per input.
- `export`: `export(run, format)`, behind `make export`: SavedModel, ONNX or LiteRT into `<run>/export/`,
  checked for parity in its own runtime before it is kept, with an `export/README.md`.
- `runtimes`: loading an exported artifact in TensorFlow, ONNX Runtime or the LiteRT interpreter, and timing it.
- `server`: `make serve`, the model over HTTP with TensorFlow Serving's REST API; `rest`, its request and answer
  bodies (the same raw inputs and answers as predict); `batching`, concurrent requests gathered into one model call.
"""
