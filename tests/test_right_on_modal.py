"""What a generated project does on the real Modal, where the earlier stand-in could not tell.

Each test here pins one defect found by checking generated projects against Modal's documented
behaviour (the issue "Right on the real Modal"): snapshots that break the GPU, models that load on
the first request, fronts on the model's image, jobs that die with the terminal, vLLM on the wrong
CUDA or without Modal's serving settings, CI that deploys after smoke tests that did not run.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from modal._partial_function import _find_partial_methods_for_user_cls, _PartialFunctionFlags
from modal._utils.async_utils import synchronizer

from modalgen import catalog
from modalgen.answers.spec import parse_spec
from modalgen.plan.build import make_plan
from modalgen.render import template as render
from tests.generated import import_app, read_plan
from tests.smoke_runs import fake_gpus, run_smoke

SHA = "c" * 40


def new(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "modalgen", "new", *args, "--no-git"], cwd=tmp_path,
                          capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120)  # fmt: skip


def make(tmp_path: Path, name: str, **raw) -> Path:
    return render.render(parse_spec({"name": name, **raw}), tmp_path / name)


# -- snapshots ----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["batch", "map", "cron", "spawn"])
def test_snapshots_are_refused_where_nothing_loads_before_them(tmp_path, kind):
    """A function loads its model at its first input, after the restore: a snapshot would hold
    nothing but cost a snapshot's creation on every deploy."""
    result = new(tmp_path, "snap", "--workload", kind, "--snapshot")
    assert result.returncode == 2, result.stdout + result.stderr
    line = result.stderr.strip()
    assert len(line.splitlines()) == 1 and "--snapshot" in line and "service" in line, line
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("kind", ["web", "service", "batched"])
def test_snapshots_apply_to_classes_that_load_in_enter(kind):
    plan = make_plan(parse_spec({"name": "s", "workload": [kind], "snapshot": True}))
    (fn,) = [f for f in plan.functions if f.key == kind]
    assert fn.snapshot and fn.decorator == "cls"


@pytest.mark.parametrize(("gpus", "dtype"), [(["L4"], "bfloat16"), (["A100-80GB", "T4"], "float16")])
def test_the_dtype_is_decided_from_the_plan_not_asked_of_cuda(tmp_path, gpus, dtype):
    """`torch.cuda.is_available()` before a memory snapshot pins CUDA's device count at 0 for the
    restored process; the GPUs are known when the project is made, so their dtype is written."""
    project = make(tmp_path, "dt", stack="transformers", gpu=gpus, workload=["service"], snapshot=True)
    core = (project / "dt" / "core.py").read_text()
    assert f'GPU_DTYPE = "{dtype}"' in core
    assert "torch.cuda" not in core


# -- models load before the container takes work ---------------------------------------------------


def _enter_hooks(cls) -> dict:
    flags = _PartialFunctionFlags.ENTER_PRE_SNAPSHOT | _PartialFunctionFlags.ENTER_POST_SNAPSHOT
    return _find_partial_methods_for_user_cls(synchronizer._translate_in(cls)._get_user_cls(), flags)


@pytest.mark.parametrize("style", ["asgi", "fastapi", "wsgi"])
def test_a_web_endpoint_that_serves_the_model_loads_it_in_enter(tmp_path, style):
    project = make(tmp_path, f"w{style}", stack="transformers", workload=["web"], web_style=style)
    app = import_app(project, f"w{style}")
    web = sys.modules[f"w{style}.web"]
    assert app is not None and set(_enter_hooks(web.Web)) == {"load"}
    source = (project / f"w{style}" / "web.py").read_text()
    assert "self.model = core.load_model()" in source and "core.process(" not in source


def test_a_front_runs_on_a_light_image_of_its_own(tmp_path):
    project = make(tmp_path, "fr", stack="transformers", workload=["web", "service"])
    import_app(project, "fr")
    common, web, service = (sys.modules[f"fr.{m}"] for m in ("common", "web", "service"))

    def image_of(fn):
        return synchronizer._translate_in(fn)._spec.image

    front, model_image = (
        synchronizer._translate_in(common.front_image),
        synchronizer._translate_in(common.image),
    )
    assert image_of(web.api) is front
    assert image_of(service.Service._get_class_service_function()) is model_image
    plan = read_plan(project)
    assert plan["image"]["front"]["packages"] == [catalog.PINS["fastapi"]]
    assert not any("torch" in p or "transformers" in p for p in plan["image"]["front"]["packages"])
    assert all("fastapi" not in p for p in plan["image"]["packages"])  # the worker serves no HTTP


# -- jobs ---------------------------------------------------------------------------------------------


def test_jobs_are_submitted_to_the_deployed_app_and_make_run_is_not_detached(tmp_path):
    """`modal run --detach` keeps only the last function the entrypoint triggered alive
    (modal/cli/run.py): jobs that must outlive the terminal go to the deployed app."""
    project = make(tmp_path, "jobs", workload=["spawn"])
    makefile = (project / "Makefile").read_text()
    assert "--detach" not in makefile
    assert "uv run python -m $(PACKAGE).jobs submit" in makefile
    assert "uv run python -m $(PACKAGE).jobs fetch $(ID)" in makefile
    source = (project / "jobs" / "jobs.py").read_text()
    assert 'modal.Function.from_name(APP_NAME, "background_job")' in source
    assert "modal.FunctionCall.gather(" in source  # `make run` waits for what it spawned


