"""Function calls: `.spawn()`, `.remote()`, and `FunctionCall.from_id(id).get()`.

A call sends its input with FunctionMap (ASYNC for `.spawn`, SYNC for `.remote`); the reply's
`function_call_id` is the call's `.object_id` (modal/_functions.py, `_Invocation.create`). Its
output is polled with FunctionGetOutputs, which waits up to the request's timeout; no output and
no unfinished input means the output expired, no output with one unfinished means "not yet": a
TimeoutError for `.get(timeout=...)` (modal/_functions.py, `_Invocation.poll_function`). The output
is the pickled return value, or the pickled exception with a failure status
(modal/_utils/function_utils.py, `_process_result`; modal/_serialization.py).
"""

from __future__ import annotations

import asyncio
import time

from modal._serialization import deserialize_data_format, serialize
from modal_proto import api_pb2

from .server import new_id
from .state import Call, World

POLL = 0.05


def output(call: Call) -> api_pb2.FunctionGetOutputsItem:
    result = api_pb2.GenericResult()
    if isinstance(call.result, BaseException):
        result.status = api_pb2.GenericResult.GENERIC_STATUS_FAILURE
        result.exception = repr(call.result)
    else:
        result.status = api_pb2.GenericResult.GENERIC_STATUS_SUCCESS
    result.data = serialize(call.result)
    return api_pb2.FunctionGetOutputsItem(
        result=result, idx=0, input_id=f"in-{call.call_id[3:]}", data_format=api_pb2.DATA_FORMAT_PICKLE
    )


def register(handlers: dict, world: World) -> None:
    def function_map(request: api_pb2.FunctionMapRequest) -> api_pb2.FunctionMapResponse:
        (item,) = request.pipelined_inputs  # one input per .spawn / .remote
        args, kwargs = deserialize_data_format(item.input.args, item.input.data_format, None)
        with world.lock:
            function = world.functions.get(request.function_id)
            app = world.apps.get(function.app_id) if function else None
            tag = function.tag if function else ""
            if item.input.method_name:  # a class's method: its service function is "Cls.*"
                tag = f"{tag.removesuffix('.*')}.{item.input.method_name}"
            call = Call(
                new_id("fc"),
                request.function_id,
                tag,
                app.name if app else "",
                tuple(args),
                dict(kwargs),
                request.function_call_invocation_type,
            )
            world.calls[call.call_id] = call
            answer = world.answers.get(tag)
        if answer is not None:
            try:
                result = answer(*args, **kwargs)
            except Exception as error:  # the function raised: the call fails with it
                result = error
            with world.lock:
                call.result = result
        reply = api_pb2.FunctionMapResponse(function_call_id=call.call_id, function_call_jwt="standin")
        reply.pipelined_inputs.add(idx=item.idx, input_id=f"in-{call.call_id[3:]}", input_jwt="standin")
        return reply

    async def function_get_outputs(request: api_pb2.FunctionGetOutputsRequest):
        deadline = time.monotonic() + max(0.0, min(request.timeout, 55))
        while True:
            with world.lock:
                call = world.calls.get(request.function_call_id)
                done = call is not None and call.done
            if done or call is None or time.monotonic() >= deadline:
                break
            await asyncio.sleep(POLL)
        reply = api_pb2.FunctionGetOutputsResponse(last_entry_id="0-0")
        if call is not None and done:
            reply.outputs.append(output(call))
        elif call is not None:
            reply.num_unfinished_inputs = 1
        return reply

    handlers.update(FunctionMap=function_map, FunctionGetOutputs=function_get_outputs)
