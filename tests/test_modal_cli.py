"""The `modal` commands generated projects run, as the real CLI (the pinned 1.6) runs them.

Each test runs `python -m modal ...` against the local control plane (tests/controlplane): the
client, its prompts and its output formats are Modal's own; only the server is a stand-in.
"""

from __future__ import annotations

import functools
import json
import re
import time

import modal
import pytest
from modal_proto import api_pb2

from modalgen.answers.spec import parse_spec
from modalgen.render.template import render
from tests.controlplane import requested_gpus
from tests.generated import read_plan

# Projects whose deploy covers each way a function gets its hardware: GPU fallbacks, several GPUs,
# one GPU, CPU-only; a plain function, a web endpoint, a class (`Service.*`), a Server.
DEPLOYED = {
    "fallbacks": {
        "gpu": ["H100:2", "A100-80GB:2"],
        "workload": ["batch", "web", "service", "server"],
        "gpu_for": {"web": "cpu"},
    },
    "cpu-only": {"gpu": [], "workload": ["web", "map", "cron"]},
    "one-gpu": {"gpu": ["L40S"], "workload": ["spawn", "batched", "web"], "web_style": "fastapi"},
}


def _gpus(specs: list[str]) -> list[tuple[str, int]]:
    return [(s.partition(":")[0].upper(), int(s.partition(":")[2] or 1)) for s in specs]


def _project(tmp_path, name: str, answers: dict):
    return render(parse_spec({"name": name, **answers}), tmp_path / name)


@pytest.mark.parametrize("key", list(DEPLOYED))
def test_deploy_sends_each_function_with_its_planned_gpus(control_plane, tmp_path, key):
    project = _project(tmp_path, key, DEPLOYED[key])
    plan = read_plan(project)
    done = control_plane.modal("deploy", "-m", f"{plan['package']}.app", cwd=project)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "App deployed" in done.stdout
    sent = {
        (r.function.function_name or r.function_data.function_name).removesuffix(".*"): r  # a class: "Cls.*"
        for r in control_plane.calls("FunctionCreate")
    }
    assert set(sent) == {fn["name"] for fn in plan["functions"]}
    for fn in plan["functions"]:
        assert requested_gpus(sent[fn["name"]]) == _gpus(fn["gpu"]), fn["name"]  # a CPU function: []
    # The deployed app holds them all: `Function.from_name` finds each.
    published = control_plane.functions(control_plane.app(plan["name"]))
    assert {tag.removesuffix(".*") for tag in published} == set(sent)


def test_deploy_makes_functions_resolvable_by_name_and_spawned_calls_fetchable_by_id(control_plane, tmp_path):
    project = _project(tmp_path, "jobs", {"gpu": ["T4"], "workload": ["spawn", "service"]})
    assert control_plane.modal("deploy", "-m", "jobs.app", cwd=project).returncode == 0
    service = next(fn for fn in read_plan(project)["functions"] if fn["kind"] == "service")
    control_plane.answer("background_job", lambda text: {"echo": text})
    control_plane.answer(f"{service['name']}.{service['method']}", lambda text: {"served": text})
    with control_plane.connected():
        with pytest.raises(modal.exception.NotFoundError):
            modal.Function.from_name("not-deployed", "background_job").hydrate()
        call = modal.Function.from_name("jobs", "background_job").spawn("hello")
        (spawned,) = control_plane.spawned("background_job")
        assert call.object_id == spawned.call_id and spawned.args == ("hello",)
        assert spawned.invocation_type == api_pb2.FUNCTION_CALL_INVOCATION_TYPE_ASYNC
        assert modal.FunctionCall.from_id(call.object_id).get(timeout=5) == {"echo": "hello"}
        # A deployed class: an instance's method, called by name.
        instance = modal.Cls.from_name("jobs", service["name"])()
        assert getattr(instance, service["method"]).remote("hi") == {"served": "hi"}


def test_a_pending_call_times_out_until_it_has_a_result(control_plane):
    control_plane.deploy("later", functions=("background_job",))
    with control_plane.connected():
        call_id = modal.Function.from_name("later", "background_job").spawn(3).object_id
        with pytest.raises(TimeoutError):
            modal.FunctionCall.from_id(call_id).get(timeout=0.2)
        control_plane.finish(call_id, 42)
        assert modal.FunctionCall.from_id(call_id).get(timeout=5) == 42
        failing = modal.Function.from_name("later", "background_job").spawn(4).object_id
        control_plane.finish(failing, ValueError("bad input 4"))
        with pytest.raises(ValueError, match="bad input 4"):
            modal.FunctionCall.from_id(failing).get(timeout=5)


