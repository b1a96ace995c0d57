"""The train workload: its projects run their whole suites (offline, `model` with torch on this
CPU, smoke on the stand-in with the planned GPUs), and the answers it cannot take are refused.

The suites run in the model environment (torch as a CPU build): the loop trains for real, a run
killed by SIGKILL resumes from its checkpoint with the weights of an uninterrupted one, two
processes under torchrun (gloo) stay in step, and the smoke test's `train.remote` starts one
process per GPU the stand-in's fake `nvidia-smi` shows.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from modalgen.answers.spec import parse_spec
from modalgen.cli.main import main
from modalgen.render.template import render
from tests.generated import read_plan
from tests.smoke_runs import fake_gpus, model_python_or_skip, run_smoke

PROJECTS = {
    # torch's own module on two GPUs: torchrun, DDP; its other functions on one GPU each.
    "torch-two-gpus": {"stack": "torch", "gpu": ["H100:2"], "workload": ["train", "batch"],
                       "gpu_for": {"batch": "H100"}},
    # plain: a network of its own, on one GPU, in the function's process; a Volume of the user's.
    "plain-one-gpu": {"gpu": ["L4"], "workload": ["train", "web"], "checkpoint_every": 5,
                      "volume": [{"name": "runs", "mount": "/runs"}]},
}  # fmt: skip
# The loop is one Trainer whatever the stack (the stack gives its network and loss): the tests that
# launch it under torchrun (~15 s of torch processes on a CPU each) run once, in the torch project.
SAME_LOOP = {"plain-one-gpu": ("-k", "not run_killed_mid_run and not two_processes_under_torchrun")}


@pytest.fixture(scope="module")
def suites(tmp_path_factory) -> dict[str, subprocess.CompletedProcess]:
    python = model_python_or_skip()
    root = tmp_path_factory.mktemp("train")

    def run(name: str) -> subprocess.CompletedProcess:
        project = render(parse_spec({"name": name, **PROJECTS[name]}), root / name)
        # The train workload's tests, every marker; the stacks' own run in tests/test_stacks.py.
        return run_smoke(project, fake_gpus(read_plan(project)), tmp_path_factory.mktemp("run"), "-m", "",
                         *SAME_LOOP.get(name, ()), "tests/test_train.py", "tests/test_app.py",
                         python=python)  # fmt: skip

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        return dict(zip(PROJECTS, pool.map(run, PROJECTS), strict=True))


@pytest.mark.parametrize("name", PROJECTS)
def test_a_training_project_passes_its_whole_suite(suites, name):
    out = suites[name].stdout + suites[name].stderr
    assert suites[name].returncode == 0, out[-4000:]
    assert " skipped" not in out and (" deselected" not in out) == (name not in SAME_LOOP), out[-2000:]


def test_a_cluster_project_is_valid_on_modal(tmp_path):
    """`--nodes 2`: @modal.clustered under @app.function, imported by the real modal client, and
    its offline tests (the rank and rank 0's address from modal.Cluster) pass."""
    raw = {"name": "cluster", "gpu": ["H100:8"], "workload": ["train"], "nodes": 2}
    project = render(parse_spec(raw), tmp_path / "cluster")
    text = (project / "cluster/train.py").read_text()
    assert re.search(r"\n\)\n@modal\.clustered\(size=NODES, rdma=True\)\ndef train\(", text)
    assert "NODES = 2" in text
    env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONPATH"}}
    env["MODAL_CONFIG_PATH"] = str(tmp_path / "none.toml")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-m", "not smoke and not model", "-p", "no:cacheprovider"],
        cwd=project, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:]


@pytest.mark.parametrize(
    ("args", "field", "allowed"),
    [
        (
            ["--stack", "transformers", "--workload", "train"],
            "--workload",
            "train runs on the plain and torch",
        ),
        (["--workload", "train", "--gpu", "H100:4", "--nodes", "2"], "--gpu", "H100:8 for a cluster of 2"),
        (["--workload", "train", "--cpu-only", "--nodes", "2"], "--nodes", "no CPU-only clusters"),
        (["--workload", "train", "--gpu", "H100:8,H200:8", "--nodes", "2"], "--gpu", "one GPU type"),
        (["--workload", "train", "--checkpoint-every", "0"], "--checkpoint-every", "1"),
        (["--workload", "train", "--train-timeout", "90000"], "--train-timeout", "86,400"),
        (["--workload", "batch", "--nodes", "2"], "--nodes", ""),
    ],
)
def test_what_training_cannot_take_is_refused_in_one_line(tmp_path, capsys, args, field, allowed):
    assert main(["new", "p", "--output-dir", str(tmp_path), *args]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and field in err and allowed in err, err
    assert list(tmp_path.iterdir()) == []


def test_a_torch_projects_other_functions_keep_one_gpu(tmp_path, capsys):
    """The torch stack loads one copy of its module on one GPU: run_core takes one of the type."""
    assert main(["new", "p", "--output-dir", str(tmp_path), "--stack", "torch", "--workload", "train",
                 "--gpu", "A100-80GB:4", "--dry-run", "--json"]) == 0  # fmt: skip
    import json

    data = json.loads(capsys.readouterr().out)
    functions = {f["name"]: f["gpu"] for f in data.get("plan", data)["functions"]}
    assert functions == {"run_core": ["A100-80GB"], "train": ["A100-80GB:4"]}
