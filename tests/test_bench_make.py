"""`make bench` and `make coldstart` through the real make, against the local control plane.

The generated recipes run as written: `modalgen` is this environment's, and the `modal` it calls is
the real CLI (the pinned 1.6) talking to the control plane (`control_plane.make`: `uv run` runs in
this environment, no project is synced). The tools themselves: tests/test_bench_tool.py.
"""

from __future__ import annotations

import functools
import json
import time
from pathlib import Path

import pytest

from modalgen.answers.spec import parse_spec
from modalgen.render.template import render
from tests.test_bench_tool import serve

ENDPOINT_PROJECT = {"name": "cold", "stack": "plain", "gpu": ["L4"], "web_style": "asgi", "workload": ["web"]}


@pytest.fixture(scope="module")
def endpoint_project(tmp_path_factory) -> Path:
    return render(parse_spec(ENDPOINT_PROJECT), tmp_path_factory.mktemp("make") / ENDPOINT_PROJECT["name"])


@pytest.fixture
def make(control_plane, endpoint_project):
    """`make("bench", "URL=...")` in the endpoint project, against the control plane."""
    return functools.partial(control_plane.make, endpoint_project)


class ScriptedEndpoint:
    """A local HTTP endpoint; `on_request()` runs as each POST arrives, before the answer."""

    def __init__(self, status: int = 200, on_request=lambda: None):
        from http.server import BaseHTTPRequestHandler

        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                on_request()
                body = b'{"echo": "ok"}'
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                outer.requests += 1

            def log_message(self, *args):
                pass

        self.requests = 0
        self.server, self.url = serve(Handler)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def test_make_coldstart_stops_that_apps_containers_and_waits_until_none_is_left(make, control_plane):
    app = control_plane.deploy(ENDPOINT_PROJECT["name"], functions=("api",))
    warm = [control_plane.start_container(app, started_at=time.time() - 600) for _ in range(2)]
    other = control_plane.start_container(control_plane.deploy("another-app"))
    control_plane.stop_delay = 1.5  # a stopped container shuts down before it leaves the list
    seen = []

    def cold_start():  # what Modal does for a request that meets no container: start one
        seen.append(control_plane.containers(app))
        container = control_plane.start_container(app)
        for event in ("load_start", "ready"):
            line = {"function": "api", "event": event, "t": round(time.time(), 3),
                    "process_start": round(time.time() - 0.2, 3), "container": container}  # fmt: skip
            control_plane.log(app, "MODALGEN_TIMING " + json.dumps(line), task_id=container)

    endpoint = ScriptedEndpoint(on_request=cold_start)
    try:
        done = make("coldstart", f"URL={endpoint.url}", "JSON=1")
    finally:
        endpoint.close()
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert sorted(r.task_id for r in control_plane.calls("ContainerStop")) == sorted(warm)
    assert seen == [[]]  # the request was sent once the app had no container left
    assert control_plane.containers("another-app") == [other]
    report = json.loads(done.stdout[done.stdout.index("{") :])
    assert report["stopped"] == 2 and report["cold"] and report["status"] == 200
    (container,) = report["containers"]
    assert report["containers"][container]["function"] == "api"


def test_make_coldstart_without_url_says_what_to_pass_in_makes_words(make):
    done = make("coldstart")
    assert done.returncode == 2
    assert "make coldstart URL=https://" in done.stderr and "usage:" not in done.stderr, done.stderr
    assert "Traceback" not in done.stdout + done.stderr


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_make_bench_against_nothing_says_it_is_waiting_and_gives_up_without_figures(
    control_plane, endpoint_project
):
    url = f"http://127.0.0.1:{_free_port()}"  # nothing listens there: connection refused
    started = time.monotonic()
    # READY_TIMEOUT as a user would pass it; the grace for no answer at all is tested in-process.
    process = control_plane.make.start(endpoint_project, "bench", f"URL={url}", "READY_TIMEOUT=3")
    try:
        waiting = process.stderr.readline()  # the first line it says, as soon as it says it
        said_after = time.monotonic() - started
        stdout, stderr = process.communicate(timeout=90)
    finally:
        control_plane.make.stop(process)
    assert "waiting for" in waiting and "connection refused" in waiting and url in waiting, waiting
    assert said_after < 20, said_after  # the interpreter's start, then one refused connection
    assert process.returncode != 0 and "gave up" in stderr, stderr
    assert "p50" not in stdout and "None" not in stdout, stdout
    assert time.monotonic() - started < 60


def test_make_bench_against_a_server_that_stays_503_gives_up_at_the_ready_timeout(make):
    endpoint = ScriptedEndpoint(status=503)
    try:
        done = make("bench", f"URL={endpoint.url}", "READY_TIMEOUT=3")
    finally:
        endpoint.close()
    assert done.returncode != 0
    assert "waiting" in done.stderr and "503" in done.stderr and "gave up" in done.stderr, done.stderr
    assert "p50" not in done.stdout and "None" not in done.stdout, done.stdout
    assert endpoint.requests >= 2  # it did wait and retry


def test_make_bench_prices_with_the_rates_the_real_modal_cli_prints(make, control_plane):
    # `modal billing rates --json` prints one object of decimal strings (modal/cli/billing.py);
    # a per-second GPU rate and per-hour CPU and memory rates, as a workspace might have them.
    control_plane.rates = {"gpu.l4.per_second": "0.000222", "cpu.per_hour": "0.05", "memory.per_hour": "0.01"}
    control_plane.deploy(ENDPOINT_PROJECT["name"], functions=("Web.*",))
    endpoint = ScriptedEndpoint()
    try:
        done = make("bench", f"URL={endpoint.url}", "REQUESTS=4", "JSON=1")
    finally:
        endpoint.close()
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert control_plane.calls("WorkspaceBillingRates")  # asked the real CLI, which asked Modal
    report = json.loads(done.stdout[done.stdout.index("{") :])
    money = report["cost"]
    assert money["prices"] == "modal billing rates", money
    assert "modal billing rates (gpu.l4.per_second)" in money["price_sources"]
    assert "modal billing rates (cpu.per_hour)" in money["price_sources"]
    # The Web class runs on the project's L4, 0.000222 $/s = 0.7992 $/hr, plus its CPU and memory.
    assert money["containers"]["Web"]["usd_per_hour"] > 0.7992  # the endpoint holds the model: a class
