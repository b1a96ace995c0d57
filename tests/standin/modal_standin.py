"""A local stand-in for Modal's servers, so that modalgen's CI runs the generated smoke tests' bodies.

CI has no Modal account and no GPU, and a test that only ever skips proves nothing. This pytest
plugin is loaded into a generated project's own test run (`-p modal_standin`, see
tests/smoke_runs.py) and serves Modal's calls in-process, keeping each smoke test's own code path.
It stands in for Modal's servers, so it enforces what they do, each rule with its source; a rule
found wrong later is a bug here, fixed with a test in tests/test_standin.py.

Containers
- Every function and class runs in a container of its own, which shows the GPUs its configuration
  asks for: the fake `nvidia-smi` (put on PATH by the runner) prints, while a function runs, the GPU
  names MODALGEN_FAKE_GPUS (JSON: function or class name -> names) gives for it, nothing for the
  others. The smoke tests compare that with each function's configuration, so a mismatch in the
  map must make them fail.
- A class's container runs its `@modal.enter` hooks once, before it takes its first input, then
  serves every call with the same instance (modal.com/docs/guide/lifecycle-functions: "enter" runs
  when the container starts, before inputs; modal/cls.py `_Obj._enter`: pre-snapshot hooks, then
  post-snapshot hooks). A web endpoint of a class is served only once its hooks have returned.
- Memory snapshots (`enable_memory_snapshot=True`, as the decorator received it): the
  `@modal.enter(snap=True)` hooks run first, in the snapshot phase, with no GPU attached (the docs,
  modal.com/docs/guide/memory-snapshot: "GPU memory snapshots provide full GPU access before the
  snapshot is taken, while CPU memory snapshots do not"): no `nvidia-smi` on PATH,
  `CUDA_VISIBLE_DEVICES` empty, and any `torch.cuda` query fails the test, because CUDA reads the
  device count once per process (c10/cuda/CUDAFunctions.cpp, `device_count()`) and a restored
  container would keep the 0 it saw. Then the restore: memory is kept as it was (nothing cached is
  cleared), and the other hooks run with the GPUs. With GPU snapshots
  (`experimental_options={"enable_gpu_snapshot": True}`) the snapshot phase has the GPUs.

Apps and calls
- `with app.run():` is an ephemeral app: when the block exits, the app stops and spawned calls
  that nobody waited for are cancelled (modal.com/docs/reference/cli/run: "the app is stopped when
  the local entrypoint returns"; modal/runner.py `_run_app` stops the app on exit). Their `.get()`
  then raises. `app.run(detach=True)` keeps them.
- `.remote()`, `.map()` and `.spawn()` run the function here, in its container;
  `FunctionCall.from_id()` finds what a spawn gave.
- Volumes are a scratch folder (`RESULTS_DIR` of the generated code) and `commit()` does nothing;
  web endpoints (`get_web_url`) and Servers (`Server.get_url`) are served on 127.0.0.1.

The runner sets a (fake) Modal token in the environment, so the smoke tests do not skip.
"""

from __future__ import annotations

import importlib.util
import itertools
import json
import os
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager

import modal
import pytest
from modal._partial_function import _find_callables_for_obj, _PartialFunctionFlags
from modal._utils.async_utils import synchronizer

FAKE = json.loads(os.environ.get("MODALGEN_FAKE_GPUS", "{}"))
NVIDIA_SMI_OUTPUT = "MODALGEN_NVIDIA_SMI"  # what the fake nvidia-smi prints
GPU_BIN = os.environ.get("MODALGEN_FAKE_GPU_BIN", "")  # the folder of the fake nvidia-smi
_cleanups: list = []
_calls: dict[str, _Call] = {}
_ids = itertools.count(1)
_decorated: dict[str, dict] = {}  # what each function's or class's decorator received, by name
_containers: dict[tuple, object] = {}  # a class's running container (its instance), by class and parameters
_violations: list[str] = []  # broken rules seen where the code under test may have swallowed the error


