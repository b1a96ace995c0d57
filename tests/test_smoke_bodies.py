"""The smoke test's promise, proven: the core ran on Modal on the GPUs its function is configured with.

For every GPU type of the catalogue, counts above one, a fallback list and CPU-only, a rendered
project's own `test_core_runs_on_the_requested_gpus` runs against the local stand-in for Modal
with a fake `nvidia-smi` printing what real machines print. It passes when the names and count
match the configuration, and fails, naming both, when they don't.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from modalgen import catalog
from modalgen.answers.spec import parse_spec
from modalgen.render.template import render
from tests.smoke_runs import NVIDIA_SMI_NAMES, run_smoke, served

# (project GPU answer, what nvidia-smi shows in run_core's container, passes?, what a failure names)
CASES = [
    *((g.name, served(g.name), True, None) for g in catalog.GPUS),
    *((f"{g.name}:{g.max_count}", served(f"{g.name}:{g.max_count}"), True, None) for g in catalog.GPUS[:3]),
    ("H100:2,A100-80GB:2", served("A100-80GB:2"), True, None),  # any entry of a fallback list
    ("cpu", [], True, None),
    # Modal's documented upgrades: H100 may be served on an H200, B200+ on a B300, A100 on 80 GB.
    ("H100", ["NVIDIA H200"], True, None),
    ("B200+", ["NVIDIA B300"], True, None),
    ("A100", ["NVIDIA A100-SXM4-80GB"], True, None),
    # Mismatches fail, with a message naming both.
    ("H100!", ["NVIDIA H200"], False, ("configured for H100!", "the container has 1 x NVIDIA H200")),
    ("L4", served("T4"), False, ("configured for L4", "the container has 1 x Tesla T4")),
    (
        "H100:2",
        served("H100"),
        False,
        ("configured for H100:2", "the container has 1 x NVIDIA H100 80GB HBM3"),
    ),
    ("A100-80GB", served("A100-40GB"), False, ("configured for A100-80GB", "NVIDIA A100-SXM4-40GB")),
    ("cpu", served("L4"), False, ("configured for no GPU", "the container has 1 x NVIDIA L4")),
    ("T4", [], False, ("configured for T4", "the container has no GPU")),
    ("H100:2,A100-80GB:2", served("L40S:2"), False, ("configured for H100:2 or A100-80GB:2", "NVIDIA L40S")),
]
IDS = [f"{gpu}->{'+'.join(shown) or 'none'}" for gpu, shown, _, _ in CASES]


def _project_for(root: Path, gpu: str) -> Path:
    spelled = gpu.lower().replace("!", "-strict").replace("+", "-plus")
    name = "smoke-" + "".join(c if c.isalnum() else "-" for c in spelled).strip("-").replace("--", "-")
    target = root / name
    if not target.exists():
        raw = {"name": name, "gpu": [] if gpu == "cpu" else gpu.split(",")}
        render(parse_spec(raw), target)
    return target


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    """Each case's smoke test, run side by side (each is its own pytest process)."""
    root = tmp_path_factory.mktemp("smoke-projects")
    projects = {gpu: _project_for(root, gpu) for gpu, *_ in CASES}

    def run(case):
        gpu, shown, _, _ = case
        project = projects[gpu]
        return run_smoke(project, {"run_core": shown}, tmp_path_factory.mktemp("run"), "-k", "requested_gpus")

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        return dict(zip(IDS, pool.map(run, CASES), strict=True))


@pytest.mark.parametrize(("gpu", "shown", "passes", "named"), CASES, ids=IDS)
def test_smoke_test_body_against_the_stand_in(results, gpu, shown, passes, named):
    result = results[IDS[CASES.index((gpu, shown, passes, named))]]
    out = result.stdout + result.stderr
    assert "1 passed" in out or "1 failed" in out, out[-3000:]  # the body ran: no skip
    if passes:
        assert result.returncode == 0, out[-3000:]
    else:
        assert result.returncode == 1, out[-3000:]
        for part in named:
            assert part in out, (part, out[-3000:])


def test_every_real_machine_name_is_known():
    assert set(NVIDIA_SMI_NAMES) == {g.name for g in catalog.GPUS}
