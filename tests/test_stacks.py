"""Stacks: the core runs a real model, sized to the GPU before anything is rendered.

Every stack renders a project whose own suite passes (`make test`, the engine a small fake; the
smoke tests on the local stand-in for Modal), and whose `make test-model` runs the stack's real
code on this CPU with a tiny model built offline, in the environment `.ci/run` makes
(MODALGEN_MODEL_PYTHON). Sizing refuses a model that does not fit, with the arithmetic.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

from modalgen import catalog
from modalgen.answers.spec import parse_spec
from modalgen.render.template import render
from tests import suite_runner_client
from tests.generated import assert_true_to_its_plan, check_settings, read_plan
from tests.smoke_runs import fake_gpus, model_python_or_skip, run_smoke

SHA = "a" * 40
# finetune's core is transformers' with the trained adapter on top: its model tests run with the
# training that makes the adapter, in tests/test_train.py.
MODEL_STACKS = [s.name for s in catalog.STACKS if s.test_packages and s.name != "finetune"]
# Each stack with every kind it serves, on a GPU; but train, whose loop runs torch in every stack
# (tests/test_train.py runs it).
PROJECTS = {
    s.name: {"name": f"stk-{s.name}", "stack": s.name, "gpu": ["L4"], "volume": ["data"],
             "workload": [k for k in catalog.kinds_of_stack(s) if k != "train"]}
    for s in catalog.STACKS
}  # fmt: skip


@pytest.fixture(scope="module")
def projects(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("stacks")
    return {stack: render(parse_spec(raw), root / raw["name"]) for stack, raw in PROJECTS.items()}


@pytest.mark.parametrize("stack", list(PROJECTS))
def test_every_stack_renders_a_project_true_to_its_plan(projects, stack):
    assert_true_to_its_plan(projects[stack])


@pytest.fixture(scope="module")
def suites(projects, tmp_path_factory) -> dict[str, subprocess.CompletedProcess]:
    """Each stack's project suite, offline and smoke tests on the stand-in (the fake engine)."""

    def run(stack):
        project = projects[stack]
        return run_smoke(
            project, fake_gpus(read_plan(project)), tmp_path_factory.mktemp("run"), "-m", "not model"
        )

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        return dict(zip(PROJECTS, pool.map(run, PROJECTS), strict=True))


@pytest.mark.parametrize("stack", list(PROJECTS))
def test_every_stack_passes_its_own_suite_and_smoke_tests(suites, stack):
    result = suites[stack]
    out = result.stdout + result.stderr
    assert result.returncode == 0, out[-4000:]
    assert " passed" in out and " skipped" not in out, out[-2000:]


@pytest.fixture(scope="module")
def model_runs(projects) -> dict[str, subprocess.CompletedProcess]:
    python = model_python_or_skip()
    env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONPATH"}}
    env["MODAL_CONFIG_PATH"] = str(Path(projects["torch"]).parent / "no-modal-config.toml")
    run_with = f"{python} -m"
    if os.environ.get("MODALGEN_SUITE_FORK", "1") == "1":
        # The recipe's pytest in a child of a zygote that has imported torch (tests/suite_runner.py).
        env["MODALGEN_ZYGOTE"] = suite_runner_client.zygote(python, env)
        run_with = f"{sys.executable} {Path(__file__).parent / 'zygote_pytest.py'}"

    def run(stack):
        return subprocess.run(["make", "test-model", f"MODEL_RUN={run_with}"], cwd=projects[stack], env=env,
                              capture_output=True, text=True, timeout=600)  # fmt: skip

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        return dict(zip(MODEL_STACKS, pool.map(run, MODEL_STACKS), strict=True))


@pytest.mark.parametrize("stack", MODEL_STACKS)
def test_make_test_model_runs_the_real_code_path(model_runs, stack):
    result = model_runs[stack]
    out = result.stdout + result.stderr
    assert result.returncode == 0, out[-4000:]
    assert " passed" in out and "skipped" not in out and " error" not in out, out[-2000:]


# The stacks whose real code runs on a CPU (vLLM's is a stand-in server there anyway).
TORCH_STACKS = [
    s.name for s in catalog.STACKS if catalog.stack_torch(s) and not s.own_server and s.name in MODEL_STACKS
]


