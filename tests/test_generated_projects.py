"""A representative set of generated projects runs its own `make lint` and `make test` through uv.

This is what a user does right after `modalgen new`: uv creates the project's environment from
its pyproject.toml (with the Python already on the machine) and runs its offline tests.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from modalgen.render import render
from modalgen.spec import parse_spec

REPRESENTATIVE = {
    "defaults": {},
    "everything": {
        "gpu": ["H100:2", "A100-80GB:2"],
        "workloads": ["batch", "map", "web", "cron"],
        "volumes": [{"name": "model-cache", "mount": "/models"}, {"name": "data"}],
        "timezone": "Europe/Berlin",
        "python_version": "3.11",
    },
    "cpu-web-map": {"gpu": [], "workloads": ["web", "map"], "python_version": "3.13"},
    "cron-volume": {
        "gpu": ["T4"],
        "workloads": ["cron"],
        "volumes": [{"name": "out"}],
        "cron": "*/5 * * * *",
    },
    "stateful": {
        "gpu": ["L40S:2", "A10G"],
        "workloads": ["service", "batched", "spawn", "web"],
        "web_style": "fastapi",
        "public": True,
        "secrets": ["openai"],
        "hf_model": "org/model@" + "c" * 40,
        "snapshot": True,
        "min_containers": 1,
        "max_inputs": 8,
        "retries": 2,
        "env": {"QUOTE": 'it\'s "here"'},
        "pip": ["numpy==2.3.4"],
    },
    "flask-period": {
        "gpu": [],
        "workloads": ["web", "cron", "batch"],
        "web_style": "wsgi",
        "period": "6h",
        "volumes": [{"name": "data"}],
        "single_use_containers": True,
        "base": "cuda",
        "apt": ["ffmpeg"],
    },
}


@pytest.mark.parametrize("name", REPRESENTATIVE)
def test_generated_make_lint_and_test(tmp_path, name):
    assert shutil.which("uv") and shutil.which("make"), "uv and make are needed (.ci/run installs uv)"
    project = tmp_path / name
    render(parse_spec({"project_name": name, **REPRESENTATIVE[name]}), project)
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
    smoke = subprocess.run(["make", "smoke"], cwd=project, env=env, capture_output=True, text=True)
    assert smoke.returncode == 0 and "no Modal token configured" in smoke.stdout, smoke.stdout[-2000:]
    # The Makefile's modal commands resolve their targets: without a token, each one gets as far as
    # asking for it (modal imports the app and finds the function first).
    targets = ["run", "shell", "deploy"] + (["weights"] if "hf_model" in REPRESENTATIVE[name] else [])
    for target in targets:
        result = subprocess.run(
            ["make", target], cwd=project, env=env, capture_output=True, text=True, timeout=120
        )
        output = result.stdout + result.stderr
        assert result.returncode != 0 and "Token missing" in output, f"make {target}:\n{output[-2000:]}"
        assert "Did you mean" not in output and "Traceback" not in output, output[-2000:]