class LifecycleError(AssertionError):
    """The code did something Modal's lifecycle does not allow (see the module docstring)."""


# --- what the decorators received -----------------------------------------------------------------


def _object_name(made) -> str:
    """The name the project gives a Modal function, class or Server."""
    if isinstance(made, modal.Cls | modal.Server):
        return made._get_user_cls().__name__
    return synchronizer._translate_in(made)._get_source_info().raw_f.__qualname__.split(".")[0]


def _recording(original):
    def decorator_factory(self, *args, **kwargs):
        decorator = original(self, *args, **kwargs)

        def decorate(target):
            made = decorator(target)
            _decorated[_object_name(made)] = kwargs
            return made

        return decorate

    return decorator_factory


def _settings(name: str) -> dict:
    return _decorated.get(name, {})


# --- what a container sees ------------------------------------------------------------------------


# Each container is a process of its own: what one caches (the generated core's `device_report`,
# a functools.cache) is its own, kept across its snapshot and restore and its later calls, and
# never seen by another container or by the offline tests run in this process.
LOCAL = "(not in a container)"
_running: list[str] = [LOCAL]  # the container whose code runs now
_memos: dict[str, dict] = {}  # each container's cache: (module, function) -> value


def _per_container(module_name: str, cached):
    """`cached` (a functools.cache of no arguments) with one cache per container."""
    compute = cached.__wrapped__

    def lookup():
        memo = _memos.setdefault(_running[-1], {})
        if (module_name, compute.__name__) not in memo:
            memo[module_name, compute.__name__] = compute()
        return memo[module_name, compute.__name__]

    lookup.cache_clear = lambda: _memos.get(_running[-1], {}).pop((module_name, compute.__name__), None)
    lookup.__wrapped__ = compute
    lookup.per_container = True
    return lookup


def _isolate_device_caches() -> None:
    for name, module in list(sys.modules.items()):
        report = vars(module).get("device_report")  # not getattr: some modules answer any name
        if callable(getattr(report, "cache_clear", None)) and not getattr(report, "per_container", False):
            module.device_report = _per_container(name, report)


@contextmanager
def _in_container(name: str):
    """Code of container `name` runs: its own caches, and nvidia-smi shows its GPUs."""
    _isolate_device_caches()
    _running.append(name)
    try:
        with gpus_of(name):
            yield
    finally:
        _running.pop()


@contextmanager
def _env(**values: str | None):
    before = {key: os.environ.get(key) for key in values}
    for key, value in values.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    try:
        yield
    finally:
        for key, value in before.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@contextmanager
def gpus_of(name: str):
    """While `name` runs, nvidia-smi shows the GPUs its container would have."""
    with _env(**{NVIDIA_SMI_OUTPUT: "".join(f"{gpu}\n" for gpu in FAKE.get(name, []))}):
        yield


CUDA_QUERIES = ("is_available", "device_count", "is_bf16_supported", "get_device_name",
                "get_device_properties", "get_device_capability", "current_device", "mem_get_info",
                "set_device", "init", "_lazy_init", "synchronize")  # fmt: skip


@contextmanager
def _no_cuda(name: str):
    """Any torch.cuda query fails: CUDA would fix the device count at 0 for the restored process."""
    if importlib.util.find_spec("torch") is None:
        yield
        return
    import torch.cuda

    def refuse(query):
        def refused(*args, **kwargs):
            message = (f"{name}: torch.cuda.{query}() in a @modal.enter(snap=True) hook, before the memory "
                       "snapshot, where no GPU is attached: CUDA keeps the device count it reads there (0) "
                       "for the life of the restored container")  # fmt: skip
            _violations.append(message)
            raise LifecycleError(message)

        return refused

    originals = {query: getattr(torch.cuda, query) for query in CUDA_QUERIES if hasattr(torch.cuda, query)}
    for query in originals:
        setattr(torch.cuda, query, refuse(query))
    try:
        yield
    finally:
        for query, original in originals.items():
            setattr(torch.cuda, query, original)


