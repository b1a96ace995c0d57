"""Apps and their functions: what `modal deploy`, `modal run` and `Function.from_name` ask for.

An app is created (AppCreate), its images and functions are created, then it is published
(AppPublish) in the state the command asks for: DEPLOYED for `modal deploy`, EPHEMERAL for
`modal run`, DETACHED for `modal run --detach` (modal/runner.py, `_run_app`: `app_state =
APP_STATE_DETACHED if detach else APP_STATE_EPHEMERAL`). A deployed app's functions are then
found by name (FunctionGet), as on Modal.
"""

from __future__ import annotations

import time

from google.protobuf import json_format
from google.protobuf.message import Message
from grpclib import GRPCError, Status
from modal_proto import api_pb2

from .server import new_id
from .state import App, Function, World


def _convert(message: Message, target: type[Message]) -> Message:
    """The fields `message` shares with the `target` type, by name, as a `target` message."""
    names = {f.name for f in target.DESCRIPTOR.fields}
    fields = json_format.MessageToDict(message, preserving_proto_field_name=True)
    return json_format.ParseDict({k: v for k, v in fields.items() if k in names}, target())


def function_data(definition: api_pb2.Function) -> api_pb2.FunctionData:
    """A Function as FunctionData: what FunctionCreate returns (modal/_functions.py reads
    `response.function_data` into `FunctionInfo`, modal/types.py `_from_function_proto`)."""
    data = _convert(definition, api_pb2.FunctionData)
    data.ranked_functions.add(rank=0, function=definition)
    return data


def as_function(data: api_pb2.FunctionData) -> api_pb2.Function:
    """The first-ranked Function of a FunctionData (the client sends FunctionData for GPU
    fallbacks, one ranked Function per GPU: modal/_functions.py, `_Function.from_local`)."""
    definition = _convert(data, api_pb2.Function)
    if data.ranked_functions:
        definition.MergeFrom(data.ranked_functions[0].function)
    return definition


def web_url(app: App, tag: str) -> str:
    label = f"{app.name}-{tag}".lower().replace("_", "-").replace(".", "-")
    return f"https://standin--{label}.modal.run"


def handle_metadata(app: App, definition: api_pb2.Function) -> api_pb2.FunctionHandleMetadata:
    """What the client hydrates a Function from (modal/_functions.py, `_Function._hydrate_metadata`)."""
    handle = api_pb2.FunctionHandleMetadata(
        app_id=app.app_id,
        function_name=definition.function_name,
        function_type=definition.function_type,
        class_parameter_info=definition.class_parameter_info,
        definition_id=new_id("de"),
        supported_input_formats=definition.supported_input_formats,
        supported_output_formats=definition.supported_output_formats,
        function_schema=definition.function_schema,
    )
    # A web endpoint's URL is its handle's web_url; a Server's is a "flash" URL
    # (modal/_output/status.py, `FunctionCreationStatus.__exit__`; modal/_server.py, `get_url`).
    if definition.webhook_config.type:
        handle.web_url = web_url(app, definition.function_name)
    elif definition.is_server:
        handle._experimental_flash_urls.append(web_url(app, definition.function_name))
    for method, method_definition in definition.method_definitions.items():
        method_handle = handle.method_handle_metadata[method]
        method_handle.function_name = f"{definition.function_name}.{method}"
        method_handle.function_type = method_definition.function_type
        method_handle.use_method_name = method
        method_handle.is_method = True
        method_handle.app_id = app.app_id
        method_handle.supported_input_formats.extend(method_definition.supported_input_formats)
        method_handle.supported_output_formats.extend(method_definition.supported_output_formats)
        if method_definition.webhook_config.type:
            method_handle.web_url = web_url(app, method_handle.function_name)
    return handle


