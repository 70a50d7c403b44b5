"""`make serve`: a trained run (or a pretrained zoo model) over HTTP, speaking TensorFlow Serving's REST API.

    python -m engine serve runs/<recipe>/<run> [--port 8501] [--host 127.0.0.1] [--name NAME]

    GET  /v1/models/NAME                  status: model_version_status, state AVAILABLE
    GET  /v1/models/NAME/metadata         the signature's inputs and outputs
    POST /v1/models/NAME:predict          {"instances": [...]} -> {"predictions": [...]}
                                          {"inputs": ...}      -> {"outputs": ...}

(`/versions/1` may follow NAME, the one version served.) engine.serve.rest describes the bodies; the answers are
those of `make predict` on the same raw inputs. Concurrent requests share model calls (engine.serve.batching).

The server is the standard library's threading HTTP server (a thread per connection, HTTP/1.1 keep-alive): it
starts in no time and adds no dependency, and each request's work is JSON and NumPy, the model running on the
batcher's thread. A bad request (malformed JSON, wrong columns or shapes, text for numbers, NaN, a body over
the limit, an unknown model name, path or verb) is answered with a 4xx and `{"error": "..."}`, one line, and the
next request is served normally. The server binds its port before loading the model, so a port already taken
is refused at once; it listens only once the model is warmed up. SIGTERM or SIGINT stops it cleanly: it stops
accepting connections, answers the requests under way, and exits 0.
"""

from __future__ import annotations

import json
import re
import signal
import socket
import socketserver
import threading
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from common.errors import UserError
from common.text import plural
from engine.serve.batching import BatchedModel, Batcher
from engine.serve.rest import VERSION, answer, metadata, parse_predict, status
from engine.serve.state import Served, ServeError, load_served

MAX_BODY_BYTES = 16 * 1024 * 1024  # a request larger than this is refused with 413
IDLE_SECONDS = 60  # a keep-alive connection with no request for this long is closed
DRAIN_SECONDS = 30  # how long a stopping server waits for the requests under way
ROUTE = re.compile(r"/v1/models/(?P<name>[^/:]+)(?:/versions/(?P<version>[^/:]+)|/labels/(?P<label>[^/:]+))?"
                   r"(?:(?P<metadata>/metadata)|:(?P<verb>[^/]*))?")
MODEL_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")


class RequestError(Exception):
    """A request answered with an HTTP error status and a one-line message."""

    def __init__(self, status_code: int, message: str):
        super().__init__(message)
        self.status_code = status_code


class ModelServer(ThreadingHTTPServer):
    """One served model behind TF Serving's REST endpoints, its requests batched into model calls. The socket is
    bound on creation (OSError if the port is taken); `load` then `start` warm the model up and listen."""

    daemon_threads = True  # idle keep-alive connections do not hold the process up; requests under way are counted
    request_queue_size = 1024  # connections waiting to be accepted: socketserver's 5 resets a burst of clients

    def __init__(self, address: tuple[str, int], max_body_bytes: int = MAX_BODY_BYTES):
        super().__init__(address, _Handler, bind_and_activate=False)
        try:
            self.server_bind()
        except OSError:
            self.server_close()
            raise
        self.max_body_bytes = max_body_bytes
        self.served: Served | None = None
        self.model_name = ""
        self.model: BatchedModel | None = None
        self.batcher: Batcher | None = None
        self.answered = 0
        self._under_way = 0
        self._stopping = False
        self._requests = threading.Condition()

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks the host's name up (socket.getfqdn), which can wait on DNS; it is not needed.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def load(self, served: Served, model_name: str) -> None:
        self.served, self.model_name, self.model = served, model_name, BatchedModel(served)

    def start(self, max_batch_size: int = 32, max_wait: float = 0.002) -> None:
        """Warm the model up for a lone request and for a full batch, start the batcher, then listen."""
        self.model.warm_up((1, max_batch_size))
        self.batcher = Batcher(self.model, max_batch_size, max_wait)
        self.server_activate()

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}/v1/models/{self.model_name}"

    def begin_request(self) -> bool:
        """Count a request under way; False once the server is stopping."""
        with self._requests:
            if self._stopping:
                return False
            self._under_way += 1
            return True

    @property
    def stopping(self) -> bool:
        return self._stopping

    def end_request(self) -> None:
        with self._requests:
            self._under_way -= 1
            self.answered += 1
            self._requests.notify_all()

    def stop(self, serving_thread: bool = True) -> None:
        """Stop accepting connections, wait for the requests under way to be answered, then stop the batcher.
        `serving_thread`: serve_forever is running on another thread and must be stopped first."""
        if serving_thread:
            self.shutdown()
        with self._requests:
            self._stopping = True
            self._requests.wait_for(lambda: self._under_way == 0, timeout=DRAIN_SECONDS)
        if self.batcher is not None:
            self.batcher.close()
        self.server_close()


