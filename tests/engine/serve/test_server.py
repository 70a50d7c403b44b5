"""make serve: a real HTTP server on 127.0.0.1, spoken to by real HTTP clients.

Its answers are make predict's on the same raw rows (to 1e-6) for a table and an array recipe, in TF Serving's
row and columnar formats; every bad request is answered with a 4xx and the next one is served; concurrent
clients share model calls; a server that cannot start exits 2 with one paragraph; SIGTERM answers the request
under way before the process exits.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas
import pytest

from engine.cli import main
from tests.conftest import ROOT

pytestmark = pytest.mark.xdist_group("server")

RUNS = {  # tiny runs: the tests check that serving answers as predict does, not that the runs are good
    "penguins_tabular": {"epochs": 1},
    "digits_cnn": {"epochs": 1, "model.args.filters": 8, "model.args.dense_units": 16},
}
MAX_BODY = 1 << 20  # the in-process servers' body limit, small enough to test 413 cheaply
TOLERANCE = 1e-6


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Path]:
    from engine.recipe.loading import load_recipe
    from engine.recipe.overrides import apply_overrides
    from engine.run.training import run_recipe

    runs_dir = tmp_path_factory.mktemp("server_runs")
    return {name: run_recipe(apply_overrides(load_recipe(name), overrides), runs_dir=runs_dir,
                             console=lambda line: None, verbose=0).folder
            for name, overrides in RUNS.items()}


@pytest.fixture(scope="module")
def servers(runs):
    """{recipe: a server on a free port, serving in a thread of this process}."""
    from engine.serve.server import open_server

    started = {}
    for name, folder in runs.items():
        server = open_server(folder, port=0, max_body_bytes=MAX_BODY, console=lambda line: None)
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()
        started[name] = server
    yield started
    for server in started.values():
        server.stop()


@pytest.fixture(scope="module")
def samples(runs, tmp_path_factory) -> dict[str, tuple[list, pandas.DataFrame]]:
    """{recipe: (the test split as JSON instances, make predict's CSV on the same rows)}; the table's rows get
    gaps in a numeric and a text column."""
    from engine.serve.predict import predict
    from engine.serve.state import raw_test_split

    folder_of = tmp_path_factory.mktemp("server_samples")
    found = {}
    for name, folder in runs.items():
        features, _ = raw_test_split(json.loads((folder / "recipe.json").read_text()))
        if isinstance(features, pandas.DataFrame):
            features = features.reset_index(drop=True).astype(object)
            features.loc[0, "bill_length_mm"], features.loc[1, "sex"], features.loc[2, "island"] = None, None, ""
            features.to_csv(folder_of / f"{name}.csv", index=False)
            instances = features.where(features.notna(), None).to_dict("records")
            source = folder_of / f"{name}.csv"
        else:
            np.savez(folder_of / f"{name}.npz", x=features)
            instances, source = features.tolist(), folder_of / f"{name}.npz"
        table = pandas.read_csv(predict(folder, source, folder_of / f"{name}_predictions.csv", console=lambda _: None),
                                keep_default_na=False)
        found[name] = instances, table.assign(predicted=table["predicted"].astype(str))
    return found


def request(server, path: str = "", body: bytes | None = None, method: str | None = None,
            connection: http.client.HTTPConnection | None = None) -> tuple[int, dict]:
    """(status, JSON answer) of one request to the server's model URL + `path`."""
    host, port = server.server_address[:2]
    own = connection is None
    connection = connection or http.client.HTTPConnection(host, port, timeout=60)
    try:
        connection.request(method or ("GET" if body is None else "POST"), f"/v1/models/{server.model_name}{path}",
                           body=body, headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        if own:
            connection.close()


def predict_body(instances) -> bytes:
    return json.dumps({"instances": instances}).encode()


def assert_as_predict(predictions: list[dict], expected: pandas.DataFrame) -> None:
    assert len(predictions) == len(expected)
    for prediction, (_, row) in zip(predictions, expected.iterrows(), strict=True):
        assert prediction["predicted"] == row["predicted"]
        assert set(prediction["probabilities"]) == {column[len("probability_"):] for column in expected.columns
                                                    if column.startswith("probability_")}
        for name, probability in prediction["probabilities"].items():
            assert abs(probability - row[f"probability_{name}"]) <= TOLERANCE, (name, probability, row)


# ---- the REST API -------------------------------------------------------------------------------------------------


def test_status_and_metadata_answer_as_tf_serving_does(servers):
    for name, server in servers.items():
        assert server.model_name == name  # the name defaults to the recipe's
        for path in ("", "/versions/1"):
            status, answer = request(server, path)
            assert status == 200
            assert answer == {"model_version_status": [{"version": "1", "state": "AVAILABLE",
                                                        "status": {"error_code": "OK", "error_message": ""}}]}
        status, answer = request(server, "/metadata")
        assert status == 200
        assert answer["model_spec"]["name"] == name
        signature = answer["metadata"]["signature_def"]["signature_def"]["serving_default"]
        assert set(signature["outputs"]) == {"predicted", "probabilities"}
    digits = request(servers["digits_cnn"], "/metadata")[1]["metadata"]["signature_def"]["signature_def"]
    assert [dim["size"] for dim in digits["serving_default"]["inputs"]["features"]["tensor_shape"]["dim"]] == ["-1",
                                                                                                              "64"]


@pytest.mark.parametrize("name", list(RUNS))
def test_row_format_predictions_are_make_predicts(servers, samples, name):
    instances, expected = samples[name]
    status, answer = request(servers[name], ":predict", predict_body(instances))
    assert status == 200, answer
    assert list(answer) == ["predictions"]
    assert_as_predict(answer["predictions"], expected)
    for index in (0, 1, 2, len(instances) - 1):  # one row at a time, including the table's rows with gaps
        status, answer = request(servers[name], "/versions/1:predict", predict_body([instances[index]]))
        assert status == 200, answer
        assert_as_predict(answer["predictions"], expected.iloc[[index]])


@pytest.mark.parametrize("name", list(RUNS))
def test_columnar_format_answers_outputs_as_columns(servers, samples, name):
    instances, expected = samples[name]
    rows = instances[:5]
    inputs = {column: [row[column] for row in rows] for column in rows[0]} if isinstance(rows[0], dict) else rows
    status, answer = request(servers[name], ":predict", json.dumps({"inputs": inputs}).encode())
    assert status == 200, answer
    outputs = answer["outputs"]
    assert set(outputs) == {"predicted", "probabilities"}
    as_rows = [{"predicted": predicted, "probabilities": {label: column[index]
                                                          for label, column in outputs["probabilities"].items()}}
               for index, predicted in enumerate(outputs["predicted"])]
    assert_as_predict(as_rows, expected.iloc[:5])


# ---- bad requests -------------------------------------------------------------------------------------------------


def _penguin(**changes):
    row = {"island": "Biscoe", "bill_length_mm": 45.0, "bill_depth_mm": 15.0, "flipper_length_mm": 215.0,
           "body_mass_g": 5000.0, "sex": "female"}
    row.update(changes)
    return {key: value for key, value in row.items() if value != "drop"}


DIGIT = [0.0] * 64
TABLE, ARRAY, PREDICT = "penguins_tabular", "digits_cnn", "{model}:predict"  # {model}: /v1/models/<its name>
BAD_REQUESTS = {  # case: (recipe, path, method, body, status, words the error must hold)
    "malformed JSON": (TABLE, PREDICT, "POST", b'{"instances": [', 400, "not valid JSON"),
    "not an object": (TABLE, PREDICT, "POST", b"[1, 2]", 400, "is a JSON object"),
    "both formats": (ARRAY, PREDICT, "POST", json.dumps({"instances": [DIGIT], "inputs": [DIGIT]}).encode(), 400,
                     "exactly one"),
    "unknown key": (ARRAY, PREDICT, "POST", json.dumps({"instance": [DIGIT]}).encode(), 400, "['instance']"),
    "other signature": (ARRAY, PREDICT, "POST", json.dumps({"instances": [DIGIT], "signature_name": "train"}).encode(),
                        400, "signature"),
    "no instances": (ARRAY, PREDICT, "POST", predict_body([]), 400, "non-empty"),
    "missing column": (TABLE, PREDICT, "POST", predict_body([_penguin(island="drop")]), 400,
                       "lacks the columns ['island']"),
    "extra column": (TABLE, PREDICT, "POST", predict_body([_penguin(wings=2)]), 400,
                     "columns ['wings'] that the model was not trained on"),
    "text in a numeric column": (TABLE, PREDICT, "POST", predict_body([_penguin(), _penguin(body_mass_g="heavy")]),
                                 400, "'body_mass_g' takes numbers, but sample 1 holds string \"heavy\""),
    "a flag in a numeric column": (TABLE, PREDICT, "POST", predict_body([_penguin(bill_depth_mm=True)]), 400,
                                   "'bill_depth_mm' takes numbers"),
    "a row that is a list": (TABLE, PREDICT, "POST", predict_body([[1, 2]]), 400, "Instance 0"),
    "NaN": (TABLE, PREDICT, "POST", b'{"instances": [{"bill_length_mm": NaN}]}', 400, "NaN"),
    "Infinity": (ARRAY, PREDICT, "POST", b'{"instances": [[Infinity]]}', 400, "Infinity"),
    "a number beyond float64": (ARRAY, PREDICT, "POST", b'{"instances": [[1e999]]}', 400, "1e999"),
    "wrong sample shape": (ARRAY, PREDICT, "POST", predict_body([[0.0] * 63]), 400, "shaped [63]"),
    "ragged samples": (ARRAY, PREDICT, "POST", predict_body([DIGIT, DIGIT[:10]]), 400, "unequal lengths"),
    "text in an array": (ARRAY, PREDICT, "POST", predict_body([["a"] * 64]), 400, "numbers"),
    "a gap the run cannot fill": (ARRAY, PREDICT, "POST", predict_body([[None] * 64]), 400, "no impute step"),
    "body over the limit": (ARRAY, PREDICT, "POST", b" " * (MAX_BODY + 1), 413, "at most"),
    "unknown model": (ARRAY, "/v1/models/penguins:predict", "POST", predict_body([DIGIT]), 404,
                      "No model named 'penguins'"),
    "unknown version": (ARRAY, "{model}/versions/7:predict", "POST", predict_body([DIGIT]), 404, "no version '7'"),
    "unknown verb": (ARRAY, "{model}:explain", "POST", predict_body([DIGIT]), 404, "Unknown verb 'explain'"),
    "classify": (ARRAY, "{model}:classify", "POST", b'{"examples": []}', 400, "not supported"),
    "GET on predict": (ARRAY, PREDICT, "GET", None, 405, "POST"),
    "POST on status": (ARRAY, "{model}", "POST", predict_body([DIGIT]), 405, "GET"),
    "DELETE": (ARRAY, "{model}", "DELETE", None, 405, "DELETE"),
    "unknown path": (ARRAY, "/v2/models", "GET", None, 404, "No such endpoint"),
}


@pytest.mark.parametrize("case", list(BAD_REQUESTS))
def test_a_bad_request_gets_a_4xx_naming_the_mistake_and_the_server_serves_on(servers, samples, case):
    name, path, method, body, expected_status, words = BAD_REQUESTS[case]
    server = servers[name]
    connection = http.client.HTTPConnection(*server.server_address[:2], timeout=60)
    connection.request(method, path.format(model=f"/v1/models/{server.model_name}"), body=body)
    response = connection.getresponse()
    status, raw = response.status, response.read()
    connection.close()
    assert b"\n" not in raw.strip()  # one line of JSON
    answer = json.loads(raw)
    assert status == expected_status, answer
    assert list(answer) == ["error"] and words in answer["error"], answer
    instances, expected = samples[name]
    status, answer = request(server, ":predict", predict_body(instances[:3]))
    assert status == 200, answer
    assert_as_predict(answer["predictions"], expected.iloc[:3])


def test_a_post_without_content_length_gets_411(servers):
    server = servers["digits_cnn"]
    connection = http.client.HTTPConnection(*server.server_address[:2], timeout=60)
    connection.putrequest("POST", f"/v1/models/{server.model_name}:predict")
    connection.endheaders()
    response = connection.getresponse()
    assert response.status == 411 and "Content-Length" in json.loads(response.read())["error"]
    connection.close()


# ---- concurrency ----------------------------------------------------------------------------------------------------


def test_sixteen_concurrent_clients_are_all_answered_correctly_in_shared_model_calls(servers, samples):
    server = servers["penguins_tabular"]
    instances, expected = samples["penguins_tabular"]
    calls_before, answers, failures = server.batcher.calls, [], []

    def client(offset: int) -> None:
        connection = http.client.HTTPConnection(*server.server_address[:2], timeout=60)  # kept alive between requests
        try:
            for step in range(8):
                index = (offset * 8 + step) % len(instances)
                status, answer = request(server, ":predict", predict_body([instances[index]]), connection=connection)
                answers.append((index, status, answer))
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            failures.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=client, args=(offset,)) for offset in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not failures and len(answers) == 128
    for index, status, answer in answers:
        assert status == 200, answer
        assert_as_predict(answer["predictions"], expected.iloc[[index]])
    assert server.batcher.calls - calls_before < len(answers)  # requests shared model calls


# ---- starting and stopping ------------------------------------------------------------------------------------------


def _unfinished(run: Path, destination: Path) -> Path:
    folder = Path(shutil.copytree(run, destination / "unfinished"))
    env = json.loads((folder / "env.json").read_text())
    (folder / "env.json").write_text(json.dumps({**env, "status": "running"}))
    return folder


@pytest.mark.parametrize("case", ["unfinished run", "unknown name", "port taken", "an agent", "bad name"])
def test_a_server_that_cannot_start_exits_2_with_one_paragraph(servers, runs, tmp_path, capsys, case):
    taken = str(servers["digits_cnn"].server_address[1])
    arguments, words = {
        "unfinished run": ([str(_unfinished(runs["digits_cnn"], tmp_path)), "--port", "0"], "not a finished run"),
        "unknown name": (["no_such_model", "--port", "0"], "neither a run folder"),
        "port taken": ([str(runs["digits_cnn"]), "--port", taken], f"Cannot listen on 127.0.0.1:{taken}"),
        "an agent": (["cartpole_ppo", "--port", "0"], "is a reinforcement run"),
        "bad name": ([str(runs["digits_cnn"]), "--port", "0", "--name", "a/b"], "--name"),
    }[case]
    assert main(["serve", *arguments]) == 2
    error = capsys.readouterr().err
    assert error.startswith("error: ") and words in error and "Traceback" not in error
    assert error.strip().count("\n") == 0


def _read_lines(process: subprocess.Popen) -> list[str]:
    """The process's stdout lines, gathered by a thread as they come."""
    lines: list[str] = []
    threading.Thread(target=lambda: lines.extend(process.stdout), daemon=True).start()
    return lines


def _wait_until_serving(process: subprocess.Popen, lines: list[str], timeout: float = 120) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        serving = [line for line in lines if line.startswith("Serving")]
        if serving:
            return serving[0]
        assert process.poll() is None, f"the server exited: {process.stderr.read()[-3000:]}"
        time.sleep(0.1)
    raise AssertionError("the server did not start in time")


def test_sigterm_answers_the_request_under_way_then_exits_0(runs, samples):
    from engine.serve.server import free_port

    port = free_port()
    command = [sys.executable, "-m", "engine", "serve", str(runs["digits_cnn"]), "--port", str(port), "--name",
               "digits"]
    process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lines = _read_lines(process)
        assert f"http://127.0.0.1:{port}/v1/models/digits" in _wait_until_serving(process, lines)
        instances, expected = samples["digits_cnn"]
        body = predict_body(instances[:4])
        head = (f"POST /v1/models/digits:predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n\r\n").encode()
        with socket.create_connection(("127.0.0.1", port), timeout=60) as connection:
            connection.sendall(head + body[:len(body) // 2])
            time.sleep(0.5)  # the server is now reading this request's body
            process.send_signal(signal.SIGTERM)
            time.sleep(0.5)
            connection.sendall(body[len(body) // 2:])
            response = http.client.HTTPResponse(connection)
            response.begin()
            assert response.status == 200
            assert response.getheader("Connection") == "close"
            assert_as_predict(json.loads(response.read())["predictions"], expected.iloc[:4])
        assert process.wait(timeout=60) == 0
        time.sleep(0.2)  # the reader thread takes the last lines
        assert "Stopped after answering 1 request in 1 model call" in "".join(lines)
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=5).close()
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate()
