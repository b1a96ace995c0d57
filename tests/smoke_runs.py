"""Run a generated project's smoke tests against the local stand-in for Modal (standin/modal_standin.py).

`fake_gpus(plan)` says what each function's container would show on Modal: the names nvidia-smi
prints on real machines, for the first GPU choice of each function's plan. Tests then change it
to prove that a mismatch fails.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests import suite_runner_client

STANDIN = Path(__file__).resolve().parent / "standin"
ROOT = Path(__file__).resolve().parent.parent


def model_python() -> str | None:
    """The environment with the stacks' packages: CI's (MODALGEN_MODEL_PYTHON), or a local one."""
    given = os.environ.get("MODALGEN_MODEL_PYTHON")
    local = ROOT / ".model-venv/bin/python"
    return given or (str(local) if local.exists() else None)


def model_python_or_skip() -> str:
    """The model environment; in CI its absence fails, elsewhere it skips with what to do."""
    import pytest

    python = model_python()
    if python is None:
        if os.environ.get("CI"):
            pytest.fail("CI must run the stacks' real code: .ci/run sets MODALGEN_MODEL_PYTHON")
        pytest.skip("no environment with the stacks' packages: run .ci/run, or set MODALGEN_MODEL_PYTHON")
    return python


# How `nvidia-smi --query-gpu=name --format=csv,noheader` names each card (shared/notes/modal.md).
NVIDIA_SMI_NAMES = {
    "T4": "Tesla T4",
    "L4": "NVIDIA L4",
    "A10G": "NVIDIA A10G",
    "L40S": "NVIDIA L40S",
    "A100-40GB": "NVIDIA A100-SXM4-40GB",
    "A100-80GB": "NVIDIA A100-SXM4-80GB",
    "RTX-PRO-6000": "NVIDIA RTX PRO 6000 Blackwell Server Edition",
    "H100": "NVIDIA H100 80GB HBM3",
    "H100!": "NVIDIA H100 80GB HBM3",
    "H200": "NVIDIA H200",
    "B200": "NVIDIA B200",
    "B200+": "NVIDIA B200",
}


def served(spec: str) -> list[str]:
    """What nvidia-smi prints in a container given `spec` (e.g. "H100:2"): one line per GPU."""
    name, _, count = spec.partition(":")
    return [NVIDIA_SMI_NAMES[name]] * int(count or 1)


def fake_gpus(plan: dict) -> dict[str, list[str]]:
    """Each function's container as Modal would give it: its first GPU choice, or none."""
    return {fn["name"]: served(fn["gpu"][0]) if fn["gpu"] else [] for fn in plan["functions"]}


def run_smoke(
    project: Path,
    fake: dict[str, list[str]],
    tmp: Path,
    *extra: str,
    changes: dict[str, str | None] | None = None,
    python: str = sys.executable,
) -> subprocess.CompletedProcess:
    """`pytest -m smoke` in the project, with Modal's calls served here and a fake nvidia-smi.

    `changes` applies to the run's environment last (None: unset), e.g. to take the proxy auth token away;
    `python` is the environment the project's tests run in (one with the stacks' packages, say).
    """
    bin_dir = tmp / "fake-bin"
    bin_dir.mkdir(exist_ok=True)
    # nvidia-smi in a folder of its own: the stand-in takes it off PATH where a container has no GPU.
    gpu_bin = tmp / "fake-gpu-bin"
    gpu_bin.mkdir(exist_ok=True)
    smi = gpu_bin / "nvidia-smi"
    smi.write_text('#!/bin/sh\nprintf "%s" "$MODALGEN_NVIDIA_SMI"\n')
    smi.chmod(0o755)
    # `vllm serve` on a machine without vLLM or a GPU: the project's OpenAI-compatible stand-in.
    vllm = bin_dir / "vllm"
    vllm.write_text(f'#!/bin/sh\nexec "{python}" "{project / "tests" / "fake_engine.py"}" "$@"\n')
    vllm.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONPATH"}}
    env.update(
        PATH=os.pathsep.join([str(gpu_bin), str(bin_dir), env.get("PATH", "")]),
        PYTHONPATH=str(STANDIN),
        MODALGEN_FAKE_GPUS=json.dumps(fake),
        MODALGEN_FAKE_GPU_BIN=str(gpu_bin),
        # A token, so the smoke tests run; and a server address that refuses at once, so that a
        # call the stand-in does not serve fails fast instead of waiting on Modal.
        MODAL_TOKEN_ID="ak-standin",
        MODAL_TOKEN_SECRET="as-standin",
        MODAL_SERVER_URL="http://127.0.0.1:9",
        MODAL_CONFIG_PATH=str(tmp / "no-modal.toml"),
        MODAL_KEY="wk-standin",
        MODAL_SECRET="ws-standin",
        # Only the plugins named here (the stand-in, and what `extra` names): not the ones modalgen's
        # own environment installs (xdist, hypothesis, ...), which a project's environment does not
        # have. Loading them cost each run about 1.5 s before its first test.
        PYTEST_DISABLE_PLUGIN_AUTOLOAD="1",
    )
    for key, value in (changes or {}).items():
        env.pop(key, None) if value is None else env.__setitem__(key, value)
    args = ["-m", "smoke", "-p", "modal_standin", "-p", "no:cacheprovider", "-q", "-rs", *extra]
    if changes is None and os.environ.get("MODALGEN_SUITE_FORK", "1") == "1":
        return suite_runner_client.run_pytest(python, project, env, args, tmp, timeout=300)
    return subprocess.run(
        [python, "-m", "pytest", *args], cwd=project, env=env, capture_output=True, text=True, timeout=300
    )
