"""`ControlPlane`: the server, its state and its handlers together, with what tests script and read."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from google.protobuf.message import Message

from . import rpc_apps, rpc_calls, rpc_containers, rpc_logs, rpc_session
from .project import ProjectMake, uv_shim
from .server import RpcServer, new_id
from .state import PENDING, App, Call, Container, Function, LogLine, World


class ControlPlane:
    """A control plane on a unix socket of its own; `start()` it, `stop()` it (the fixture does)."""

    def __init__(self) -> None:
        # A short path of its own: a unix socket's path is limited to ~100 bytes, pytest's
        # tmp_path can be longer.
        self.home = Path(tempfile.mkdtemp(prefix="modal-cp-"))
        self.world = World()
        self.server = RpcServer(self.home / "modal.sock")
        for module in (rpc_session, rpc_apps, rpc_containers, rpc_logs, rpc_calls):
            module.register(self.server.handlers, self.world)

    # --- lifecycle -------------------------------------------------------------------------------

    def start(self) -> ControlPlane:
        self.server.start()
        return self

    def stop(self) -> None:
        self.server.stop()
        shutil.rmtree(self.home, ignore_errors=True)

    @property
    def env(self) -> dict[str, str]:
        """What a `modal` process needs to talk to this control plane and nothing else: its address,
        a fake token (never valid on Modal) and a config file of its own (no profile of yours)."""
        return {
            "MODAL_SERVER_URL": self.server.url,
            "MODAL_TOKEN_ID": "ak-standin",
            "MODAL_TOKEN_SECRET": "as-standin",
            "MODAL_CONFIG_PATH": str(self.home / "modal.toml"),
        }

    def subprocess_env(self, **extra: str) -> dict[str, str]:
        """os.environ without any Modal setting or virtualenv of the caller, plus `env` and `extra`."""
        keep = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("MODAL_") and k not in {"VIRTUAL_ENV", "PYTHONPATH"}
        }
        return {**keep, **self.env, **extra}

    @property
    def make(self) -> ProjectMake:
        """`control_plane.make(project, "deploy")`: a generated project's make target, its `uv run`
        run in this environment, its `modal` commands answered here (tests/controlplane/project.py).
        `control_plane.make.start(project, ...)` returns the running process."""
        return ProjectMake(self.subprocess_env(), uv_shim(self.home / "bin"))

    def modal(
        self, *args: str, cwd: Path | str | None = None, input: str | None = None, timeout: float = 120
    ):
        """Run the real `modal` CLI (this interpreter's, the pinned version) against the control plane.

        stdin is `input`, or empty: never a terminal, as in `make` from a script or CI."""
        return subprocess.run(
            [sys.executable, "-m", "modal", *args],
            cwd=cwd,
            env=self.subprocess_env(),
            input=input or "",
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    @contextmanager
    def connected(self) -> Iterator[Any]:
        """Inside the block, this process's `modal` (the Python API: `Function.from_name`,
        `FunctionCall.from_id` ...) talks to the control plane; yields the `modal.Client`."""
        import modal
        from modal.client import _Client

        saved = {key: os.environ.get(key) for key in self.env}
        os.environ.update(self.env)
        _Client._set_env_client(None)  # a client made earlier points elsewhere
        client = modal.Client.from_env()
        try:
            yield client
        finally:
            client.close()
            _Client._set_env_client(None)
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value

    # --- what was asked ----------------------------------------------------------------------------

    @property
    def requests(self) -> list[tuple[str, Message]]:
        """Every request so far, in order: (RPC name, request message)."""
        return self.server.recorded()

    def calls(self, rpc: str) -> list[Message]:
        """The requests of one RPC ("FunctionCreate"), in order."""
        return [request for name, request in self.requests if name == rpc]

    # --- state to script and read ------------------------------------------------------------------

    def app(self, name: str) -> App:
        """The deployed app of that name (AssertionError if there is none)."""
        app = self.world.deployed(name)
        assert app is not None, f"no app named {name!r} is deployed"
        return app

    def apps(self, name: str | None = None) -> list[App]:
        """Every app created (deployed, run, stopped), oldest first; those of one name if given."""
        with self.world.lock:
            return [app for app in self.world.apps.values() if name in (None, app.name)]

    def functions(self, app: App) -> dict[str, Function]:
        """The functions an app was published with, by tag."""
        with self.world.lock:
            return {
                tag: self.world.functions[fid]
                for tag, fid in app.functions.items()
                if fid in self.world.functions
            }

    def deploy(self, name: str, functions: tuple[str, ...] = ()) -> App:
        """An app deployed without running `modal deploy`, with these functions (by tag)."""
        app = self.world.new_app(name, "main", rpc_apps.api_pb2.APP_STATE_DEPLOYED)
        with self.world.lock:
            app.deployed_at = time.time()
            for tag in functions:
                definition = rpc_apps.api_pb2.Function(function_name=tag)
                function_id = new_id("fu")
                handle = rpc_apps.handle_metadata(app, definition)
                data = rpc_apps.function_data(definition)
                self.world.functions[function_id] = Function(
                    function_id, app.app_id, tag, definition, data, handle
                )
                app.functions[tag] = function_id
        return app

    def start_container(self, app: App | str, started_at: float | None = None) -> str:
        """A running container of the app (an App, or the name of a deployed one); its id."""
        app = self.app(app) if isinstance(app, str) else app
        container = Container(new_id("ta"), app.app_id, app.name, started_at or time.time())
        with self.world.lock:
            self.world.containers.append(container)
        return container.task_id

    def containers(self, app: App | str | None = None) -> list[str]:
        """The ids of the running containers (of one app: an App, or a deployed app's name)."""
        app = self.app(app) if isinstance(app, str) else app
        with self.world.lock:
            return [
                c.task_id
                for c in self.world.containers
                if c.running and (app is None or c.app_id == app.app_id)
            ]

    def log(
        self, app: App | str, text: str, *, task_id: str = "", at: float | None = None, stderr=False
    ) -> None:
        """A line the app printed (in container `task_id`), as `modal app logs` will show it."""
        app = self.app(app) if isinstance(app, str) else app
        fd = rpc_logs.api_pb2.FILE_DESCRIPTOR_STDERR if stderr else rpc_logs.api_pb2.FILE_DESCRIPTOR_STDOUT
        line = text if text.endswith("\n") else text + "\n"
        with self.world.lock:
            self.world.logs.append(LogLine(app.app_id, line, at or time.time(), task_id, fd))

    @property
    def rates(self) -> dict[str, str]:
        """`modal billing rates`: set it to {name: decimal string}, as Modal's server sends them."""
        return self.world.rates

    @rates.setter
    def rates(self, rates: dict[str, Any]) -> None:
        with self.world.lock:
            self.world.rates = {key: str(value) for key, value in rates.items()}

    @property
    def stop_delay(self) -> float:
        return self.world.stop_delay

    @stop_delay.setter
    def stop_delay(self, seconds: float) -> None:
        self.world.stop_delay = seconds

    def answer(self, tag: str, compute) -> None:
        """Calls of the function `tag` (any app; "Cls.method" for a class's method) return
        `compute(*args, **kwargs)`, or fail with what it raises. Without an answer, a call stays
        pending until `finish`."""
        with self.world.lock:
            self.world.answers[tag] = compute

    def spawned(self, tag: str | None = None) -> list[Call]:
        """Every function call so far (of the function `tag`), oldest first."""
        with self.world.lock:
            return [call for call in self.world.calls.values() if tag in (None, call.tag)]

    def finish(self, call_id: str, result: Any) -> None:
        """Give a pending call its result (an exception instance: the call fails with it)."""
        with self.world.lock:
            call = self.world.calls[call_id]
            assert call.result is PENDING, f"{call_id} already has a result"
            call.result = result