@pytest.fixture(scope="module")
def lifecycle_runs(tmp_path_factory) -> dict[str, subprocess.CompletedProcess]:
    """Each torch stack's smoke tests with its real code on the tiny model, through the stand-in's
    container lifecycle: a web class with a memory snapshot (the snap=True load without a GPU,
    then the move after the restore) and a batch function."""
    python = model_python_or_skip()
    root = tmp_path_factory.mktemp("lifecycle")

    def run(stack):
        raw = {"name": f"snap-{stack}", "stack": stack, "gpu": ["L4"], "workload": ["web", "batch"],
               "snapshot": True}  # fmt: skip
        project = render(parse_spec(raw), root / raw["name"])
        return run_smoke(project, fake_gpus(read_plan(project)), tmp_path_factory.mktemp("run"),
                         "-p", "tiny_model", python=python)  # fmt: skip

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        return dict(zip(TORCH_STACKS, pool.map(run, TORCH_STACKS), strict=True))


@pytest.mark.parametrize("stack", TORCH_STACKS)
def test_the_real_code_keeps_modals_lifecycle_with_a_memory_snapshot(lifecycle_runs, stack):
    """Loading before the snapshot asks CUDA nothing (the stand-in fails any torch.cuda query
    there), and the restored container still reports its GPUs."""
    result = lifecycle_runs[stack]
    out = result.stdout + result.stderr
    assert result.returncode == 0, out[-4000:]
    assert " passed" in out and "skipped" not in out, out[-2000:]


# -- sized before rendered


def new(tmp_path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "modalgen", "new", *args, "--no-git"], cwd=tmp_path,
                          capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=60)  # fmt: skip


LLAMA_70B = "meta-llama/Llama-3.1-70B-Instruct"  # as a user types it: no revision, the Hub unreachable


def test_a_model_that_does_not_fit_is_refused_with_the_arithmetic(tmp_path):
    result = new(tmp_path, "big", "--stack", "vllm", "--hf-model", LLAMA_70B, "--gpu", "L4")
    assert result.returncode == 2
    line = result.stderr.strip()
    assert len(line.splitlines()) == 1
    for part in ("--gpu", "Llama-3.1-70B-Instruct in bf16 needs ~141 GB of weights", "KV (8,192 tokens)",
                 "L4 has 24 GB", "cheapest that fit: B200"):  # fmt: skip
        assert part in line, (part, line)
    assert list(tmp_path.iterdir()) == []


def test_a_gated_70b_on_two_h200_renders_with_tensor_parallel_2_and_the_secret(tmp_path):
    result = new(tmp_path, "big", "--stack", "vllm", "--hf-model", LLAMA_70B, "--gpu", "H200:2")
    assert result.returncode == 0, result.stderr
    assert "H200:2 has 282 GB" in result.stdout and "huggingface-secret" in result.stdout
    project = tmp_path / "big"
    answers = yaml.safe_load((project / ".modalgen-answers.yml").read_text())
    assert {"name": "huggingface-secret", "keys": ["HF_TOKEN"]} in answers["secret"]
    assert 'modal.Secret.from_name("huggingface-secret")' in (project / "big/common.py").read_text()
    assert 'tensor_parallel=max(core.device_report()["count"], 1)' in (project / "big/server.py").read_text()
    plan = read_plan(project)
    server = next(fn for fn in plan["functions"] if fn["name"] == "Server")
    assert server["gpu"] == ["H200:2"]
    # Offline the revision cannot be pinned: the project follows main and says so.
    assert "revision     not pinned" in result.stdout and answers["hf_model"] == LLAMA_70B
    assert 'MODEL_REVISION = "main"' in (project / "big/core.py").read_text()
    check_settings(project)
    # The project's own test proves the tensor parallel size is the container's GPU count.
    result = run_smoke(project, fake_gpus(plan), tmp_path, "-m", "not model and not smoke", "-k", "serve")
    assert result.returncode == 0 and " passed" in result.stdout, result.stdout[-3000:]


