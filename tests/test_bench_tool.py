"""`modalgen bench` and `modalgen coldstart`: the tools, against small scripted servers and a few
rendered projects served locally (`make bench` / `make coldstart` through the real make, against
the local control plane: tests/test_bench_make.py).

Scripted servers fail half the requests (exit 1, failures by status), answer 503 while cold or 303
for a long request, stream OpenAI-style chat completions or take any JSON body. A plain web project
and model-stack projects (a web front for a worker, a vLLM Server) are benched offline, each served
by serve_local.py in the interpreter given as --python.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from modalgen import __version__
from modalgen.answers.spec import parse_spec
from modalgen.cli.main import main
from modalgen.render.template import render
from modalgen.tools import coldstart, pricing, target

# Rendered and benched offline: the web styles' two shapes (the endpoint runs the core; a front
# hands its work to a GPU worker with the fake engine) and a vLLM Server (streamed, TTFT).
PROJECTS = {
    "plain-asgi": {"name": "bt-plain", "gpu": ["L4"], "workload": ["web"]},
    "transformers-fastapi-front": {"name": "bt-tf", "stack": "transformers", "gpu": ["L4"],
                                   "web_style": "fastapi", "workload": ["web", "service"]},
    "vllm-server": {"name": "bt-vllm", "stack": "vllm", "gpu": ["L4"], "workload": ["server"]},
}  # fmt: skip
SSE = (
    "".join(f"data: {json.dumps({'choices': [{'delta': {'content': w}}]})}\n\n" for w in ("hi", " there"))
    + f"data: {json.dumps({'choices': [], 'usage': {'completion_tokens': 3}})}\n\ndata: [DONE]\n\n"
)


@pytest.fixture(autouse=True)
def no_token(monkeypatch):
    """Offline: no Modal token, so prices come from the catalogue and nothing remote is asked."""
    monkeypatch.setenv("MODAL_CONFIG_PATH", os.devnull)
    monkeypatch.delenv("MODAL_TOKEN_ID", raising=False)


@pytest.fixture(scope="module")
def projects(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("bench")
    return {key: render(parse_spec(raw), root / raw["name"]) for key, raw in PROJECTS.items()}


def serve(handler: type[BaseHTTPRequestHandler]) -> tuple[ThreadingHTTPServer, str]:
    """`handler` served on a free local port, in a thread: the server and its URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


class Endpoint:
    """A small HTTP server on a free port whose answers a test scripts: `answer(n)` gives the
    status of the n-th POST (from 0); 303 sends the client to GET /result (Modal's long request)."""

    def __init__(self, answer, body: bytes = b'{"echo": "hi", "tokens": 3}', kind="application/json"):
        self.count, self.bodies, self.paths = 0, [], []
        lock, outer = threading.Lock(), self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                sent = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with lock:
                    n, outer.count = outer.count, outer.count + 1
                    outer.bodies.append(json.loads(sent))
                    outer.paths.append(self.path)
                status = answer(n)
                if status == 303:
                    self.send_response(303)
                    self.send_header("Location", "/result")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.reply(status)

            def do_GET(self):
                self.reply(200)

            def reply(self, status: int) -> None:
                text = body if status == 200 else b'{"error": "scripted"}'
                self.send_response(status)
                self.send_header("Content-Type", kind if status == 200 else "application/json")
                self.send_header("Content-Length", str(len(text)))
                self.end_headers()
                if kind == "text/event-stream" and status == 200:  # the first token comes first
                    for chunk in text.split(b"\n\n")[:-1]:
                        self.wfile.write(chunk + b"\n\n")
                        self.wfile.flush()
                        time.sleep(0.002)
                    return
                self.wfile.write(text)

            def log_message(self, *args):
                pass

        self.server, self.url = serve(Handler)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def endpoint():
    started = []

    def start(answer, **kwargs):
        started.append(Endpoint(answer, **kwargs))
        return started[-1]

    yield start
    for server in started:
        server.close()


