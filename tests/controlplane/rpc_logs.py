"""App logs: `modal app logs APP` (fetch), `--since` (count, then fetch), `-f` and `modal run` (stream).

Without `--since`, the CLI asks for the last N entries (AppFetchLogs with a limit, widening its
look-back: modal/_logs.py, `tail_logs`); with `--since`, it counts entries per time bucket first
(AppCountLogs) and fetches the buckets that hold any (modal/_logs.py, `fetch_logs`). Following
(`-f`, and `modal run` while its app runs) polls AppGetLogs from the last entry id until a batch
says `app_done` (modal/_output/pty.py, `get_app_logs_loop`).
"""

from __future__ import annotations

import asyncio
import time

from google.protobuf.timestamp_pb2 import Timestamp
from modal_proto import api_pb2

from .state import LogLine, World

POLL = 0.05  # seconds between looks at the state while a request waits


def _seconds(timestamp: Timestamp) -> float:
    return timestamp.seconds + timestamp.nanos / 1e9


def _matches(line: LogLine, request) -> bool:
    """The filters the CLI sends (`--container`, `--source`, `--search`); fetch requests name the
    source `source`, stream requests `file_descriptor`."""
    source = getattr(request, "source", 0) or getattr(request, "file_descriptor", 0)
    return (
        line.app_id == request.app_id
        and request.task_id in ("", line.task_id)
        and source in (api_pb2.FILE_DESCRIPTOR_UNSPECIFIED, line.fd)
        and request.search_text in line.text
    )


def _batch(line: LogLine, entry_id: int) -> api_pb2.TaskLogsBatch:
    batch = api_pb2.TaskLogsBatch(task_id=line.task_id, entry_id=str(entry_id))
    batch.items.add(
        data=line.text, timestamp=line.timestamp, file_descriptor=line.fd, container_id=line.task_id
    )
    return batch


def register(handlers: dict, world: World) -> None:
    def in_range(request) -> list[tuple[int, LogLine]]:
        since, until = _seconds(request.since), _seconds(request.until)
        with world.lock:
            return [
                (n, line)
                for n, line in enumerate(world.logs, start=1)
                if _matches(line, request) and since <= line.timestamp < until
            ]

    def app_fetch_logs(request: api_pb2.AppFetchLogsRequest) -> api_pb2.AppFetchLogsResponse:
        # At most `limit` entries, the latest of the range, in time order: `--tail N` and the
        # default 100 ask for the last N (modal/_logs.py, `tail_logs`).
        found = in_range(request)[-request.limit :] if request.limit else in_range(request)
        return api_pb2.AppFetchLogsResponse(batches=[_batch(line, n) for n, line in found])

    def app_count_logs(request: api_pb2.AppCountLogsRequest) -> api_pb2.AppCountLogsResponse:
        # One bucket per `bucket_secs` from `since`, counting entries by source; the client fetches
        # only the buckets that hold any (modal/_logs.py, `_buckets_to_ranges`, `_fetch_time_range`).
        since, until, width = _seconds(request.since), _seconds(request.until), request.bucket_secs or 60
        start = since - since % width
        reply = api_pb2.AppCountLogsResponse(app_id=request.app_id)
        found = in_range(request)
        while start < until:
            bucket = reply.buckets.add()
            bucket.bucket_start_at.FromSeconds(int(start))
            for _, line in found:
                if start <= line.timestamp < start + width:
                    if line.fd == api_pb2.FILE_DESCRIPTOR_STDERR:
                        bucket.stderr_logs += 1
                    else:
                        bucket.stdout_logs += 1
            start += width
        return reply

    def app_done(app_id: str) -> bool:
        # The stream ends when the app stops, or, for a detached app, once its `modal run` client
        # has let go (the stand-in's choice: Modal keeps it open while the app runs, and the
        # client gives up after `logs_timeout`, 10 s: modal/runner.py, `_run_app`).
        with world.lock:
            app = world.apps.get(app_id)
            return app is None or app.state == api_pb2.APP_STATE_STOPPED or app_id in world.released

    async def app_get_logs(request: api_pb2.AppGetLogsRequest):
        after = int(request.last_entry_id or 0)
        deadline = time.monotonic() + min(request.timeout, 55)
        while True:
            with world.lock:
                new = [
                    (n, line)
                    for n, line in enumerate(world.logs, start=1)
                    if n > after and _matches(line, request)
                ]
            done = app_done(request.app_id)
            if new or done or time.monotonic() >= deadline:
                break
            await asyncio.sleep(POLL)
        replies = [_batch(line, n) for n, line in new]
        if done:
            replies.append(api_pb2.TaskLogsBatch(app_done=True))
        return replies

    handlers.update(AppFetchLogs=app_fetch_logs, AppCountLogs=app_count_logs, AppGetLogs=app_get_logs)
