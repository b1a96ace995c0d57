"""The matrix's projects that run their own test suite: offline tests and smoke tests, the smoke
tests against the local stand-in for Modal with the GPUs each function's plan gives it.

A file apart from tests/test_matrix.py (which renders and checks all 132 combinations) so that
`--dist loadfile` gives the two, the suite's longest fixtures, to the two workers side by side.
These 18 projects are rendered here again from the same answers (the same bytes).
"""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from modalgen import catalog
from tests.combinations import STRUCTURES
from tests.generated import read_plan
from tests.smoke_runs import fake_gpus, model_python_or_skip, run_smoke
from tests.test_matrix import PROJECTS, render_all


def _runs_its_suite(raw: dict) -> bool:
    """All kinds in every shape, every kind alone on a GPU, every front beside every worker on CPU."""
    kinds = tuple(raw["workload"])
    shape = raw["name"].split("-", 1)[1]
    return (
        kinds == catalog.KIND_NAMES
        or (len(kinds) == 1 and shape == "one")
        or (len(kinds) == 2 and shape == "cpu")
    )


def _one_torchrun(plan: dict) -> tuple[str, ...]:
    """The training smoke test starts one torch process per GPU: on B200:8, eight on this 2-core
    machine (25 s), on a fallback list of X:2 two (10 s), to prove what tests/test_train.py proves
    with two (world size = GPU count, torchrun under the stand-in)."""
    (train,) = [fn for fn in plan["functions"] if fn["name"] == "train"]
    counts = [int(choice.partition(":")[2] or 1) for choice in train["gpu"]]
    return ("-k", "not test_training_on_modal") if max(counts, default=1) > 1 else ()


SUITES = [p for p in PROJECTS[: len(STRUCTURES)] if _runs_its_suite(p)]


@pytest.fixture(scope="session")
def suite_results(tmp_path_factory) -> dict[str, subprocess.CompletedProcess]:
    """Each project's own test suite, smoke tests on the stand-in, run side by side."""
    root = render_all(SUITES, tmp_path_factory.mktemp("suites"))

    trains = [raw for raw in SUITES if "train" in raw["workload"]]
    python = model_python_or_skip() if trains else sys.executable

    def run(raw: dict) -> subprocess.CompletedProcess:
        project = root / raw["name"]
        tmp = tmp_path_factory.mktemp("smoke")
        if raw in trains:  # the loop runs torch; its `model` tests run in tests/test_train.py
            plan = read_plan(project)
            only = _one_torchrun(plan)
            return run_smoke(project, fake_gpus(plan), tmp, "-m", "not model", *only, python=python)
        return run_smoke(project, fake_gpus(read_plan(project)), tmp, "-m", "")

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        return dict(zip([p["name"] for p in SUITES], pool.map(run, SUITES), strict=True))


@pytest.mark.parametrize("raw", SUITES, ids=[p["name"] for p in SUITES])
def test_generated_suite_with_smoke_tests_on_the_stand_in(suite_results, raw):
    """The project's own tests, smoke tests included, their bodies run: none may skip."""
    result = suite_results[raw["name"]]
    out = result.stdout + result.stderr
    assert result.returncode == 0, out[-4000:]
    assert " skipped" not in out and " passed" in out, out[-2000:]