def run(capsys, *args: str) -> tuple[int, dict | None, str]:
    """`modalgen ARGS --json` in this process: (exit code, the report or None, stderr)."""
    code = main([*args, "--json"])
    out, err = capsys.readouterr()
    return code, (json.loads(out) if out.strip() else None), err


# --- Any endpoint: --request FILE and --openai -----------------------------------------------------


def test_request_file_is_posted_as_is_and_the_report_has_every_field(endpoint, capsys, tmp_path):
    server = endpoint(lambda n: 200)
    body = tmp_path / "body.json"
    body.write_text('{"prompt": "a cat", "steps": 2}')
    code, report, _ = run(capsys, "bench", "--url", server.url + "/predict", "--request", str(body),
                          "--requests", "20", "--concurrency", "4")  # fmt: skip
    assert code == 0, report
    assert set(report) >= {"target", "concurrency", "requests", "ok", "failed", "failed_by_status",
                           "redirects_followed", "duration_s", "latency_ms", "throughput_rps", "tokens",
                           "warmup", "cost"}  # fmt: skip
    assert report["requests"] == report["ok"] == 20 and report["failed"] == 0
    latency = report["latency_ms"]
    assert 0 < latency["p50"] <= latency["p95"] <= latency["p99"] <= latency["max"]
    assert report["throughput_rps"] > 0 and report["tokens"]["output"] == 60  # "tokens": 3 each
    assert report["warmup"]["requests"] == report["warmup"]["ok"] == 1
    assert server.bodies == [{"prompt": "a cat", "steps": 2}] * 21 and set(server.paths) == {"/predict"}
    assert report["cost"]["per_request_usd"] is None and "no project" in report["cost"]["note"]


def test_openai_streams_and_measures_the_first_token(endpoint, capsys):
    server = endpoint(lambda n: 200, body=SSE.encode(), kind="text/event-stream")
    code, report, _ = run(capsys, "bench", "--url", server.url, "--openai", "--model", "m",
                          "--requests", "8", "--concurrency", "2")  # fmt: skip
    assert code == 0, report
    assert set(server.paths) == {"/v1/chat/completions"}
    sent = server.bodies[0]
    assert sent["model"] == "m" and sent["stream"] and sent["stream_options"] == {"include_usage": True}
    tokens = report["tokens"]
    assert tokens["output"] == 24 and tokens["per_s"] > 0  # the usage event: 3 per request
    ttft = tokens["time_to_first_token_ms"]
    assert 0 < ttft["p50"] <= ttft["p95"] <= report["latency_ms"]["max"]


# --- Failures, cold starts, redirects --------------------------------------------------------------


def test_failures_are_reported_by_status_and_fail_the_run(endpoint, capsys, tmp_path):
    server = endpoint(lambda n: 500 if n % 2 else 200)
    body = tmp_path / "b.json"
    body.write_text("{}")
    code, report, _ = run(capsys, "bench", "--url", server.url, "--request", str(body),
                          "--requests", "10", "--warmup", "0")  # fmt: skip
    assert code == 1
    assert report["ok"] == 5 and report["failed"] == 5 and report["failed_by_status"] == {"500": 5}


def test_a_cold_endpoint_is_waited_out_not_counted(endpoint, capsys, tmp_path):
    server = endpoint(lambda n: 503 if n < 3 else 200)  # a Server with no live container yet
    body = tmp_path / "b.json"
    body.write_text("{}")
    code, report, err = run(capsys, "bench", "--url", server.url, "--request", str(body),
                            "--requests", "6", "--concurrency", "2")  # fmt: skip
    assert code == 0, report
    assert report["warmup"]["retries_while_not_ready"] == 3 and report["warmup"]["ok"] == 1
    assert report["ok"] == report["requests"] == 6 and report["failed"] == 0
    assert "waiting for" in err and "503" in err


def test_modal_303_for_a_long_request_is_followed(endpoint, capsys, tmp_path):
    server = endpoint(lambda n: 303 if n % 2 == 0 else 200)
    body = tmp_path / "b.json"
    body.write_text("{}")
    code, report, _ = run(capsys, "bench", "--url", server.url, "--request", str(body),
                          "--requests", "6", "--warmup", "0")  # fmt: skip
    assert code == 0, report
    assert report["ok"] == 6 and report["redirects_followed"] == 3