@contextmanager
def _snapshot_phase(name: str, gpu_snapshot: bool):
    """The snap=True hooks' world: no GPU for a CPU memory snapshot, the GPUs for a GPU snapshot."""
    with _in_container(name):
        if gpu_snapshot:
            yield
            return
        path = os.pathsep.join(p for p in os.environ.get("PATH", "").split(os.pathsep) if p != GPU_BIN)
        with _env(PATH=path, CUDA_VISIBLE_DEVICES="", **{NVIDIA_SMI_OUTPUT: ""}), _no_cuda(name):
            yield


# --- containers of classes and Servers -------------------------------------------------------------


def _hooks(instance, flag) -> list:
    return list(_find_callables_for_obj(instance, flag).values())


def start_container(name: str, instance) -> None:
    """A container starting: the enter hooks, in Modal's phases, before it takes any input."""
    settings = _settings(name)
    snapshot = bool(settings.get("enable_memory_snapshot"))
    gpu_snapshot = bool((settings.get("experimental_options") or {}).get("enable_gpu_snapshot"))
    _memos.pop(name, None)  # a fresh process
    pre = _hooks(instance, _PartialFunctionFlags.ENTER_PRE_SNAPSHOT)
    post = _hooks(instance, _PartialFunctionFlags.ENTER_POST_SNAPSHOT)
    if snapshot:
        with _snapshot_phase(name, gpu_snapshot):
            for hook in pre:
                hook()
        pre = []  # restored: what they built is in memory, and they do not run again
    with _in_container(name):
        for hook in [*pre, *post]:
            hook()
    for hook in _hooks(instance, _PartialFunctionFlags.EXIT):
        _cleanups.append(hook)


def _container_of(method) -> str:
    """Start the container of a class method's object (once per class and parameters); its name."""
    obj = synchronizer._translate_in(method)._obj
    user_cls = obj._user_cls
    key = (user_cls, repr(obj._args), repr(sorted(obj._kwargs.items())))
    if key not in _containers:
        instance = obj._cached_user_cls_instance()
        start_container(user_cls.__name__, instance)
        _containers[key] = instance
    obj._user_cls_instance = _containers[key]
    obj._has_entered = True  # `.local()` must not run the hooks again, outside their phases
    return user_cls.__name__


def _name(fn) -> str:
    """The function's or class's name, as the project defines it (starting a class's container)."""
    impl = synchronizer._translate_in(fn)
    if getattr(impl, "_obj", None) is not None:
        return _container_of(fn)
    raw = impl._get_source_info().raw_f
    return raw.__qualname__.split(".")[0]


def _call(fn, *args, **kwargs):
    name = _name(fn)
    with _in_container(name):
        if fn.info().batching_info is not None:  # a caller sends one item; the method gets a batch
            return fn.local([args[0]])[0]
        return fn.local(*args, **kwargs)


# --- apps and calls ---------------------------------------------------------------------------------


class _Call:
    def __init__(self, result, app_run: _Run | None):
        self.object_id = f"fc-standin-{next(_ids)}"
        self._result = result
        self._run = app_run
        self.waited = False
        _calls[self.object_id] = self

    def get(self, timeout=None):
        if self._run is not None and self._run.stopped and not self.waited:
            raise modal.exception.ExecutionError(
                f"{self.object_id} was cancelled: it was spawned in an ephemeral app (`app.run()` / `modal "
                "run`), which stopped before anyone waited for it; submit work that must outlive the "
                "command to a deployed app"
            )
        self.waited = True
        return self._result


class _Run:
    """One `app.run()`: an ephemeral app unless detached."""

    current: _Run | None = None

    def __init__(self, detach: bool):
        self.detach = detach
        self.stopped = False


