"""A local stand-in for Modal's servers, so that modalgen's CI runs the generated smoke tests' bodies.

CI has no Modal account and no GPU, and a test that only ever skips proves nothing. This pytest
plugin is loaded into a generated project's own test run (`-p modal_standin`, see
tests/smoke_runs.py) and serves Modal's calls in-process, keeping each smoke test's own code path:

- `App.run()` is a no-op context; `.remote()`, `.map()` and `.spawn()` run `.local()` here, and
  `FunctionCall.from_id()` returns what a spawned call gave;
- Volumes are a scratch folder (`RESULTS_DIR` of the generated code) and `commit()` does nothing;
- web endpoints (`get_web_url`) and Servers (`Server.get_url`) are served on 127.0.0.1;
- a fake `nvidia-smi` (put on PATH by the runner) prints, while a function runs, the GPU names that
  MODALGEN_FAKE_GPUS (JSON: function or class name -> names) gives for it, and nothing for the
  others: what the container of that function would show. The smoke tests compare it with each
  function's own configuration, so a mismatch in the map must make them fail.

The runner sets a (fake) Modal token in the environment, so the smoke tests do not skip.
"""

from __future__ import annotations

import itertools
import json
import os
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager, nullcontext

import modal
import pytest
from modal._utils.async_utils import synchronizer

FAKE = json.loads(os.environ.get("MODALGEN_FAKE_GPUS", "{}"))
NVIDIA_SMI_OUTPUT = "MODALGEN_NVIDIA_SMI"  # what the fake nvidia-smi prints
_cleanups: list = []
_calls: dict[str, object] = {}
_ids = itertools.count(1)


def _clear_device_caches() -> None:
    for module in list(sys.modules.values()):
        report = getattr(module, "device_report", None)
        if callable(getattr(report, "cache_clear", None)):
            report.cache_clear()


@contextmanager
def gpus_of(name: str):
    """While `name` runs, nvidia-smi shows the GPUs its container would have."""
    previous = os.environ.get(NVIDIA_SMI_OUTPUT, "")
    os.environ[NVIDIA_SMI_OUTPUT] = "".join(f"{gpu}\n" for gpu in FAKE.get(name, []))
    _clear_device_caches()
    try:
        yield
    finally:
        os.environ[NVIDIA_SMI_OUTPUT] = previous
        _clear_device_caches()


def _name(fn) -> str:
    """The function's or class's name, as the project defines it."""
    raw = synchronizer._translate_in(fn)._get_source_info().raw_f
    return raw.__qualname__.split(".")[0]


def _call(fn, *args, **kwargs):
    with gpus_of(_name(fn)):
        if fn.info().batching_info is not None:  # a caller sends one item; the method gets a batch
            return fn.local([args[0]])[0]
        return fn.local(*args, **kwargs)


class _Call:
    def __init__(self, result):
        self.object_id = f"fc-standin-{next(_ids)}"
        self._result = result
        _calls[self.object_id] = self

    def get(self, timeout=None):
        return self._result


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_listening(port: int, process: subprocess.Popen | None = None, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            if process is not None and process.poll() is not None:
                raise RuntimeError("the server process exited") from None
            if time.monotonic() > deadline:
                raise RuntimeError(f"nothing listens on port {port}") from None
            time.sleep(0.1)


def _serve_in_thread(wsgi_or_asgi, kind: str) -> str:
    port = _free_port()
    if kind == "wsgi":
        from wsgiref.simple_server import WSGIRequestHandler, make_server

        class Quiet(WSGIRequestHandler):
            def log_message(self, *args):
                pass

        server = make_server("127.0.0.1", port, wsgi_or_asgi, handler_class=Quiet)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        _cleanups.append(server.shutdown)
    else:
        import uvicorn

        server = uvicorn.Server(
            uvicorn.Config(wsgi_or_asgi, host="127.0.0.1", port=port, log_level="warning")
        )
        thread = threading.Thread(target=server.run, daemon=True)

        def stop():
            server.should_exit = True

        _cleanups.append(stop)
    thread.start()
    _wait_listening(port)
    return f"http://127.0.0.1:{port}"


def _web_url(fn) -> str:
    """Serve a web function here, as Modal would serve it, with its own GPUs showing."""
    name = _name(fn)
    if fn.info().web_info.method is not None:  # @modal.fastapi_endpoint: one route
        from fastapi import FastAPI

        web_app = FastAPI()

        @web_app.post("/")
        def route(item: dict) -> dict:
            with gpus_of(name):
                return fn.local(item)

        return _serve_in_thread(web_app, "asgi")
    app = fn.local()
    if hasattr(app, "wsgi_app"):  # a Flask app

        def wsgi(environ, start_response):
            with gpus_of(name):
                return list(app(environ, start_response))

        return _serve_in_thread(wsgi, "wsgi")

    async def asgi(scope, receive, send):
        with gpus_of(name):
            await app(scope, receive, send)

    return _serve_in_thread(asgi, "asgi")


def _enter_hooks(user_cls, flag_names: tuple[str, ...]):
    from modal._partial_function import _PartialFunctionFlags

    wanted = 0
    for flag_name in flag_names:
        wanted |= getattr(_PartialFunctionFlags, flag_name)
    for value in vars(user_cls).values():
        partial = (
            synchronizer._translate_in(value)
            if isinstance(value, modal.partial_function.PartialFunction)
            else value
        )
        flags = getattr(partial, "flags", 0)
        if flags & wanted:
            yield partial.raw_f


def _server_url(server) -> str:
    """Start a Server's container here: its @modal.enter hooks, on a free port."""
    user_cls = server._get_user_cls()
    module = sys.modules[user_cls.__module__]
    port = _free_port()
    module.PORT = port  # the generated Server listens on its module's PORT
    instance = user_cls()
    with gpus_of(user_cls.__name__):  # the server process inherits what nvidia-smi shows
        for hook in _enter_hooks(user_cls, ("ENTER_PRE_SNAPSHOT", "ENTER_POST_SNAPSHOT")):
            hook(instance)
    for hook in _enter_hooks(user_cls, ("EXIT",)):
        _cleanups.append(lambda hook=hook: hook(instance))
    _wait_listening(port, getattr(instance, "process", None))
    return f"http://127.0.0.1:{port}"


def _volumes_in(folder) -> None:
    """Results the functions save land in a scratch folder instead of the Volume's mount path."""
    from pathlib import Path

    for module in list(sys.modules.values()):
        if isinstance(getattr(module, "RESULTS_DIR", None), Path):
            module.RESULTS_DIR = Path(folder)


@pytest.fixture(autouse=True)
def _scratch_volumes(tmp_path):
    _volumes_in(tmp_path)


def pytest_configure(config):
    modal.Volume.commit = lambda self: None
    modal.Volume.reload = lambda self: None
    modal.App.run = lambda self, *args, **kwargs: nullcontext(self)
    modal.Function.remote = _call
    modal.Function.map = lambda self, *inputs, **kwargs: iter(
        [_call(self, *args) for args in zip(*inputs, strict=True)]
    )
    modal.Function.spawn = lambda self, *args, **kwargs: _Call(_call(self, *args, **kwargs))
    modal.FunctionCall.from_id = staticmethod(lambda call_id, *args, **kwargs: _calls[call_id])
    modal.Function.get_web_url = _web_url
    modal.Server.get_url = _server_url


def pytest_unconfigure(config):
    for cleanup in reversed(_cleanups):
        cleanup()
