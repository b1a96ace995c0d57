"""What the control plane knows: apps, their functions, containers, log lines, function calls, rates.

Handlers (in the server's thread) and tests (in pytest's) both read and change it, under one lock.
Nothing here speaks gRPC; the `rpc_*` modules turn requests into changes of this state and replies.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from modal_proto import api_pb2

from .server import new_id

PENDING = object()  # a call's result before it has one


@dataclass
class App:
    app_id: str
    name: str  # the deployment name, or a `modal run`'s description
    environment: str
    state: int = api_pb2.APP_STATE_INITIALIZING  # as AppCreate/AppPublish set it (api_pb2.AppState)
    created_at: float = field(default_factory=time.time)
    deployed_at: float = 0.0
    stopped_at: float = 0.0
    functions: dict[str, str] = field(default_factory=dict)  # tag -> function id, from AppPublish
    url: str = ""

    @property
    def deployed(self) -> bool:
        return self.state == api_pb2.APP_STATE_DEPLOYED


@dataclass
class Function:
    function_id: str
    app_id: str
    tag: str  # the name `Function.from_name(app, tag)` finds
    definition: api_pb2.Function | None = None  # as the client sent it in FunctionCreate
    data: api_pb2.FunctionData | None = None  # the same, as FunctionData (fallback GPUs are ranked there)
    handle: api_pb2.FunctionHandleMetadata = field(default_factory=api_pb2.FunctionHandleMetadata)

    @property
    def gpus(self) -> list[tuple[str, int]]:
        """(type, count) of each GPU the function may run on, in order of preference; [] on CPU."""
        return ranked_gpus(self.data) if self.data else []


def ranked_gpus(data: api_pb2.FunctionData) -> list[tuple[str, int]]:
    configs = [ranked.function.resources.gpu_config for ranked in data.ranked_functions]
    return [(config.gpu_type, config.count) for config in configs if config.count]


def requested_gpus(request: api_pb2.FunctionCreateRequest) -> list[tuple[str, int]]:
    """The GPUs a FunctionCreate request asks for, in order of preference; [] for none. One GPU is in
    `function.resources`, fallbacks are ranked functions of `function_data`
    (modal/_functions.py, `_Function.from_local`)."""
    if request.HasField("function"):
        config = request.function.resources.gpu_config
        return [(config.gpu_type, config.count)] if config.count else []
    return ranked_gpus(request.function_data)


@dataclass
class Container:
    task_id: str
    app_id: str
    app_name: str
    started_at: float
    finished_at: float = 0.0  # when it stopped, or will have: a stop takes `World.stop_delay`

    @property
    def running(self) -> bool:
        return not self.finished_at or self.finished_at > time.time()


@dataclass
class LogLine:
    app_id: str
    text: str  # as the container printed it, newline included
    timestamp: float
    task_id: str = ""
    fd: int = api_pb2.FILE_DESCRIPTOR_STDOUT


@dataclass
class Call:
    """One input sent to a function (`.spawn`, `.remote`, a `modal run`), and its result."""

    call_id: str
    function_id: str
    tag: str
    app_name: str
    args: tuple
    kwargs: dict
    invocation_type: int  # api_pb2.FunctionCallInvocationType: ASYNC for .spawn, SYNC for .remote
    result: Any = PENDING  # a value, or an exception the call raised

    @property
    def done(self) -> bool:
        return self.result is not PENDING


class World:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.apps: dict[str, App] = {}  # by app id
        self.functions: dict[str, Function] = {}  # by function id
        self.containers: list[Container] = []
        self.logs: list[LogLine] = []
        self.calls: dict[str, Call] = {}  # by call id
        # How a function computes a result when it is called: tag -> callable(*args, **kwargs).
        self.answers: dict[str, Any] = {}
        # `modal billing rates`: resource name -> decimal string, as the server sends them.
        self.rates: dict[str, str] = {}
        # Named Secrets per environment ("main" is the workspace's default): name -> the keys it holds.
        self.secrets: dict[str, dict[str, list[str]]] = {}
        # The environment's image builder, when the command does not pin one (a generated Makefile
        # does, MODAL_IMAGE_BUILDER_VERSION); the client refuses versions it does not know (modal/image.py).
        self.image_builder_version = "2025.06"
        # Seconds a container takes to go after `modal container stop` (it finishes its shutdown).
        self.stop_delay = 0.0
        # Apps whose `modal run` client has disconnected: their log stream ends (see rpc_logs).
        self.released: set[str] = set()

    def new_app(self, name: str, environment: str, state: int) -> App:
        with self.lock:
            app = App(new_id("ap"), name, environment, state)
            self.apps[app.app_id] = app
            return app

    def deployed(self, name: str, environment: str = "") -> App | None:
        """The deployed app of that name (in that environment; any when none is named)."""
        with self.lock:
            for app in reversed(list(self.apps.values())):
                if app.name == name and app.deployed and environment in ("", app.environment):
                    return app
            return None

    def stopped(self, name: str) -> App | None:
        with self.lock:
            for app in reversed(list(self.apps.values())):
                if app.name == name and app.state == api_pb2.APP_STATE_STOPPED:
                    return app
            return None

    def function(self, app: App, tag: str) -> Function | None:
        with self.lock:
            function_id = app.functions.get(tag)
            return self.functions.get(function_id) if function_id else None

    def container(self, task_id: str) -> Container | None:
        with self.lock:
            return next((c for c in self.containers if c.task_id == task_id), None)