def test_an_endpoint_that_stays_503_is_given_up_on_without_figures(endpoint, capsys, tmp_path):
    server = endpoint(lambda n: 503)
    body = tmp_path / "b.json"
    body.write_text("{}")
    code, report, err = run(
        capsys, "bench", "--url", server.url, "--request", str(body), "--ready-timeout", "1"
    )
    assert code == 1 and report is None  # nothing measured, nothing reported
    assert "waiting for" in err and "gave up" in err


def test_nothing_listening_is_named_and_given_up_on(capsys, tmp_path):
    import socket

    body = tmp_path / "b.json"
    body.write_text("{}")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"  # bound, never listening: refused
        code, report, err = run(capsys, "bench", "--url", url, "--request", str(body), "--ready-timeout", "1")
    assert code == 1 and report is None
    assert "connection refused" in err and "gave up" in err


def test_no_answer_at_all_is_given_up_on_before_the_ready_timeout(capsys, tmp_path, monkeypatch):
    """A refused connection is no cold start (Modal answers while a container starts): it is given
    up on after NO_ANSWER_GRACE, not after --ready-timeout (900 s by default)."""
    import socket

    from modalgen.tools import bench

    monkeypatch.setattr(bench, "NO_ANSWER_GRACE", 1.0)
    body = tmp_path / "b.json"
    body.write_text("{}")
    started = time.monotonic()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        code, report, err = run(capsys, "bench", "--url", url, "--request", str(body))
    assert code == 1 and report is None and time.monotonic() - started < 10
    assert "retrying for up to 1 s" in err and "gave up" in err


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--requests", "0"], "--requests: 0 is not allowed"),
        (["--concurrency", "-1"], "--concurrency: -1 is not allowed"),
        (["--warmup", "-2"], "--warmup: -2 is not allowed"),
        (["--duration", "0"], "--duration: 0"),
        (["--requests", "many"], "'many' is not a valid integer"),
        (["--openai"], "--url"),
        (["--url", "http://x", "--openai", "--request", "b.json"], "not both"),
        (["--url", "http://x", "--request", "missing.json"], '--request: "missing.json"'),
        (["--url", "http://x"], "--project"),  # no project here, nothing to say what to send
    ],
)
def test_bad_flags_are_one_line_and_exit_2(args, words, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code = main(["bench", *args])
    err = capsys.readouterr().err
    assert code == 2 and words in err, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_coldstart_needs_a_url_and_outside_a_project_an_app(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["coldstart"]) == 2 and "--url" in capsys.readouterr().err
    (tmp_path / "b.json").write_text("{}")
    assert main(["coldstart", "--url", "http://x", "--request", "b.json"]) == 2
    assert "--app" in capsys.readouterr().err
    assert main(["coldstart", "--url", "http://x", "--openai", "--app", "a"]) == 2
    assert "--model" in capsys.readouterr().err  # one request only: no GET /v1/models first


# --- Cost --------------------------------------------------------------------------------------------


def test_workspace_rates_are_matched_by_whole_names():
    rates = {"gpu.l40s.per_second": "0.000542", "gpu.l4.per_second": "0.000222", "cpu.per_hour": "0.05"}
    rate, source = pricing.hourly_rate(rates, "L4", 9.0)  # L4, not L40S; per second -> per hour
    assert rate == pytest.approx(0.7992) and source == "modal billing rates (gpu.l4.per_second)"
    assert pricing.hourly_rate(rates, "cpu", 9.0)[0] == pytest.approx(0.05)
    assert pricing.hourly_rate(rates, "H100", 3.95) == (3.95, "catalogue")
    assert pricing.hourly_rate(None, "memory", 0.008) == (0.008, "catalogue")


def test_cost_is_priced_from_the_plan_of_the_answers(projects):
    project = target.open_project(projects["transformers-fastapi-front"])
    report = {"ok": 10, "duration_s": 1.0, "concurrency": 8, "tokens": {"per_s": 100.0}}
    now = datetime.now(UTC)
    money = pricing.cost(project, report, False, now, now)
    front, worker = (money["containers"][name] for name in ("api", "Service"))
    assert worker["usd_per_hour"] == pytest.approx(project.plan.function("service").price_per_hour)
    assert front["count"] == 1 and worker["count"] == 8  # the front holds many inputs; the worker one
    assert money["usd_per_hour"] == pytest.approx(
        front["usd_per_hour"] + 8 * worker["usd_per_hour"], abs=1e-3
    )
    assert money["run_usd"] == pytest.approx(money["usd_per_hour"] / 3600, rel=0.01)
    assert money["prices"] == "catalogue" and money["per_1m_tokens_usd"] > 0


def test_proxy_auth_headers_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("MODAL_KEY", "wk-test")
    monkeypatch.setenv("MODAL_SECRET", "ws-test")
    assert target.proxy_auth_headers() == {"Modal-Key": "wk-test", "Modal-Secret": "ws-test"}
    monkeypatch.delenv("MODAL_KEY")
    assert target.proxy_auth_headers() == {}


# --- Offline: a rendered project's endpoint, served here with its interpreter -----------------------


@pytest.mark.parametrize("key", list(PROJECTS))
def test_bench_serves_a_project_here_and_measures_it(projects, key):
    done = subprocess.run(
        [sys.executable, "-m", "modalgen", "bench", "--python", sys.executable, "--json",
         "--requests", "12", "--concurrency", "3"],
        cwd=projects[key], capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout)
    assert report["requests"] == report["ok"] == 12 and report["failed"] == 0
    latency = report["latency_ms"]
    assert 0 < latency["p50"] <= latency["p95"] <= latency["p99"] <= latency["max"]
    assert report["target"].startswith("http://127.0.0.1:") and "(" in report["target"]  # says what it is
    money = report["cost"]
    assert money["prices"] == "catalogue" and money["per_request_usd"] > 0
    assert money["run_usd"] == pytest.approx(money["usd_per_hour"] * report["duration_s"] / 3600, rel=0.01)
    if key != "plain-asgi":
        assert "fake engine" in report["target"] or "stand-in" in report["target"]
        assert report["tokens"]["output"] > 0
    if key == "vllm-server":
        assert 0 < report["tokens"]["time_to_first_token_ms"]["p50"] <= latency["max"]


def test_the_project_holds_none_of_the_tooling_and_its_makefile_calls_modalgen(projects):
    for project in projects.values():
        package = project / target.open_project(project).plan.package
        assert not {"bench.py", "coldstart.py", "serve_local.py"} & {p.name for p in package.iterdir()}
        assert not (project / "tests/test_bench.py").exists()
        makefile = (project / "Makefile").read_text()
        assert "modalgen bench" in makefile and "modalgen coldstart --url $(URL)" in makefile
        for target_name in ("install", "test", "smoke", "deploy"):  # the project's own: never modalgen
            recipe = makefile.split(f"\n{target_name}:")[1].split("\n\n")[0]
            assert "modalgen" not in recipe, (target_name, recipe)


def test_make_bench_without_modalgen_says_how_to_get_the_version_that_made_the_project(projects, tmp_path):
    bare = tmp_path / "bin"  # make and sh, no modalgen
    bare.mkdir()
    for tool in ("make", "sh"):
        (bare / tool).symlink_to(shutil.which(tool))
    env = {**os.environ, "PATH": str(bare)}
    for goal in ("bench", "coldstart URL=https://x.modal.run"):
        done = subprocess.run(["make", *goal.split()], cwd=projects["plain-asgi"], env=env,
                              capture_output=True, text=True, timeout=60)  # fmt: skip
        assert done.returncode != 0
        (line,) = done.stderr.strip().splitlines()[:1]
        assert f"uv tool install modalgen=={__version__}" in line and "the version that made" in line
        assert "Traceback" not in done.stderr and done.stdout == ""


# --- Cold start ----------------------------------------------------------------------------------


def test_the_apps_timing_lines_are_what_coldstart_parses(projects):
    """The project's common.mark prints MODALGEN_TIMING lines in a Modal container, once per event."""
    project = projects["plain-asgi"]
    code = "from bt_plain.common import mark\n" + "".join(
        f"mark('api', '{event}')\n" for event in ("load_start", "ready", "ready")
    )
    env = {**os.environ, "MODAL_TASK_ID": "ta-test"}
    done = subprocess.run([sys.executable, "-c", code], cwd=project, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    lines = coldstart.parse("2026-12-01 boot\n" + done.stdout + coldstart.PREFIX + "{broken\n")
    assert [line["event"] for line in lines] == ["load_start", "ready"]
    for line in lines:
        assert line["function"] == "api" and line["container"] == "ta-test"
        assert line["process_start"] <= line["t"] <= time.time() + 0.01
    quiet = subprocess.run([sys.executable, "-c", code], cwd=project, capture_output=True, text=True)
    assert quiet.stdout == ""  # not in a Modal container: local runs and tests print nothing


@pytest.mark.parametrize("key", list(PROJECTS))
def test_every_function_a_request_passes_through_marks_when_it_is_ready(projects, key):
    plan = target.open_project(projects[key]).plan
    for holder in plan.bench["holders"]:
        module = (projects[key] / plan.package / f"{holder['module']}.py").read_text()
        assert f'mark("{holder["obj"]}", "ready")' in module, holder


def test_the_first_byte_is_split_by_the_container_timestamps():
    def line(event, t, process_start, container):
        return {"function": "Server", "event": event, "t": t, "process_start": process_start,
                "container": container}  # fmt: skip

    lines = [
        line("load_start", 1004.0, 1003.0, "ta-1"),
        line("ready", 1010.0, 1003.0, "ta-1"),
        line("ready", 900.0, 890.0, "ta-0"),
    ]  # fmt: skip  (ta-0 was up before the request)
    report = coldstart.split(1000.0, 1012.5, lines)
    assert report["cold"] and report["ttfb_s"] == 12.5
    assert report["containers"] == {"ta-1": {"function": "Server", "queued_and_boot_s": 3.0, "imports_s": 1.0,
                                             "load_s": 6.0, "first_output_s": 2.5}}  # fmt: skip
    assert not coldstart.split(1000.0, 1001.0, lines[2:])["cold"]  # a warm container answered
    assert "load           6.0 s" in coldstart.text_report({**report, "status": 200, "stopped": 1})


def test_coldstart_stops_only_this_apps_containers_with_yes():
    """`modal container list --json` keys are snake_case; `modal container stop` needs --yes."""
    rows = [{"container_id": "ta-1", "app_name": "mine"}, {"container_id": "ta-2", "app_name": "another-app"}]
    stopped = []

    class FakeModal(coldstart.Modal):
        def run(self, *args):
            if args[:2] == ("container", "list"):
                listed = [row for row in rows if row["container_id"] not in stopped]
                return subprocess.CompletedProcess(args, 0, json.dumps(listed), "")
            assert args[:3] == ("container", "stop", "--yes"), args
            stopped.append(args[-1])
            return subprocess.CompletedProcess(args, 0, "", "")

    assert coldstart.stop_containers(FakeModal(lambda *a: list(a)), "mine") == 1 and stopped == ["ta-1"]


def test_a_project_without_an_endpoint_has_no_bench_and_says_so(tmp_path, capsys):
    project = render(parse_spec({"name": "nobench", "workload": ["batch", "cron"], "gpu": ["T4"]}),
                     tmp_path / "nobench")  # fmt: skip
    assert "bench:" not in (project / "Makefile").read_text()
    assert main(["bench", "--project", str(project)]) == 2
    err = capsys.readouterr().err
    assert "a project with an HTTP endpoint" in err and len(err.strip().splitlines()) == 1
