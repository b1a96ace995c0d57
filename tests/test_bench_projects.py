"""`make bench` and `make coldstart` in every web-serving kind and stack.

Each project's own `tests/test_bench.py` runs here: `bench --json` against the endpoint served on
a local port (ok = requests, p50 <= p95 <= p99 <= max, tokens and cost where they apply), against
servers that fail half the requests (exit 1, failures by status), answer 503 while cold or 303 for
a long request, and the cold-start timestamps every serving container logs. test_stacks.py covers
the Servers (each stack with every kind it serves, vLLM's OpenAI server included); this file
covers the web endpoint in each style, alone and as a front for a worker.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from modalgen import catalog
from modalgen.answers.spec import parse_spec
from modalgen.render.template import render
from tests.generated import read_plan

WEB_STACKS = [s.name for s in catalog.STACKS if not s.kinds or "web" in s.kinds]
# Every web style with every stack; the fastapi endpoint as a front for a GPU worker.
PROJECTS = {
    f"{stack}-{style}": {
        "name": f"b-{stack}-{style}",
        "stack": stack,
        "gpu": ["L4"],
        "web_style": style,
        "workload": ["web", "service"] if style == "fastapi" else ["web"],
    }
    for stack in WEB_STACKS
    for style in catalog.WEB_STYLES
}


def run_bench_tests(project: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONPATH"}}
    env["MODAL_CONFIG_PATH"] = os.devnull  # no token: prices from the catalogue, nothing remote
    return subprocess.run(
        [sys.executable, "-m", "pytest", "tests/test_bench.py", "-q", "-p", "no:cacheprovider", "-rs"],
        cwd=project, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, tuple[Path, subprocess.CompletedProcess]]:
    root = tmp_path_factory.mktemp("bench")

    def one(key):
        raw = PROJECTS[key]
        project = render(parse_spec(raw), root / raw["name"])
        return project, run_bench_tests(project)

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        return dict(zip(PROJECTS, pool.map(one, PROJECTS), strict=True))


@pytest.mark.parametrize("key", list(PROJECTS))
def test_bench_and_coldstart_pass_in_every_web_style_and_stack(runs, key):
    project, result = runs[key]
    out = result.stdout + result.stderr
    assert result.returncode == 0, out[-4000:]
    assert " passed" in out and "skipped" not in out, out[-2000:]
    plan = read_plan(project)
    assert plan["bench"]["style"] == PROJECTS[key]["web_style"]
    makefile = (project / "Makefile").read_text()
    assert "\nbench:  ## " in makefile and "\ncoldstart:  ## " in makefile


def test_bench_report_by_hand(runs):
    """What a user runs, `make bench JSON=1 REQUESTS=8`, read as JSON: every field there."""
    project, _ = runs["transformers-asgi"]
    env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONPATH"}}
    env["MODAL_CONFIG_PATH"] = os.devnull
    result = subprocess.run(
        [sys.executable, "-m", "b_transformers_asgi.bench", "--json", "--requests", "8"],
        cwd=project, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(result.stdout)
    assert set(report) >= {"target", "requests", "ok", "failed", "failed_by_status", "latency_ms",
                           "throughput_rps", "tokens", "warmup", "cost", "concurrency"}  # fmt: skip
    assert report["ok"] == report["requests"] == 8
    assert report["cost"]["prices"] == "catalogue"
    assert "fake engine" in report["target"]  # a local run says what it measured
    # The endpoint holds the model: a class (`Web`) that loads it in @modal.enter.
    assert report["cost"]["containers"]["Web"]["how"].startswith("planned")


def test_projects_without_an_endpoint_have_no_bench(tmp_path):
    project = render(parse_spec({"name": "nobench", "workload": ["batch", "cron"], "gpu": ["T4"]}),
                     tmp_path / "nobench")  # fmt: skip
    assert not (project / "nobench/bench.py").exists() and not (project / "tests/test_bench.py").exists()
    assert "bench:" not in (project / "Makefile").read_text()


# --- `make coldstart` and `make bench` through the real make, against the local control plane ------
#
# The recipes run as written; the `modal` those scripts call is the real CLI, talking to the control
# plane (`control_plane.make`: `uv run` runs in this environment, no project is synced).

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
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

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
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

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
    process = control_plane.make.start(endpoint_project, "bench", f"URL={url}")
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
