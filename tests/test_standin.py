"""The stand-in for Modal (tests/standin/modal_standin.py) enforces Modal's lifecycle, rule by rule.

Each test runs a small Modal app of its own through the stand-in, as the generated smoke tests
run: code that breaks a rule must fail there, and code that keeps it must pass. The rules and their
sources are in the stand-in's docstring.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.smoke_runs import run_smoke

PYPROJECT = """\
[tool.pytest.ini_options]
pythonpath = ["."]
markers = ["smoke: runs on Modal"]
"""
# A stand-in for torch.cuda, so that this suite needs no torch: the stand-in guards whatever
# `torch.cuda` it finds, the real one included (the model stacks' runs use the real one).
FAKE_TORCH = {
    "torch/__init__.py": "from . import cuda  # noqa: F401\n",
    "torch/cuda/__init__.py": "def is_available():\n    return False\n\n\n"
    "def device_count():\n    return 0\n",
}
DEVICE = '''
import functools
import shutil
import subprocess


@functools.cache
def device_report() -> dict:
    """As the generated core writes it: cached, a container's GPUs do not change."""
    if shutil.which("nvidia-smi") is None:
        return {"count": 0, "gpus": []}
    out = subprocess.run(["nvidia-smi"], capture_output=True, text=True).stdout
    gpus = [line for line in out.splitlines() if line.strip()]
    return {"count": len(gpus), "gpus": gpus}
'''


def project(tmp_path: Path, app_code: str, test_code: str) -> Path:
    root = tmp_path / "mini"
    files = {
        "pyproject.toml": PYPROJECT,
        "mini/__init__.py": "",
        "mini/device.py": DEVICE,
        "mini/app.py": "import os\n\nimport modal\n\nfrom .device import device_report\n\n"
        "app = modal.App('mini')\n" + textwrap.dedent(app_code),
        "tests/test_smoke.py": "import os\n\nimport modal\nimport pytest\n\nfrom mini import app as m\n\n"
        + textwrap.dedent(test_code),
        **FAKE_TORCH,
    }
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def smoke(tmp_path, app_code, test_code, fake=None):
    root = project(tmp_path, app_code, test_code)
    return run_smoke(root, {"Model": ["NVIDIA L4"]} if fake is None else fake, tmp_path, "-s")


SNAPSHOT_CLASS = """
@app.cls(gpu="L4", enable_memory_snapshot=True{extra})
class Model:
    @modal.enter(snap=True)
    def load(self):
        {snap}

    @modal.enter(snap=False)
    def to_gpu(self):
        self.after = device_report()

    @modal.method()
    def seen(self) -> dict:
        return {{"snap": self.snap, "after": self.after, "now": device_report()}}
"""


def snapshot_app(snap: str, extra: str = "") -> str:
    return SNAPSHOT_CLASS.format(snap=snap, extra=extra)


SEEN = """
@pytest.mark.smoke
def test_seen():
    with m.app.run():
        print("SEEN", m.Model().seen.remote())
"""


def seen(result) -> str:
    return next(line for line in result.stdout.splitlines() if "SEEN" in line)


def test_snapshot_phase_has_no_gpu_and_the_restore_has_it(tmp_path):
    code = snapshot_app('self.snap = {"cuda_visible": os.environ["CUDA_VISIBLE_DEVICES"], '
                        '"smi": __import__("shutil").which("nvidia-smi")}')  # fmt: skip
    result = smoke(tmp_path, code, SEEN)
    assert result.returncode == 0, result.stdout[-3000:]
    line = seen(result)
    assert "'cuda_visible': ''" in line and "'smi': None" in line
    assert "'after': {'count': 1" in line, line


def test_a_cuda_query_before_the_snapshot_fails_the_test(tmp_path):
    code = snapshot_app("import torch\n\n        self.snap = torch.cuda.is_available()")
    result = smoke(tmp_path, code, SEEN)
    assert result.returncode == 1
    expected = "torch.cuda.is_available() in a @modal.enter(snap=True) hook"
    assert expected in result.stdout, result.stdout[-3000:]


def test_a_cuda_query_that_the_code_swallows_still_fails_the_test(tmp_path):
    code = snapshot_app(
        "import torch\n\n        try:\n            torch.cuda.device_count()\n        except Exception:\n"
        "            pass\n        self.snap = None"
    )
    result = smoke(tmp_path, code, SEEN)
    assert result.returncode == 1 and "torch.cuda.device_count()" in result.stdout, result.stdout[-3000:]


def test_a_gpu_report_cached_before_the_snapshot_stays_empty_after_the_restore(tmp_path):
    """What a real restore does: memory comes back as it was, a cache filled without GPUs included."""
    result = smoke(tmp_path, snapshot_app("self.snap = device_report()"), SEEN)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "'after': {'count': 0" in seen(result) and "'now': {'count': 0" in seen(result)


def test_without_snapshots_every_hook_sees_the_gpus(tmp_path):
    code = snapshot_app("self.snap = device_report()").replace(", enable_memory_snapshot=True", "")
    code = code.replace("(snap=True)", "()").replace("(snap=False)", "()")  # modal refuses snap= then
    result = smoke(tmp_path, code, SEEN)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "'snap': {'count': 1" in seen(result)


def test_a_gpu_snapshot_has_the_gpus_before_the_snapshot(tmp_path):
    extra = ', experimental_options={"enable_gpu_snapshot": True}'
    result = smoke(tmp_path, snapshot_app("self.snap = device_report()", extra), SEEN)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "'snap': {'count': 1" in seen(result)


def test_enter_hooks_run_once_per_container_before_its_first_input(tmp_path):
    app_code = """
    EVENTS = []


    @app.cls()
    class Model:
        @modal.enter()
        def load(self):
            EVENTS.append("enter")

        @modal.method()
        def work(self, x: int) -> list:
            EVENTS.append(f"input {x}")
            return list(EVENTS)
    """
    test_code = """
    @pytest.mark.smoke
    def test_order():
        with m.app.run():
            m.Model().work.remote(1)
            assert m.Model().work.remote(2) == ["enter", "input 1", "input 2"]
    """
    result = smoke(tmp_path, app_code, test_code, {})
    assert result.returncode == 0, result.stdout[-3000:]


SPAWNER = """
@app.function()
def job(x: int) -> int:
    return x * 2
"""


@pytest.mark.parametrize(("detach", "outcome"), [(False, "cancelled"), (True, "result 6")])
def test_an_ephemeral_run_cancels_what_nobody_waited_for(tmp_path, detach, outcome):
    test_code = f"""
    @pytest.mark.smoke
    def test_spawn_then_leave():
        with m.app.run(detach={detach}):
            call = m.job.spawn(3)
        try:
            print("OUTCOME result", modal.FunctionCall.from_id(call.object_id).get())
        except modal.exception.ExecutionError as exc:
            print("OUTCOME", exc)
    """
    result = smoke(tmp_path, SPAWNER, test_code, {})
    assert result.returncode == 0, result.stdout[-3000:]
    line = next(line for line in result.stdout.splitlines() if "OUTCOME" in line)
    assert outcome in line, line


def test_a_result_waited_for_inside_the_run_is_kept(tmp_path):
    test_code = """
    @pytest.mark.smoke
    def test_spawn_and_wait():
        with m.app.run():
            call = m.job.spawn(3)
            assert modal.FunctionCall.gather(call) == [6]
        assert modal.FunctionCall.from_id(call.object_id).get() == 6
    """
    result = smoke(tmp_path, SPAWNER, test_code, {})
    assert result.returncode == 0, result.stdout[-3000:]
