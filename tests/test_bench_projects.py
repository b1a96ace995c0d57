"""`make bench` and `make coldstart` in every web-serving kind and stack.

Each project's own `tests/test_bench.py` runs here: `bench --json` against the endpoint served on
a local port (ok = requests, p50 <= p95 <= p99 <= max, tokens and cost where they apply), against
servers that fail half the requests (exit 1, failures by status), answer 503 while cold or 303 for
a long request, and the cold-start timestamps every serving container logs. test_stacks.py covers
the Servers (each stack with every kind it serves, vLLM's OpenAI server included); this file
covers the web endpoint in each style, alone and as a front for a worker.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from modalgen import catalog
from modalgen.render import render
from modalgen.spec import parse_spec
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
