"""Running containers: `modal container list` and `modal container stop`.

`modal container list` shows the running containers of the environment (TaskList), newest first,
one row per container: "Container ID", "App ID", "App Name" (the app's description), "Start Time";
with `--json` the titles become snake_case keys (modal/cli/container.py, `list_`;
modal/cli/utils.py, `_col_name_to_json_key`). `modal container stop ID` looks the container up
first (TaskGetInfo) and refuses one that has finished, then asks for confirmation unless `--yes`
is given (modal/cli/container.py, `stop`), then stops it (ContainerStop).
"""

from __future__ import annotations

import time

from grpclib import GRPCError, Status
from modal_proto import api_pb2

from .state import Container, World


def register(handlers: dict, world: World) -> None:
    def known(task_id: str) -> Container:
        container = world.container(task_id)
        if container is None:  # the stand-in's answer for an id it never made; the CLI prints it
            raise GRPCError(Status.NOT_FOUND, f"Container {task_id} not found")
        return container

    def task_list(request: api_pb2.TaskListRequest) -> api_pb2.TaskListResponse:
        reply = api_pb2.TaskListResponse()
        with world.lock:
            for container in world.containers:
                if container.running and request.app_id in ("", container.app_id):
                    reply.tasks.add(
                        task_id=container.task_id,
                        app_id=container.app_id,
                        app_description=container.app_name,
                        started_at=container.started_at,
                    )
        return reply

    def task_get_info(request: api_pb2.TaskGetInfoRequest) -> api_pb2.TaskGetInfoResponse:
        container = known(request.task_id)
        info = api_pb2.TaskInfo(id=container.task_id, started_at=container.started_at)
        if not container.running:
            info.finished_at = container.finished_at
        return api_pb2.TaskGetInfoResponse(app_id=container.app_id, info=info)

    def container_stop(request: api_pb2.ContainerStopRequest) -> None:
        # The container is signalled and goes once it has shut down (SIGINT, then its exit hooks:
        # modal/cli/container.py, `stop`'s help); until then `container list` still shows it.
        with world.lock:
            container = known(request.task_id)
            if container.running and not container.finished_at:
                container.finished_at = time.time() + world.stop_delay

    handlers.update(TaskList=task_list, TaskGetInfo=task_get_info, ContainerStop=container_stop)