def test_a_jobs_projects_make_targets_submit_to_the_deployed_app_and_fetch_by_id(control_plane, tmp_path):
    """Modal's job-queue guide, through the real client: `make submit` spawns in the deployed app
    (`Function.from_name(...).spawn`), so the job outlives the command; `make fetch` collects it."""
    project = _project(tmp_path, "jobs", {"gpu": [], "workload": ["spawn"]})
    make = functools.partial(control_plane.make, project)
    deployed = make("deploy")
    assert deployed.returncode == 0 and "App deployed" in deployed.stdout, deployed.stderr[-2000:]
    apps_made = len(control_plane.calls("AppCreate"))
    submitted = make("submit", "TEXT=resize the photos")
    assert submitted.returncode == 0, submitted.stdout[-2000:] + submitted.stderr[-2000:]
    (call_id,) = re.findall(r"\bfc-[0-9A-Za-z]+", submitted.stdout)
    (call,) = control_plane.spawned("background_job")
    # Spawned into the deployed app, without waiting: no app of its own, so nothing stops it.
    assert (call.call_id, call.app_name, call.args) == (call_id, "jobs", ("resize the photos",))
    assert call.invocation_type == api_pb2.FUNCTION_CALL_INVOCATION_TYPE_ASYNC
    assert len(control_plane.calls("AppCreate")) == apps_made
    control_plane.finish(call_id, {"echo": "done: resize the photos"})
    fetched = make("fetch", f"ID={call_id}")
    assert fetched.returncode == 0 and "done: resize the photos" in fetched.stdout, fetched.stderr[-2000:]
    control_plane.log("jobs", "a line a job printed")
    logs = make("logs-recent")  # `modal app logs jobs`
    assert logs.returncode == 0 and "a line a job printed" in logs.stdout, logs.stderr[-2000:]


def test_a_jobs_projects_make_run_is_ephemeral_and_waits_for_its_jobs(control_plane, tmp_path):
    """`make run` is no longer `modal run --detach` (which keeps only the last function the
    entrypoint triggered alive, modal/cli/run.py): an ephemeral app whose entrypoint waits."""
    project = _project(tmp_path, "tryout", {"gpu": [], "workload": ["spawn"]})
    control_plane.answer("background_job", lambda text: {"echo": f"done: {text}"})
    run = control_plane.make(project, "run")
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert [r.app_state for r in control_plane.calls("AppCreate")] == [api_pb2.APP_STATE_EPHEMERAL]
    assert run.stdout.count("done: job") == 4  # every job's result, before the app stopped


def test_app_logs_prints_the_apps_recent_lines(control_plane):
    app = control_plane.deploy("logged")
    other = control_plane.deploy("other-app")
    container = control_plane.start_container(app)
    control_plane.log(app, "loading weights", task_id=container, at=time.time() - 120)
    control_plane.log(app, "MODALGEN_TIMING {}", task_id=container)
    control_plane.log(other, "not this one")
    done = control_plane.modal("app", "logs", "logged")  # what `make logs-recent` runs
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.splitlines() == ["loading weights", "MODALGEN_TIMING {}"]
    since = control_plane.modal("app", "logs", "logged", "--since", "1m")  # what `make coldstart` reads
    assert since.returncode == 0, since.stderr[-2000:]
    assert since.stdout.splitlines() == ["MODALGEN_TIMING {}"]
    missing = control_plane.modal("app", "logs", "never-deployed")
    assert missing.returncode != 0 and "never-deployed" in missing.stdout + missing.stderr


def test_container_list_json_uses_snake_case_keys(control_plane):
    app = control_plane.deploy("listed")
    first = control_plane.start_container(app, started_at=time.time() - 60)
    second = control_plane.start_container(app)
    done = control_plane.modal("container", "list", "--json")
    assert done.returncode == 0, done.stderr[-2000:]
    rows = json.loads(done.stdout)
    # modal/cli/utils.py, `_col_name_to_json_key`: "Container ID" -> "container_id", newest first.
    assert [set(row) for row in rows] == [{"container_id", "app_id", "app_name", "start_time"}] * 2
    assert [row["container_id"] for row in rows] == [second, first]
    assert {row["app_name"] for row in rows} == {"listed"} and rows[0]["app_id"] == app.app_id