def open_server(name: str | Path, host: str = "127.0.0.1", port: int = 8501, model_name: str | None = None,
                max_batch_size: int = 32, max_wait: float = 0.002, max_body_bytes: int = MAX_BODY_BYTES,
                console: Callable[[str], None] = print) -> ModelServer:
    """A server for the run folder or zoo model `name`, bound, warmed up and listening; serve_forever() runs it."""
    if model_name is not None and not MODEL_NAME.fullmatch(model_name):
        raise ServeError(f"--name is the model's name in the URL (/v1/models/NAME): letters, digits, '_', '.' and '-', "
                         f"starting with a letter or digit. Received: {model_name!r}")
    if not 0 <= port <= 65535:
        raise ServeError(f"--port (PORT=) must be a port number from 1 to 65535 (0: any free port). Received: {port}")
    if max_batch_size < 1 or max_wait < 0:
        raise ServeError(f"Batching needs a maximum batch size of at least 1 and a maximum wait of at least 0 ms. "
                         f"Received: {max_batch_size}, {max_wait * 1000:g} ms.")
    try:
        server = ModelServer((host, port), max_body_bytes)
    except OSError as error:
        raise ServeError(f"Cannot listen on {host}:{port}: {error.strerror or error}. Another program (or another "
                         "make serve) holds that port, or the host is not this machine's: pass --port (PORT=) with "
                         "a free port, or another --host.") from None
    try:
        served = load_served(name)
        for note in served.notes:
            console(f"Note: {note}")
        server.load(served, model_name or _default_name(served))
        server.start(max_batch_size, max_wait)
    except BaseException:
        server.server_close()
        raise
    return server


def _default_name(served: Served) -> str:
    """The recipe's name for a run, the entry's name for a zoo model; anything URL-unsafe becomes '_'."""
    name = served.recipe.get("name") if served.folder is not None else served.name
    return re.sub(r"[^A-Za-z0-9_.-]", "_", str(name or "model")).lstrip("_.-") or "model"


def serve(name: str | Path, host: str = "127.0.0.1", port: int = 8501, model_name: str | None = None,
          max_batch_size: int = 32, max_wait: float = 0.002, console: Callable[[str], None] = print) -> int:
    """Serve until SIGTERM or SIGINT, then answer the requests under way and return 0 (`python -m engine serve`)."""
    server = open_server(name, host, port, model_name, max_batch_size, max_wait, console=console)
    stopping = threading.Event()

    def request_stop(signum, frame) -> None:
        if not stopping.is_set():
            stopping.set()
            threading.Thread(target=server.shutdown, name="shutdown", daemon=True).start()

    previous = {signum: signal.signal(signum, request_stop) for signum in (signal.SIGTERM, signal.SIGINT)}
    console(f"Serving {server.served.name} as {server.model_name!r} at {server.url} (POST {server.url}:predict); "
            f"batches of up to {max_batch_size} samples, {max_wait * 1000:g} ms wait. SIGTERM or Ctrl-C stops it.")
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.stop(serving_thread=False)
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    calls = plural(server.batcher.calls, "model call")
    console(f"Stopped after answering {plural(server.answered, 'request')} in {calls}.")
    return 0


