"""`modalgen update` from every earlier release: a project a release made, edited by its user,
comes to this template with its edits kept and passes its own tests.

A file apart from tests/test_grow.py (whose helpers it uses) so that with `--dist loadfile` the
two workers share the growth tests' time; all the update cases stay in this one file's process,
so that two releases' updates that come to the same tree run its suite once (`_suite_of`).
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import pytest
import yaml

from modalgen import __version__, catalog
from modalgen.cli.main import main
from tests.generated import read_plan
from tests.releases import RELEASES, make_release_project, recorded_cases
from tests.smoke_runs import fake_gpus, run_smoke
from tests.test_grow import SHA, edit, make, tree

UPDATE_CASES = [("0.1.0", kind) for kind in ("batch", "map", "web", "cron", "service", "batched", "spawn")]
UPDATE_CASES += [(release, case) for release in RELEASES[1:] for case in recorded_cases(release)]
UPDATE_PARAMS = [pytest.param(release, case, id=f"{release}-{case}") for release, case in UPDATE_CASES]
_SUITE_RUNS: dict[str, subprocess.CompletedProcess] = {}


def _suite_of(project: Path, fake: dict, tmp: Path, *args: str) -> subprocess.CompletedProcess:
    """The project's own suite on the stand-in, run once per distinct tree (every file's bytes and
    mode), fake GPUs and arguments in this test process.

    Releases 0.2.0 and 0.3.0 recorded the same answers for every case, so their updates must come to
    the same tree, byte for byte: each test proves its tree equals `new` of those answers with the
    same edits before it asks for the suite. A second run of the same files would prove nothing more.
    """
    files = sorted((rel, text, (project / rel).stat().st_mode) for rel, text in tree(project).items())
    key = hashlib.sha256(json.dumps([files, fake, args]).encode()).hexdigest()
    if key not in _SUITE_RUNS:
        _SUITE_RUNS[key] = run_smoke(project, fake, tmp, *args)
    return _SUITE_RUNS[key]


def _release_project(release: str, case: str, root: Path) -> tuple[Path, dict]:
    """A project `release` made for `case`, and the raw answers `new` takes for the same project now."""
    if release == "0.1.0":
        given = {"workloads": [case], "volumes": [{"name": "data", "mount": "/data"}], "secrets": ["openai"]}
        now = {"workload": [case], "volume": [{"name": "data", "mount": "/data"}], "secret": ["openai"]}
        if case == "service":
            given["hf_model"] = now["hf_model"] = f"org/m@{SHA}"
        return make_release_project(release, root, "legacy", **given), now
    recorded = recorded_cases(release)[case]
    now = {k: v for k, v in recorded.items() if k not in {"modalgen_version", "plan", "name"}}
    return make_release_project(release, root, "legacy", case=case), now


@pytest.mark.parametrize(("release", "case"), UPDATE_PARAMS)
def test_update_from_an_earlier_release_keeps_edits_and_passes_its_tests(tmp_path, capsys, release, case):
    """A project an earlier release made, edited by its user, comes to this template by `update`."""
    project, now = _release_project(release, case, tmp_path / "old")
    edit(project, "legacy")
    assert main(["update", "--project", str(project)]) == 0, capsys.readouterr()
    answers = yaml.safe_load((project / catalog.ANSWERS_FILE).read_text())
    assert answers["modalgen_version"] == __version__
    expected = make(tmp_path / "expected", "legacy", now)
    edit(expected, "legacy")
    assert tree(project) == tree(expected)
    # The model tests need the stack's packages (tests/test_stacks.py runs them); the rest runs here.
    result = _suite_of(project, fake_gpus(read_plan(project)), tmp_path, "-m", "not model")
    assert result.returncode == 0 and " skipped" not in result.stdout, result.stdout[-3000:]
    capsys.readouterr()
    assert main(["update", "--project", str(project)]) == 0
    assert "nothing to update" in capsys.readouterr().out