# -- vLLM -----------------------------------------------------------------------------------------------


def test_the_cuda_image_matches_the_torch_that_the_pins_install():
    """vllm 0.33.0 pulls torch 2.14.0, built for CUDA 13.0: the image's CUDA must be 13.0 too. A pin
    bump without its torch and CUDA recorded fails here, not on Modal."""
    for stack in catalog.STACKS:
        torch = catalog.stack_torch(stack)
        image = catalog.cuda_image(stack)
        cuda = re.match(r"nvidia/cuda:(\d+\.\d+)\.\d+-devel", image).group(1)
        assert cuda == (catalog.TORCH_CUDA[torch] if torch else catalog.DEFAULT_CUDA), (stack.name, image)
    assert catalog.stack_torch(catalog.STACK_BY_NAME["vllm"]) == "2.14.0"
    plan = make_plan(parse_spec({"name": "v", "stack": "vllm", "workload": ["server"]}))
    assert plan.image["cuda_image"].startswith("nvidia/cuda:13.0.")


@pytest.mark.parametrize(("min_containers", "eager"), [(0, True), (1, False)])
def test_the_vllm_server_gets_modals_serving_settings(tmp_path, min_containers, eager):
    project = make(tmp_path, "v", stack="vllm", gpu=["L40S"], workload=["server"],
                   min_containers=min_containers)  # fmt: skip
    server = next(fn for fn in read_plan(project)["functions"] if fn["server"])
    assert server["server"]["target_concurrency"] == 32 and server["server"]["exit_grace_period"] == 30
    assert server["scaledown_window"] >= max(15 * 60, server["server"]["startup_timeout"])
    source = (project / "v" / "server.py").read_text()
    assert "exit_grace_period=30" in source and "target_concurrency=32" in source
    core = (project / "v" / "core.py").read_text()
    assert (
        f"FAST_BOOT = {eager}" in core and '"--enforce-eager" if FAST_BOOT else "--no-enforce-eager"' in core
    )


def test_the_startup_timeout_grows_with_the_model():
    small = make_plan(parse_spec({"name": "a", "stack": "vllm", "workload": ["server"]}))
    big = make_plan(parse_spec({"name": "b", "stack": "vllm", "workload": ["server"], "gpu": ["H200:2"],
                                "hf_model": f"meta-llama/Llama-3.1-70B-Instruct@{SHA}"}))  # fmt: skip
    (s,), (b,) = ([f.server["startup_timeout"] for f in p.functions if f.server] for p in (small, big))
    assert s == 600 and b > s + 10 * 60


# -- generated CI ---------------------------------------------------------------------------------------


def test_ci_deploys_only_after_smoke_tests_that_ran_with_the_proxy_auth_token(tmp_path):
    project = make(tmp_path, "ci", workload=["web"])
    workflow = yaml.safe_load((project / ".github/workflows/ci.yml").read_text())
    smoke = workflow["jobs"]["smoke"]
    assert smoke["env"]["MODAL_KEY"] == "${{ secrets.MODAL_KEY }}"
    assert smoke["env"]["MODAL_SECRET"] == "${{ secrets.MODAL_SECRET }}"
    runs = [step.get("run") for step in smoke["steps"]]
    assert runs.index("make smoke") < runs.index("make deploy")  # a failed step stops the job
    assert smoke["steps"][runs.index("make smoke")]["id"] == "smoke"
    # A skipped smoke step (no token) has the outcome 'skipped': no deploy either.
    assert "steps.smoke.outcome == 'success'" in smoke["steps"][runs.index("make deploy")]["if"]
    assert not any(
        "always()" in step.get("if", "") or step.get("continue-on-error") for step in smoke["steps"]
    )
    public = make(tmp_path, "pub", workload=["web"], public=True)
    assert (
        "MODAL_KEY"
        not in yaml.safe_load((public / ".github/workflows/ci.yml").read_text())["jobs"]["smoke"]["env"]
    )


@pytest.mark.parametrize(("ci", "outcome"), [(None, "1 skipped"), ("true", "1 failed")])
def test_a_smoke_test_that_cannot_run_fails_in_ci_and_skips_elsewhere(tmp_path, ci, outcome):
    """No proxy auth token for the endpoint: a skip here, a failure with the reason in CI, so that
    deploy never follows a smoke run that proved nothing."""
    project = make(tmp_path, "nokey", workload=["web"])
    unset = {"CI": ci, "MODAL_KEY": None, "MODAL_SECRET": None}
    result = run_smoke(project, fake_gpus(read_plan(project)), tmp_path, "-k", "api_on_modal", changes=unset)
    assert outcome in result.stdout, result.stdout[-2000:]
    assert "set MODAL_KEY and MODAL_SECRET" in result.stdout