# ---- HTTP ---------------------------------------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: a client's connection (and its thread) serves many requests
    disable_nagle_algorithm = True
    timeout = IDLE_SECONDS
    server_version = "engine-serve"
    server: ModelServer

    def log_message(self, format: str, *args: Any) -> None:  # the standard library's signature
        """One line per request would cost more than the request; errors are in the answers."""

    def _any_verb(self) -> None:
        self._handle(self.command)

    # BaseHTTPRequestHandler calls do_<VERB>; every verb goes to one handler, which answers the ones it refuses.
    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _any_verb

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """The standard library's own refusals (a malformed request line, headers too long) as JSON too."""
        self.close_connection = True
        self._reply(code, {"error": message or HTTPStatus(code).phrase})

    def _handle(self, method: str) -> None:
        if not self.server.begin_request():
            self.close_connection = True
            self._reply(503, {"error": "The server is shutting down and takes no new requests."})
            return
        try:
            status_code, payload = 200, self._respond(method)
        except RequestError as error:
            status_code, payload = error.status_code, {"error": str(error)}
        except UserError as error:
            status_code, payload = 400, {"error": str(error)}
        except Exception as error:  # noqa: BLE001 - a bug answers this request with 500; the server keeps serving
            status_code, payload = 500, {"error": f"The server failed on this request: {type(error).__name__}: {error}"}
        try:
            if self.server.stopping:
                self.close_connection = True  # the answer to a request under way at shutdown is the connection's last
            self._reply(status_code, payload)
        finally:
            self.server.end_request()

    def _respond(self, method: str) -> dict[str, Any]:
        body = self._body()
        route = ROUTE.fullmatch(unquote(urlsplit(self.path).path))
        if route is None:
            raise RequestError(404, f"No such endpoint: {self.path[:100]!r}. This server answers GET "
                                    f"/v1/models/{self.server.model_name}[/metadata] and POST "
                                    f"/v1/models/{self.server.model_name}:predict.")
        self._check_model(route)
        if route["verb"] is not None:
            return self._verb(method, route["verb"], body)
        if method != "GET":
            raise RequestError(405, f"{method} is not allowed here: the status and metadata endpoints take GET, and "
                                    f"predictions are POSTed to /v1/models/{self.server.model_name}:predict.")
        return metadata(self.server.served, self.server.model_name) if route["metadata"] else status()

    def _check_model(self, route: re.Match) -> None:
        name = self.server.model_name
        if route["name"] != name:
            raise RequestError(404, f"No model named {route['name'][:100]!r} is served here; this server serves "
                                    f"{name!r} (GET /v1/models/{name}).")
        if route["label"] is not None:
            raise RequestError(404, f"Version labels are not served; {name!r} has one version, {VERSION}.")
        if route["version"] not in (None, VERSION):
            raise RequestError(404, f"{name!r} has no version {route['version'][:40]!r}; its one version is {VERSION}.")

    def _verb(self, method: str, verb: str, body: bytes) -> dict[str, Any]:
        if verb in ("classify", "regress"):
            raise RequestError(400, f":{verb} (tf.Example requests) is not supported: POST "
                                    f"{{\"instances\": [...]}} to :predict, whose answers hold the predicted class and "
                                    "each class's probability, or the regression value.")
        if verb != "predict":
            raise RequestError(404, f"Unknown verb {verb[:40]!r}: predictions are POSTed to "
                                    f"/v1/models/{self.server.model_name}:predict.")
        if method != "POST":
            raise RequestError(405, f"{method} is not allowed for :predict; POST a JSON body to it.")
        batcher = self.server.batcher
        batcher.announce()
        try:
            request = parse_predict(self.server.served, body)
        except BaseException:
            batcher.withdraw()
            raise
        return answer(batcher.submit(request.samples, request.count), request.columnar)

    def _body(self) -> bytes:
        """The request's body, read whole (b"" when it has none); a body over the limit is refused with 413."""
        if self.headers.get("Transfer-Encoding"):
            self.close_connection = True
            raise RequestError(411, "Send the body with a Content-Length header; chunked bodies are not read.")
        length = self.headers.get("Content-Length")
        if length is None:
            if self.command == "POST":
                raise RequestError(411, "A POST needs a Content-Length header.")
            return b""
        try:
            size = int(length)
            if size < 0:
                raise ValueError
        except ValueError:
            self.close_connection = True
            raise RequestError(400, f"Content-Length must be a whole number of bytes. Received: {length[:40]!r}") \
                from None
        if size > self.server.max_body_bytes:
            self.close_connection = True
            self._discard(size)
            raise RequestError(413, f"The body is {size} bytes; this server takes at most "
                                    f"{self.server.max_body_bytes} bytes a request. Send fewer instances per request.")
        body = self.rfile.read(size)
        if len(body) < size:
            self.close_connection = True
            raise RequestError(400, f"The body ended after {len(body)} of its {size} bytes.")
        return body

    def _discard(self, size: int) -> None:
        """Read and drop an oversized body (up to a bound), so that the client, still sending it, gets the 413."""
        left = min(size, 4 * self.server.max_body_bytes)
        self.connection.settimeout(1.0)
        try:
            while left > 0:
                chunk = self.rfile.read(min(left, 1 << 16))
                if not chunk:
                    break
                left -= len(chunk)
        except OSError:
            pass

    def _reply(self, status_code: int, payload: dict[str, Any]) -> None:
        """Status line, headers and body in one write (no delayed-ACK stall between headers and body)."""
        body = json.dumps(payload, allow_nan=False, separators=(",", ":")).encode()
        head = [f"HTTP/1.1 {status_code} {HTTPStatus(status_code).phrase}", "Content-Type: application/json",
                f"Content-Length: {len(body)}", f"Connection: {'close' if self.close_connection else 'keep-alive'}"]
        if status_code == 405:
            head.append("Allow: GET, POST")
        try:
            self.wfile.write(("\r\n".join(head) + "\r\n\r\n").encode() + (b"" if self.command == "HEAD" else body))
        except OSError:  # the client went away; nothing to answer
            self.close_connection = True


def free_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on now (for tests and benchmarks)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]
