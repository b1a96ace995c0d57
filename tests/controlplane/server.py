"""A gRPC server for every RPC of Modal's client API, on a unix socket, in a thread of its own.

The RPCs and their message types come from the installed client (`modal_proto.api_grpc`,
`ModalClientBase.__mapping__`), so the server speaks exactly the protocol of the pinned `modal`.
Each request is recorded, then answered by the handler registered for its RPC or, without one,
by the reply type's default message with its empty `*_id` fields filled: the client hydrates an
object from those ids and fails on an empty one (modal/_object.py, `_Object._hydrate`).
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import grpclib.const
import grpclib.server
from google.protobuf.message import Message
from grpclib import GRPCError
from modal_proto import api_grpc

# A handler takes the request and returns the reply: a list of replies, or an async iterator of
# them, for a server-streaming RPC; None for the default reply. It may be a coroutine function, and
# may raise grpclib.GRPCError to answer with a status (NOT_FOUND ...), as Modal's server does.
Handler = Callable[[Any], Any]


class _NoServicer:
    """`ModalClientBase.__mapping__` wants a servicer; only the types it lists are used."""

    def __getattr__(self, name: str) -> None:
        return None


def _methods() -> dict[str, grpclib.const.Handler]:
    """Every RPC of the client API by its short name ("FunctionCreate")."""
    mapping = api_grpc.ModalClientBase.__mapping__(_NoServicer())  # type: ignore[arg-type]
    return {path.rsplit("/", 1)[1]: method for path, method in mapping.items()}


_counter = itertools.count(1)


def new_id(prefix: str) -> str:
    """An object id in Modal's shape: a prefix and 22 alphanumerics (modal/cli/app.py matches App ids
    with `^ap-[a-zA-Z0-9]{22}$`)."""
    return f"{prefix}-{next(_counter):022d}"


# The id prefix of each kind of object, where it is not the field name's first two letters: the
# client refuses to hydrate an object from an id of another prefix (modal/_object.py, `type_prefixes`
# of each class: `_Cls` "cs", `_Secret` "st", `_NetworkFileSystem` "sv", `_Workspace` "ac").
PREFIXES = {"class_id": "cs", "secret_id": "st", "shared_volume_id": "sv", "workspace_id": "ac"}


def fill_ids(message: Message) -> Message:
    """Give every empty singular `*_id` string field an id, so the client can hydrate from it."""
    for field in message.DESCRIPTOR.fields:
        singular_string = field.type == field.TYPE_STRING and not field.is_repeated
        if singular_string and field.name.endswith("_id") and not getattr(message, field.name):
            setattr(message, field.name, new_id(PREFIXES.get(field.name, field.name[:2])))
    return message


class RpcServer:
    """Serves the client API on `socket_path`; `handlers` answer RPCs, `requests` records them."""

    def __init__(self, socket_path: Path):
        self.socket_path = socket_path
        self.handlers: dict[str, Handler] = {}
        self.requests: list[tuple[str, Message]] = []
        self.errors: list[str] = []  # handlers that raised something else than a GRPCError
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = threading.Lock()
        self._server: grpclib.server.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket_path}"

    def record(self, name: str, request: Message) -> None:
        with self._lock:
            self.requests.append((name, request))

    def recorded(self) -> list[tuple[str, Message]]:
        with self._lock:
            return list(self.requests)

    def _serve(self, name: str, method: grpclib.const.Handler):
        streaming = method.cardinality.server_streaming

        async def serve(stream) -> None:
            request = await stream.recv_message()
            self.record(name, request)
            handler = self.handlers.get(name)
            try:
                reply = None if handler is None else handler(request)
                if inspect.isawaitable(reply):
                    reply = await reply
            except GRPCError:
                raise
            except Exception:  # a bug of the stand-in, not an answer: the fixture fails the test
                self.errors.append(f"{name}: {traceback.format_exc()}")
                raise
            if reply is None:  # no handler, or one that only changes state
                reply = fill_ids(method.reply_type())
            if not streaming:
                await stream.send_message(reply)
            elif hasattr(reply, "__aiter__"):
                async for item in reply:
                    await stream.send_message(item)
            else:
                for item in reply if isinstance(reply, list) else [reply]:
                    await stream.send_message(item)

        return grpclib.const.Handler(serve, method.cardinality, method.request_type, method.reply_type)

    def __mapping__(self) -> dict[str, grpclib.const.Handler]:  # grpclib's servable protocol
        return {
            f"/modal.client.ModalClient/{name}": self._serve(name, method)
            for name, method in _methods().items()
        }

    def start(self) -> None:
        ready = threading.Event()
        failed: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            self._loop = loop
            self._server = grpclib.server.Server([self])
            try:
                loop.run_until_complete(self._server.start(path=str(self.socket_path)))
            except BaseException as error:  # reported in the starting thread
                failed.append(error)
                ready.set()
                return
            ready.set()
            loop.run_forever()
            self._server.close()
            loop.run_until_complete(self._server.wait_closed())
            loop.close()

        self._thread = threading.Thread(target=run, name="modal-control-plane", daemon=True)
        self._thread.start()
        if not ready.wait(10) or failed:
            raise RuntimeError(f"the control plane did not start on {self.socket_path}: {failed}")

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
        self.socket_path.unlink(missing_ok=True)
