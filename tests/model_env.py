"""The packages of the environment modalgen's CI runs the model stacks' real code in.

`make test-model` of a generated project runs its stack's code on a CPU with a tiny offline model.
CI gives it one environment for every stack: the stacks' own test packages (torch as a CPU build)
and what a generated project's tests import. `.ci/run` installs it with pip, which takes the CPU
build of torch this kind of machine keeps on disk, where uv would download a CUDA build of several
GB. `python -m tests.model_env` prints the requirements, one a line.
"""

from __future__ import annotations

import re

from modalgen import catalog

PROJECT_TESTS = (
    f"modal~={catalog.MODAL_MINOR}.0",
    "pytest>=8",
    "pyyaml>=6",
    "croniter>=2.0",
    "tzdata>=2024.1",
    "httpx>=0.27",
    "fastapi[standard]>=0.110",
    "flask>=3.0",
    "matplotlib>=3.8",  # the train workload's loss curve
)


def _name(requirement: str) -> str:
    return re.split(r"[\[<>=!~ ]", requirement, maxsplit=1)[0].lower()


def requirements() -> list[str]:
    """Every stack's test packages, every fine-tuning method's (bitsandbytes: QLoRA runs on a CPU
    too), then the projects' own; the first pin of a package wins."""
    chosen: dict[str, str] = {}
    methods = [catalog.PINS[p] for packages in catalog.TRAIN_METHOD_PACKAGES.values() for p in packages]
    for requirement in [p for s in catalog.STACKS for p in s.test_packages] + methods + list(PROJECT_TESTS):
        chosen.setdefault(_name(requirement), requirement)
    return list(chosen.values())


if __name__ == "__main__":
    print("\n".join(requirements()))