def test_container_stop_asks_first_and_stops_with_yes(control_plane):
    app = control_plane.deploy("stoppable")
    container = control_plane.start_container(app)
    # In a pipe, without --yes, the CLI asks and aborts: nothing is stopped.
    asked = control_plane.modal("container", "stop", container)
    assert asked.returncode != 0
    assert "Are you sure" in asked.stdout and "--yes" in asked.stderr
    assert control_plane.calls("ContainerStop") == [] and control_plane.containers(app) == [container]
    stopped = control_plane.modal("container", "stop", "--yes", container)
    assert stopped.returncode == 0, stopped.stderr[-2000:]
    assert [r.task_id for r in control_plane.calls("ContainerStop")] == [container]
    listed = control_plane.modal("container", "list", "--json")
    assert json.loads(listed.stdout) == []
    again = control_plane.modal("container", "stop", "--yes", container)
    assert again.returncode != 0 and "already stopped" in again.stdout + again.stderr


def test_billing_rates_json_is_one_object_of_decimal_strings(control_plane):
    control_plane.rates = {"gpu.h100.per_second": "0.001097", "cpu.per_hour": "0.0473"}
    done = control_plane.modal("billing", "rates", "--json")
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout) == {"cpu.per_hour": "0.0473", "gpu.h100.per_second": "0.001097"}


def test_a_front_deploys_on_an_image_without_the_models_packages(control_plane, tmp_path):
    """A CPU web front beside a GPU service: what `modal deploy` sends for each function's image.
    The front's image installs the web framework and nothing of the model's (no torch)."""
    layers: dict[str, tuple[list[str], list[str]]] = {}  # image id -> (its commands, parent ids)

    def image_get_or_create(request):
        image_id = f"im-layer{len(layers)}"
        parents = [base.image_id for base in request.image.base_images]
        layers[image_id] = (list(request.image.dockerfile_commands), parents)
        return api_pb2.ImageGetOrCreateResponse(image_id=image_id)

    def commands(image_id: str) -> str:
        own, parents = layers[image_id]
        return "\n".join([*(commands(parent) for parent in parents), *own])

    control_plane.server.handlers["ImageGetOrCreate"] = image_get_or_create
    project = _project(tmp_path, "front", {"stack": "transformers", "workload": ["web", "service"]})
    done = control_plane.make(project, "deploy")
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    images = {r.function.function_name: r.function.image_id for r in control_plane.calls("FunctionCreate")}
    front, worker = commands(images["api"]), commands(images["Service.*"])
    assert "fastapi" in front and "torch" not in front and "transformers" not in front
    assert "torch==" in worker and "transformers==" in worker and "fastapi" not in worker


def test_make_train_detaches_and_its_run_outlives_the_command(control_plane, tmp_path):
    """`make train`: `modal run --detach` of an entrypoint that spawns only `train` and returns; the
    real client leaves a detached app running with that one call, and prints how to follow it."""
    project = _project(tmp_path, "trainer", {"gpu": ["H100"], "workload": ["train"]})
    started = control_plane.make(project, "train", "RUN=first", "STEPS=50")
    assert started.returncode == 0, started.stdout[-2000:] + started.stderr[-2000:]
    assert [r.app_state for r in control_plane.calls("AppCreate")] == [api_pb2.APP_STATE_DETACHED]
    (call,) = control_plane.spawned("train")
    assert call.kwargs == {"run": "first", "steps": 50} and not call.done
    assert call.invocation_type == api_pb2.FUNCTION_CALL_INVOCATION_TYPE_ASYNC
    app_id = re.search(r"make logs APP=(ap-\w+)", started.stdout).group(1)
    app = control_plane.world.apps[app_id]
    assert app.state != api_pb2.APP_STATE_STOPPED  # the command ended; the run did not
    control_plane.log(app, '{"step": 1, "loss": 0.7}')
    logs = control_plane.make(project, "logs-recent", f"APP={app_id}")
    assert logs.returncode == 0 and '"step": 1' in logs.stdout, logs.stderr[-2000:]