def register(handlers: dict, world: World) -> None:
    def app_or_not_found(app_id: str) -> App:
        with world.lock:
            app = world.apps.get(app_id)
        if app is None:
            raise GRPCError(Status.NOT_FOUND, f"App {app_id} not found")
        return app

    def app_create(request: api_pb2.AppCreateRequest) -> api_pb2.AppCreateResponse:
        app = world.new_app(request.description, request.environment_name or "main", request.app_state)
        page = f"https://modal.com/apps/standin/main/{app.app_id}"
        return api_pb2.AppCreateResponse(app_id=app.app_id, app_page_url=page, app_logs_url=page + "/logs")

    def app_get_by_deployment_name(request: api_pb2.AppGetByDeploymentNameRequest):
        # Empty when nothing of that name is deployed: `modal deploy` then creates the app
        # (modal/runner.py, `_init_local_app_from_name`); `modal app logs NAME` falls back to a
        # recently stopped one, else says it is not found (modal/cli/app.py, `resolve_app_identifier`).
        app = world.deployed(request.name, request.environment_name)
        reply = api_pb2.AppGetByDeploymentNameResponse(environment_name=request.environment_name or "main")
        if app is not None:
            reply.app_id = app.app_id
            reply.lifecycle.CopyFrom(lifecycle(app))
        elif (previous := world.stopped(request.name)) is not None:
            reply.previous_app_id = previous.app_id
            reply.lifecycle.CopyFrom(lifecycle(previous))
        return reply

    def lifecycle(app: App) -> api_pb2.AppLifecycle:
        return api_pb2.AppLifecycle(
            app_state=app.state,
            created_at=app.created_at,
            deployed_at=app.deployed_at,
            stopped_at=app.stopped_at,
        )

    def app_get_lifecycle(request: api_pb2.AppGetLifecycleRequest):
        return api_pb2.AppGetLifecycleResponse(lifecycle=lifecycle(app_or_not_found(request.app_id)))

    def app_publish(request: api_pb2.AppPublishRequest) -> api_pb2.AppPublishResponse:
        app = app_or_not_found(request.app_id)
        with world.lock:
            if request.app_state == api_pb2.APP_STATE_DEPLOYED:
                # One deployed app per name: a new deploy replaces the old one's state.
                for other in world.apps.values():
                    if other is not app and other.name == (request.name or app.name) and other.deployed:
                        other.state = api_pb2.APP_STATE_STOPPED
                        other.stopped_at = time.time()
                app.deployed_at = time.time()
            app.name = request.name or app.name
            app.state = request.app_state
            app.functions.update(request.function_ids)
            app.functions.update(request.class_ids)
            app.url = f"https://modal.com/apps/standin/main/deployed/{app.name}"
        return api_pb2.AppPublishResponse(url=app.url, deployed_at=app.deployed_at)

    def app_client_disconnect(request: api_pb2.AppClientDisconnectRequest):
        # "Terminates all running tasks for ephemeral apps" (modal/runner.py, `_disconnect`); a
        # deploy's disconnect "only stops the app if it's still initializing" (modal/runner.py,
        # `_deploy_app`); a detached app keeps running.
        with world.lock:
            app = world.apps.get(request.app_id)
            if app is not None and app.state in (api_pb2.APP_STATE_EPHEMERAL, api_pb2.APP_STATE_INITIALIZING):
                stop(app)
            elif app is not None:
                world.released.add(app.app_id)

    def stop(app: App) -> None:
        app.state = api_pb2.APP_STATE_STOPPED
        app.stopped_at = time.time()
        for container in world.containers:
            if container.app_id == app.app_id and container.running:
                container.finished_at = app.stopped_at

    def app_stop(request: api_pb2.AppStopRequest):
        with world.lock:
            stop(app_or_not_found(request.app_id))

    def function_precreate(request: api_pb2.FunctionPrecreateRequest):
        # The client hydrates a function before creating it, from this handle
        # (modal/_functions.py, `_Function.from_local`, `_preload`).
        app = app_or_not_found(request.app_id)
        definition = api_pb2.Function(
            function_name=request.function_name,
            function_type=request.function_type,
            supported_input_formats=request.supported_input_formats,
            supported_output_formats=request.supported_output_formats,
        )
        if request.HasField("webhook_config"):
            definition.webhook_config.CopyFrom(request.webhook_config)
        for method, method_definition in request.method_definitions.items():
            definition.method_definitions[method].CopyFrom(method_definition)
        function_id = request.existing_function_id or new_id("fu")
        handle = handle_metadata(app, definition)
        return api_pb2.FunctionPrecreateResponse(function_id=function_id, handle_metadata=handle)

    def function_create(request: api_pb2.FunctionCreateRequest) -> api_pb2.FunctionCreateResponse:
        # The function is echoed back, as FunctionData too: the client reads its settings from
        # there (modal/_functions.py, `_Function.from_local`, `_load`).
        app = app_or_not_found(request.app_id)
        if request.HasField("function"):
            definition, data = request.function, function_data(request.function)
        else:
            definition, data = as_function(request.function_data), request.function_data
        function_id = request.existing_function_id or new_id("fu")
        handle = handle_metadata(app, definition)
        definition = api_pb2.Function.FromString(definition.SerializeToString())  # a copy, to add to
        definition.web_url = handle.web_url
        definition.flash_service_urls.extend(handle._experimental_flash_urls)
        with world.lock:
            world.functions[function_id] = Function(
                function_id, app.app_id, definition.function_name, definition, data, handle
            )
        return api_pb2.FunctionCreateResponse(
            function_id=function_id, function=definition, function_data=data, handle_metadata=handle
        )

    def function_get(request: api_pb2.FunctionGetRequest) -> api_pb2.FunctionGetResponse:
        # `Function.from_name(app, tag)`: NOT_FOUND unless that app is deployed with that function
        # (modal/_functions.py, `_Function._from_name`).
        app = world.deployed(request.app_name, request.environment_name)
        function = world.function(app, request.object_tag) if app else None
        if function is None:
            where = f"App '{request.app_name}'" if app is None else f"Function '{request.object_tag}'"
            raise GRPCError(Status.NOT_FOUND, f"{where} not found")
        return api_pb2.FunctionGetResponse(
            function_id=function.function_id, handle_metadata=function.handle, function=function.data
        )

    def function_bind_params(request: api_pb2.FunctionBindParamsRequest):
        # An instance of a class (`Service()`) is the class's service function bound to the
        # constructor's parameters (modal/_function_variants.py, `_load`); it calls like the base.
        with world.lock:
            base = world.functions.get(request.function_id)
            if base is None:
                raise GRPCError(Status.NOT_FOUND, f"Function {request.function_id} not found")
            bound = Function(new_id("fu"), base.app_id, base.tag, base.definition, base.data, base.handle)
            world.functions[bound.function_id] = bound
        return api_pb2.FunctionBindParamsResponse(
            bound_function_id=bound.function_id, handle_metadata=base.handle
        )

    def image_join_streaming(request: api_pb2.ImageJoinStreamingRequest):
        # Every image "builds" at once: the client waits for a result with a status
        # (modal/_image.py, `_image_await_build_result`).
        result = api_pb2.GenericResult(status=api_pb2.GenericResult.GENERIC_STATUS_SUCCESS)
        return [api_pb2.ImageJoinStreamingResponse(result=result, eof=True)]

    def mount_put_file(request: api_pb2.MountPutFileRequest):
        # The client sends a file until the server says it exists, then goes on (modal/mount.py,
        # `_Mount._load_mount`: `if response.exists`); the content is not kept.
        return api_pb2.MountPutFileResponse(exists=True)

    handlers.update(
        AppCreate=app_create,
        AppGetByDeploymentName=app_get_by_deployment_name,
        AppGetLifecycle=app_get_lifecycle,
        AppPublish=app_publish,
        AppClientDisconnect=app_client_disconnect,
        AppStop=app_stop,
        FunctionPrecreate=function_precreate,
        FunctionCreate=function_create,
        FunctionGet=function_get,
        FunctionBindParams=function_bind_params,
        ImageJoinStreaming=image_join_streaming,
        MountPutFile=mount_put_file,
    )