def test_gpus_model_lists_fitting_shapes_cheapest_first_offline(tmp_path):
    command = [sys.executable, "-m", "modalgen", "gpus", "--model", "Qwen/Qwen2.5-7B-Instruct", "--json"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert rows and all(
        {"gpu", "count", "vram_gb", "need_gb", "fits", "price_per_hour"} <= set(r) for r in rows
    )
    assert all(r["fits"] for r in rows)
    prices = [r["price_per_hour"] for r in rows if r["price_per_hour"] is not None]
    assert prices == sorted(prices) and rows[0]["gpu"] == "L4"
    assert rows[-1]["price_per_hour"] is None  # RTX-PRO-6000: no price known offline, listed last


@pytest.mark.parametrize(
    ("args", "field", "named"),
    [
        (["--stack", "vllm", "--cpu-only"], "--gpu", "does not run on a CPU"),
        (["--stack", "vllm", "--workload", "web"], "--workload", "the vllm stack serves server"),
        (
            ["--stack", "embeddings", "--python", "3.10", "--image-builder", "2025.06"],
            "--python",
            "3.11, 3.12",
        ),
        (["--stack", "embeddings", "--max-model-len", "4096"], "--max-model-len", "--stack"),
        (["--stack", "vllm", "--hf-model", "org/Unnamed@" + SHA], "--hf-model", "org/Unnamed@" + SHA),
        (["--stack", "vllm", "--hf-model", "org/Unnamed@" + SHA], "--model-params N", "could not be read"),
        (
            ["--stack", "vllm", "--hf-model", "org/Unnamed@" + SHA, "--model-params", "lots"],
            "--model-params",
            "8B",
        ),
        (["--stack", "vllm", "--dtype", "fp4"], "--dtype", "bf16"),
        (["--stack", "nope"], "--stack", "plain, torch"),
    ],
)
def test_invalid_stack_pairs_are_refused_with_one_line(tmp_path, args, field, named):
    result = new(tmp_path, "pair", *args)
    assert result.returncode == 2, result.stdout + result.stderr
    line = result.stderr.strip()
    assert len(line.splitlines()) == 1 and field in line and named in line, line
    assert list(tmp_path.iterdir()) == []


def test_every_stack_readme_says_model_revision_memory_and_commands(projects):
    for stack, project in projects.items():
        readme = (project / "README.md").read_text()
        plan = read_plan(project)
        if not plan["model"]:
            continue
        assert plan["model"]["repo"] in readme and plan["model"]["revision"] in readme, stack
        assert "make download" in readme, stack
        if plan["stack"]["sizing"]:
            assert "needs ~" in readme and "GB" in readme, stack
        assert "curl" in readme or "make run" in readme, stack


def test_a_bare_repo_is_pinned_to_the_hubs_commit_when_the_hub_answers(tmp_path):
    """`--hf-model REPO`: modalgen asks the Hub (2 s at most) for main's commit and pins it."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    sha = "b" * 40

    class Hub(BaseHTTPRequestHandler):
        def do_GET(self):
            known = self.path == "/api/models/Qwen/Qwen2.5-7B-Instruct"
            body = json.dumps({"sha": sha, "safetensors": {"total": 7_615_616_512}} if known else {}).encode()
            self.send_response(200 if known else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    hub = ThreadingHTTPServer(("127.0.0.1", 0), Hub)
    threading.Thread(target=hub.serve_forever, daemon=True).start()
    env = {**os.environ, "MODALGEN_HUB_URL": f"http://127.0.0.1:{hub.server_address[1]}"}
    env.pop("MODALGEN_OFFLINE", None)
    try:
        result = subprocess.run(
            [sys.executable, "-m", "modalgen", "new", "pinned", "--stack", "transformers", "--hf-model",
             "Qwen/Qwen2.5-7B-Instruct", "--gpu", "L40S", "--no-git"],
            cwd=tmp_path, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=60,
        )  # fmt: skip
    finally:
        hub.shutdown()
    assert result.returncode == 0, result.stderr
    answers = yaml.safe_load((tmp_path / "pinned/.modalgen-answers.yml").read_text())
    assert answers["hf_model"] == f"Qwen/Qwen2.5-7B-Instruct@{sha}"
    assert "not pinned" not in result.stdout
    assert f'MODEL_REVISION = "{sha}"' in (tmp_path / "pinned/pinned/core.py").read_text()