@contextmanager
def _app_run(app, *args, detach: bool = False, **kwargs):
    run = _Run.current = _Run(detach)
    try:
        yield app
    finally:
        _Run.current = None
        run.stopped = not detach


def _spawn(fn, *args, **kwargs):
    return _Call(_call(fn, *args, **kwargs), _Run.current)


def _gather(*calls):
    return [call.get() for call in calls]


# --- HTTP: web endpoints and Servers ---------------------------------------------------------------


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


def _web_info(fn):
    """A function's web settings, or a class method's (modal reports those per method)."""
    info = fn.info()
    if info.web_info is not None:
        return info.web_info
    return info.method_details[synchronizer._translate_in(fn)._get_source_info().raw_f.__name__]


def _web_url(fn) -> str:
    """Serve a web endpoint here, as Modal would serve it, with its own GPUs showing; a class's
    endpoint only once its container has run its enter hooks."""
    name = _name(fn)
    if _web_info(fn).method is not None:  # @modal.fastapi_endpoint: one route
        from fastapi import FastAPI

        web_app = FastAPI()

        @web_app.post("/")
        def route(item: dict) -> dict:
            with _in_container(name):
                return fn.local(item)

        return _serve_in_thread(web_app, "asgi")
    with _in_container(name):
        app = fn.local()
    if hasattr(app, "wsgi_app"):  # a Flask app

        def wsgi(environ, start_response):
            with _in_container(name):
                return list(app(environ, start_response))

        return _serve_in_thread(wsgi, "wsgi")

    async def asgi(scope, receive, send):
        with _in_container(name):
            await app(scope, receive, send)

    return _serve_in_thread(asgi, "asgi")


def _server_url(server) -> str:
    """Start a Server's container here, on a free port: its enter hooks, in their phases."""
    user_cls = server._get_user_cls()
    module = sys.modules[user_cls.__module__]
    port = _free_port()
    module.PORT = port  # the generated Server listens on its module's PORT
    instance = user_cls()
    start_container(user_cls.__name__, instance)
    _wait_listening(port, getattr(instance, "process", None))
    return f"http://127.0.0.1:{port}"


# --- the plugin ----------------------------------------------------------------------------------------


def _volumes_in(folder) -> None:
    """Results the functions save land in a scratch folder instead of the Volume's mount path."""
    from pathlib import Path

    for module in list(sys.modules.values()):
        if isinstance(getattr(module, "RESULTS_DIR", None), Path):
            module.RESULTS_DIR = Path(folder)


@pytest.fixture(autouse=True)
def _scratch_volumes(tmp_path):
    _volumes_in(tmp_path)


@pytest.fixture(autouse=True)
def _lifecycle_rules():
    """A broken rule fails the test that broke it, even where the code caught the error."""
    _violations.clear()
    yield
    if _violations:
        pytest.fail("; ".join(dict.fromkeys(_violations)), pytrace=False)


# At import, not in pytest_configure: `-p modal_standin` imports this module before pytest loads the
# project's conftest, which imports (and so decorates) the whole app.
for _decorator in ("function", "cls", "server"):
    setattr(modal.App, _decorator, _recording(getattr(modal.App, _decorator)))


def pytest_configure(config):
    modal.Volume.commit = lambda self: None
    modal.Volume.reload = lambda self: None
    modal.App.run = _app_run
    modal.Function.remote = _call
    modal.Function.map = lambda self, *inputs, **kwargs: iter(
        [_call(self, *args) for args in zip(*inputs, strict=True)]
    )
    modal.Function.spawn = _spawn
    modal.FunctionCall.from_id = staticmethod(lambda call_id, *args, **kwargs: _calls[call_id])
    modal.FunctionCall.gather = staticmethod(_gather)
    modal.Function.get_web_url = _web_url
    modal.Server.get_url = _server_url


def pytest_unconfigure(config):
    for cleanup in reversed(_cleanups):
        cleanup()
