"""Generated projects' suites run in processes forked from one that has already imported their
common modules: a zygote, one per Python environment and test worker.

modalgen's suite runs about a hundred generated suites (every stack, the matrix's structures,
every release's update, each GPU case of the smoke test's promise). A fresh `python -m pytest`
spends about a second importing pytest, modal, fastapi and huggingface_hub before its first test,
and three with torch and transformers: most of each run. A child forked from the zygote starts
with those modules loaded and is otherwise what `python -m pytest ARGS` in the project would be:
its own working folder and `sys.path[0]`, its own environment, its stdout and stderr, its exit
code. What reads the environment when it is imported (the stand-in plugin, the project's own
modules and conftest) is imported in the child, after its environment is set: the zygote imports
only libraries, and never runs pytest itself (its assertion-rewriting hook and plugins start
fresh in each child). It starts no thread, checked before every fork, so forking it is safe.

Protocol, over a Unix socket: the client sends one JSON line {cwd, env, args, out, err}; the
child answers its pid, then its exit code, one line each.
"""

from __future__ import annotations

import atexit
import importlib
import json
import os
import signal
import socket
import sys
import threading
import traceback

# What generated suites import, wherever it is installed: the plain environment has no torch, the
# model environment no fastapi. Importing a module the child would import anyway changes nothing
# it sees but the time.
PRELOAD = (
    "pytest", "_pytest.assertion.rewrite", "_pytest.python", "_pytest.fixtures", "_pytest.terminal",
    "_pytest.junitxml", "_pytest.pytester", "_pytest.monkeypatch", "_pytest.tmpdir", "_pytest.logging",
    "modal", "modal.experimental", "modal.billing", "modal._partial_function", "modal._utils.async_utils",
    "fastapi", "fastapi.testclient", "starlette.testclient", "httpx", "uvicorn", "flask", "yaml",
    "huggingface_hub", "huggingface_hub.file_download", "huggingface_hub._snapshot_download",
    "croniter", "numpy", "safetensors", "safetensors.torch",
    "torch", "torch.nn", "torch.distributed", "torch.distributed.run", "transformers",
    "sentence_transformers", "diffusers", "accelerate", "PIL.Image",
    # the finetune stack: peft (~3 s: it imports transformers' models, and bitsandbytes where it is
    # installed), the tiny causal LM's class, a dataset's Parquet files; the train workload's plot
    "peft", "transformers.models.llama.modeling_llama", "pyarrow.parquet", "matplotlib.pyplot",
)  # fmt: skip


def _preload() -> None:
    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - not installed here, or not importable: the child will see
            pass


def _child(request: dict, conn: socket.socket) -> None:
    """Become `python -m pytest ARGS` in the project, then report the exit code and leave."""
    code = 99
    try:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        os.setsid()  # a group of its own: a timeout kills the run and what it started
        conn.sendall(f"{os.getpid()}\n".encode())
        os.environ.clear()
        os.environ.update(request["env"])
        os.chdir(request["cwd"])
        sys.path[0] = request["cwd"]  # as `python -m` puts the working folder first
        with open(os.devnull, "rb") as devnull:
            os.dup2(devnull.fileno(), 0)
        for fd, path in ((1, request["out"]), (2, request["err"])):
            with open(path, "wb") as file:
                os.dup2(file.fileno(), fd)
        sys.stdout = open(1, "w", encoding="utf-8", errors="backslashreplace", closefd=False)  # noqa: SIM115
        sys.stderr = open(2, "w", encoding="utf-8", errors="backslashreplace", closefd=False)  # noqa: SIM115
        sys.argv = [sys.argv[0], *request["args"]]
        import pytest

        code = int(pytest.main(request["args"]))
        atexit._run_exitfuncs()
    except BaseException:  # noqa: BLE001 - whatever happened, the client gets an exit code
        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
            conn.sendall(f"{code}\n".encode())
        finally:
            os._exit(code)


def serve(path: str) -> None:
    _preload()
    parent = os.getppid()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(64)
    listener.settimeout(1.0)
    print("ready", flush=True)
    while os.getppid() == parent:  # the test worker that started it is gone: so is it
        try:
            conn, _ = listener.accept()
        except TimeoutError:
            conn = None
        while True:  # reap the children that have finished
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
        if conn is None:
            continue
        conn.settimeout(None)
        request = json.loads(conn.makefile("rb").readline())
        assert threading.active_count() == 1, "a thread in the zygote: forking it is not safe"
        if os.fork() == 0:
            listener.close()
            _child(request, conn)
        conn.close()


if __name__ == "__main__":
    serve(sys.argv[1])
