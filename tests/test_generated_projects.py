"""A representative set of generated projects runs its own `make lint` and `make test` through uv.

This is what a user does right after `modalgen new`: uv creates the project's environment from
its pyproject.toml (with the Python already on the machine) and runs its offline tests.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from modalgen.answers.spec import parse_spec
from modalgen.render.template import render

# Three projects, each through uv and make as a user runs them; between them: CPU-only and GPU
# fallbacks, every web style, the worker kinds, a Server, Secrets, a model, snapshots, a CUDA base,
# uv_sync, three container Pythons. Every other structure runs its own suite in test_matrix_suites.py
# (the same tests, without uv and make around them).
REPRESENTATIVE = {
    "defaults": {},
    "stateful": {
        "gpu": ["L40S:2", "A10G"],
        "workload": ["service", "batched", "spawn", "web", "map"],
        "web_style": "fastapi",
        "public": True,
        "secret": ["openai", "db:DB_USER,DB_PASSWORD"],
        "hf_model": "org/model@" + "c" * 40,
        "snapshot": True,
        "min_containers": 1,
        "max_inputs": 8,
        "retries": 2,
        "env": {"QUOTE": 'it\'s "here"'},
        "pip": ["numpy==2.3.4"],
        "python": "3.13",
    },
    "flask-period-server": {
        "gpu": ["H100!"],
        "workload": ["web", "cron", "batch", "server"],
        "web_style": "wsgi",
        "period": "6h",
        "volume": [{"name": "data"}, {"name": "model-cache", "mount": "/models"}],
        "single_use_containers": True,
        "base": "cuda",
        "apt": ["ffmpeg"],
        "uv_sync": True,
        "gpu_for": {"web": "cpu"},
        "python": "3.11",
    },
}


@pytest.mark.parametrize("name", REPRESENTATIVE)
def test_generated_make_lint_and_test(tmp_path, name):
    assert shutil.which("uv") and shutil.which("make"), "uv and make are needed (.ci/run installs uv)"
    project = tmp_path / name
    render(parse_spec({"name": name, **REPRESENTATIVE[name]}), project)
    env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONPATH"}}
    env["MODAL_CONFIG_PATH"] = str(tmp_path / "no-modal-config.toml")  # offline: no token anywhere
    env.pop("MODAL_TOKEN_ID", None)
    env.pop("MODAL_TOKEN_SECRET", None)
    dry = subprocess.run(
        ["make", "-n", "run", "deploy", "smoke"], cwd=project, capture_output=True, text=True
    )
    assert dry.returncode == 0 and "modal deploy" in dry.stdout, dry.stderr  # the Makefile parses
    for target in ("lint", "test"):
        result = subprocess.run(["make", target], cwd=project, env=env, capture_output=True, text=True)
        assert result.returncode == 0, f"make {target}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    assert " passed" in result.stdout and "failed" not in result.stdout
    if name != "defaults":
        return
    # Without a token, smoke tests are skipped with the reason on a user's machine, and fail with it
    # in CI (CI set), so that the project's CI never deploys after smoke tests that did not run.
    here = {k: v for k, v in env.items() if k != "CI"}
    smoke = subprocess.run(["make", "smoke"], cwd=project, env=here, capture_output=True, text=True)
    assert smoke.returncode == 0 and "no Modal token configured" in smoke.stdout, smoke.stdout[-2000:]
    in_ci = {**here, "CI": "true"}
    smoke = subprocess.run(["make", "smoke"], cwd=project, env=in_ci, capture_output=True, text=True)
    assert smoke.returncode != 0 and "no Modal token configured" in smoke.stdout, smoke.stdout[-2000:]
    assert "in CI a smoke test that cannot run fails" in smoke.stdout
    # The Makefile's modal commands resolve their targets: without a token, each one gets as far as
    # asking for it (modal imports the app and finds the function first).
    targets = ["run", "shell", "deploy"] + (["download"] if "hf_model" in REPRESENTATIVE[name] else [])
    for target in targets:
        result = subprocess.run(
            ["make", target], cwd=project, env=env, capture_output=True, text=True, timeout=120
        )
        output = result.stdout + result.stderr
        assert result.returncode != 0 and "Token missing" in output, f"make {target}:\n{output[-2000:]}"
        assert "Did you mean" not in output and "Traceback" not in output, output[-2000:]
    # `make deploy` works from anywhere inside the project: here from tests/, with `-f ../Makefile`.
    result = subprocess.run(["make", "-f", "../Makefile", "deploy"], cwd=project / "tests", env=env,
                            capture_output=True, text=True, timeout=120)  # fmt: skip
    output = result.stdout + result.stderr
    assert result.returncode != 0 and "Token missing" in output and "Traceback" not in output, output[-2000:]


def _make_test(project: Path, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(["make", "test"], cwd=project, env=env, capture_output=True, text=True, timeout=600)


def test_hand_tuning_keeps_make_test_green_and_an_invalid_value_fails_it(tmp_path):
    """The project's tests check the code is valid on Modal, not that it equals the answers."""
    project = tmp_path / "tuned"
    render(parse_spec({"name": "tuned", "workload": ["batch", "cron", "service"], "gpu": ["L4"]}), project)
    env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONPATH"}}
    env["MODAL_CONFIG_PATH"] = str(tmp_path / "none.toml")
    batch, common, cron = project / "tuned/batch.py", project / "tuned/common.py", project / "tuned/cron.py"
    # Valid hand-tuning: a longer timeout, another GPU, a scaledown window, another schedule.
    batch.write_text(batch.read_text().replace("timeout=10 * MINUTES,", "timeout=45 * MINUTES,"))
    common.write_text(common.read_text().replace('GPU = "L4"', 'GPU = ["H100:2", "A100-80GB:2"]'))
    service = project / "tuned/service.py"
    service.write_text(
        service.read_text().replace(
            "    timeout=10 * MINUTES,\n)", "    timeout=10 * MINUTES,\n    scaledown_window=5 * MINUTES,\n)"
        )
    )
    cron.write_text(cron.read_text().replace('"0 6 * * *"', '"30 2 * * 1-5"'))
    result = _make_test(project, env)
    assert result.returncode == 0, result.stdout[-3000:]
    # Invalid values fail `make test`, with a line that names them.
    for path, old, new, named in [
        (common, 'GPU = ["H100:2", "A100-80GB:2"]', 'GPU = "X100"', "gpu 'X100' is not a Modal GPU type"),
        (common, 'GPU = "X100"', 'GPU = "H100:9"', "gpu H100:9: Modal gives 1 to 8 H100 per container"),
        (batch, "timeout=45 * MINUTES,", "timeout=25 * 60 * MINUTES,", "timeout 90000 s is outside"),
        (cron, '"30 2 * * 1-5"', '"61 2 * * 1-5"', "is not a 5-field cron string"),
    ]:
        path.write_text(path.read_text().replace(old, new))
        result = _make_test(project, env)
        assert result.returncode != 0 and named in result.stdout, (named, result.stdout[-3000:])
