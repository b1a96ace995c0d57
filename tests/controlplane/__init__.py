"""A local Modal control plane: the real `modal` client and CLI talk to it instead of Modal.

A gRPC server on a unix socket answers every RPC of the installed client (the pinned 1.6) with
real protobuf replies, records each request, and keeps the state commands share: apps (deployed,
run, detached, stopped), their functions, running containers, log lines, billing rates and the
results of function calls. Nothing runs: a call's result is what a test scripts.

    def test_something(control_plane, tmp_path):            # the fixture (tests/conftest.py)
        done = control_plane.modal("deploy", "-m", "pkg.app", cwd=project)   # the real CLI
        assert done.returncode == 0
        app = control_plane.app("my-app")                   # the deployed app, by name
        functions = control_plane.functions(app)            # tag -> Function (.gpus, .definition)
        control_plane.calls("FunctionCreate")               # the recorded requests of one RPC
        requested_gpus(request)                             # [("H100", 2), ...] a FunctionCreate asks for

A generated project's make targets run as written, their `uv run` in this environment (nothing is
synced) and their `modal` commands answered here:

    done = control_plane.make(project, "fetch", f"ID={call_id}")   # a CompletedProcess
    process = control_plane.make.start(project, "bench", "URL=...")  # running; .make.stop(process)

For another process of your own, pass `control_plane.env` (or `control_plane.subprocess_env()`:
your environment without MODAL_* settings, plus it). For this process's `modal` (the Python API:
`Function.from_name`, `FunctionCall.from_id`), use `with control_plane.connected():`.

Script what the server knows:

    app = control_plane.deploy("jobs", functions=("background_job",))   # without `modal deploy`
    task_id = control_plane.start_container(app)             # shows in `modal container list`
    control_plane.stop_delay = 1.5                           # seconds a stopped container lingers
    control_plane.log(app, "a line", task_id=task_id)        # shows in `modal app logs jobs`
    control_plane.rates = {"gpu.h100.per_second": "0.001097"}  # `modal billing rates --json`

Jobs (`Function.from_name(app, "background_job").spawn(x)`, then `FunctionCall.from_id(id).get()`):

    control_plane.answer("background_job", lambda x: {"echo": x})  # every call returns this
    calls = control_plane.spawned("background_job")          # Call: call_id, args, kwargs, ...
    control_plane.finish(calls[0].call_id, 42)               # or give a pending call its result
    control_plane.finish(calls[1].call_id, ValueError("x"))  # ... or make it fail

A call without an answer stays pending: `.get(timeout=t)` raises TimeoutError, as on Modal.

Modules: `server` (the gRPC server: every RPC, the recording, default replies), `state` (what it
knows), `rpc_*` (the replies that are more than a default, each citing the client code it
follows), `plane` (`ControlPlane`, the API above), `project` (make in a generated project),
`plugin` (the fixture).
"""

from .plane import ControlPlane
from .state import requested_gpus

__all__ = ["ControlPlane", "requested_gpus"]
