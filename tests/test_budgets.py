"""A generated project is the user's app, small enough to read: line budgets over every stack.

Every file of the rendered project counts, as it lands on disk (the answers file included). The
three budgets issue 15 names are exact; the others are caps chosen here, a little above what the
template renders today, so that a project does not grow back unnoticed:

- a default project (`modalgen new p -y`): 600 lines
- a vLLM Server project: 1,400; a transformers web + service project: 1,500
- any other stack with its default workload (batch): 1,200 (a model stack brings its fake engine,
  its tiny-model tests and the weights download)
- any stack with a web front and a worker (web + service), or a Modal Server: 1,500
- a project with every kind at once: 2,000 (plain), 2,200 (a model stack)
"""

from __future__ import annotations

from pathlib import Path

import pytest

from modalgen import catalog
from modalgen.answers.spec import parse_spec
from modalgen.render.template import render

MODEL_STACKS = ("torch", "transformers", "embeddings", "diffusers")
EVERY_KIND = list(catalog.KIND_NAMES)

CASES = [
    pytest.param({}, 600, id="default"),
    pytest.param({"stack": "vllm", "workload": ["server"]}, 1400, id="vllm-server"),
    pytest.param(
        {"stack": "transformers", "workload": ["web", "service"]}, 1500, id="transformers-web-service"
    ),
    pytest.param({"workload": EVERY_KIND}, 2300, id="plain-every-kind"),  # nine kinds, train the longest
    *(pytest.param({"stack": s}, 1200, id=f"{s}-default") for s in MODEL_STACKS),
    *(
        pytest.param({"stack": s, "workload": ["web", "service"]}, 1500, id=f"{s}-web-service")
        for s in MODEL_STACKS
    ),
    *(
        pytest.param({"stack": s, "workload": ["server"]}, 1500, id=f"{s}-server")
        for s in ("plain", *MODEL_STACKS)
    ),
    # Every kind a stack runs: train (its loop and its tests, about 580 lines) where it runs.
    *(
        pytest.param(
            {"stack": s, "workload": list(catalog.kinds_of_stack(catalog.STACK_BY_NAME[s]))},
            2500 if "train" in catalog.kinds_of_stack(catalog.STACK_BY_NAME[s]) else 2200,
            id=f"{s}-every-kind",
        )
        for s in MODEL_STACKS
    ),  # fmt: skip
]


def lines_by_file(project: Path) -> dict[str, int]:
    return {
        str(p.relative_to(project)): len(p.read_text(encoding="utf-8").splitlines())
        for p in sorted(project.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(project).parts
    }


@pytest.mark.parametrize(("answers", "budget"), CASES)
def test_generated_project_stays_within_its_line_budget(tmp_path, answers, budget):
    project = render(parse_spec({"name": "p", **answers}), tmp_path / "p")
    counts = lines_by_file(project)
    total = sum(counts.values())
    biggest = ", ".join(f"{rel} {n}" for rel, n in sorted(counts.items(), key=lambda kv: -kv[1])[:6])
    assert total <= budget, f"{total} lines over {len(counts)} files, budget {budget}; largest: {biggest}"
