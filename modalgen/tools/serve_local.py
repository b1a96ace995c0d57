"""A project's endpoint served on this machine, for `modalgen bench` without a URL.

A standalone script: modalgen runs it with the project's own interpreter (its packages: modal, the
web framework, the core), never imports it. Only the standard library and the project are used.

    python serve_local.py PROJECT_ROOT ENDPOINT_JSON

ENDPOINT_JSON says what to serve (modalgen writes it from the project's plan): {"package",
"module", "endpoint", "style", "worker": {"module", "name"} or null, "fake_engine", "stream"}.
Once the endpoint answers, one JSON line goes to stdout, {"url", "label"}; it serves until its
stdin closes (or SIGTERM). The work a front hands to its worker runs in this process (`.local()`),
as it would in the worker's container. A stack with a model gets the tests' small fake engine
(tests/fake_engine.py): the figures measure the code around the model, and the label says so.
"""

import contextlib
import importlib
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path
from types import SimpleNamespace


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def resolve(package: str, expression: str):
    """`web.api` or `web.Web().process`, inside `package`, as the object it names."""
    module, *parts = expression.split(".")
    obj = importlib.import_module(f"{package}.{module}")
    for part in parts:
        obj = getattr(obj, part.removesuffix("()"))
        if part.endswith("()"):
            obj = obj()
    return obj


def in_process(cls):
    """`Worker().method.remote(x)` runs `.local(x)` here; a batched method gets a batch of one."""

    class Local:
        def __init__(self, *args, **kwargs):
            self._obj = cls(*args, **kwargs)

        def __getattr__(self, name):
            method = getattr(self._obj, name)
            if method.info().batching_info is not None:
                return SimpleNamespace(remote=lambda item: method.local([item])[0])
            return SimpleNamespace(remote=method.local)

    return Local


def endpoint_app(spec: dict):
    """The endpoint's app, as Modal serves it (with the worker, if any, in this process)."""
    package = spec["package"]
    # `.local()` has no Volumes to mount here, and needs none.
    warnings.filterwarnings("ignore", message=".*executing locally.*", category=UserWarning)
    module = importlib.import_module(f"{package}.{spec['module']}")
    worker = spec.get("worker")
    if worker:
        worker_module = importlib.import_module(f"{package}.{worker['module']}")
        setattr(module, worker["name"], in_process(getattr(worker_module, worker["name"])))
    endpoint = resolve(package, spec["endpoint"])
    if spec["style"] == "fastapi":
        from fastapi import FastAPI

        # Modal serves the function as a POST route of its own FastAPI app; so does this.
        def route(item: dict):
            return endpoint.local(item)

        web_app = FastAPI()
        web_app.post("/")(route)
        return web_app
    if spec["style"] == "server":
        return module.http_app()
    return endpoint.local()


@contextlib.contextmanager
def wsgi_server(app, port: int):
    from socketserver import ThreadingMixIn
    from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

    class Quiet(WSGIRequestHandler):
        def log_message(self, *args):
            pass  # no access log in the report

    class Threaded(ThreadingMixIn, WSGIServer):
        daemon_threads = True

    server = make_server("127.0.0.1", port, app, server_class=Threaded, handler_class=Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield
    finally:
        server.shutdown()


@contextlib.contextmanager
def asgi_server(app, port: int):
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError(f"the local server did not start on port {port}")
        time.sleep(0.02)
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextlib.contextmanager
def web_serving(spec: dict, root: Path, port: int):
    """The endpoint on a free local port, in a thread; yields what it is."""
    label = "served here, the core on this CPU"
    if spec.get("fake_engine"):
        core = importlib.import_module(f"{spec['package']}.core")
        # The tests' fake engine: the real model's weights live in a Modal Volume, not here.
        os.environ["CORE_ENGINE"] = "fake_engine:load_engine"
        sys.path.insert(0, str(root / "tests"))
        core.model.cache_clear()
        label = "served here; the model is the tests' fake engine"
    app = endpoint_app(spec)
    with (wsgi_server if spec["style"] == "wsgi" else asgi_server)(app, port):
        yield label


@contextlib.contextmanager
def openai_serving(spec: dict, root: Path, port: int):
    """`vllm serve` when vLLM is installed here (it needs a GPU), else the tests' OpenAI-compatible
    stand-in; yields what it is."""
    core = importlib.import_module(f"{spec['package']}.core")
    if shutil.which("vllm"):
        command, label = core.serve_command(port), "vllm serve on this machine"
    else:
        fake = str(root / "tests" / "fake_engine.py")
        command = [sys.executable, fake, "serve", core.SERVED_NAME, "--port", str(port)]
        label = "local stand-in for vLLM (tests/fake_engine.py), not the model"
    process = subprocess.Popen(command, stdout=sys.stderr)
    try:
        core.wait_ready(f"http://127.0.0.1:{port}", proc=process)
        yield label
    finally:
        process.terminate()
        process.wait(timeout=30)


def main(argv: list[str]) -> int:
    root, spec = Path(argv[0]).resolve(), json.loads(argv[1])
    sys.path.insert(0, str(root))
    # stdout carries the one line modalgen reads; whatever the app prints goes to stderr.
    ready = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    port = free_port()
    serving = openai_serving if spec.get("stream") else web_serving
    with serving(spec, root, port) as label:
        print(json.dumps({"url": f"http://127.0.0.1:{port}", "label": label}), file=ready, flush=True)
        sys.stdin.read()  # until modalgen closes it: the bench is over
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
