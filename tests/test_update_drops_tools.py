"""`modalgen update` of a project an earlier release made: the copied tooling (bench.py,
coldstart.py, serve_local.py, tests/test_bench.py) goes where the user left it as it was made, and
stays, reported, where they edited it. Its serving code logs its timings through common.mark."""

from __future__ import annotations

import subprocess
import sys

import pytest

from modalgen.cli.main import main
from tests.releases import make_release_project

TOOLING = ("legacy/bench.py", "legacy/coldstart.py", "legacy/serve_local.py", "tests/test_bench.py")


@pytest.mark.parametrize("case", ["web", "vllm-server"])
def test_update_removes_the_untouched_tooling(tmp_path, capsys, case):
    project = make_release_project("0.3.0", tmp_path, "legacy", case=case)
    assert all((project / rel).is_file() for rel in TOOLING)  # what 0.3.0 copied into every project
    assert main(["update", "--project", str(project)]) == 0
    out = capsys.readouterr().out
    for rel in TOOLING:
        assert not (project / rel).exists(), rel
        assert f"deleted   {rel}" in out, out
    package = "\n".join(path.read_text() for path in (project / "legacy").glob("*.py"))
    assert "coldstart" not in package.replace("make coldstart", "")  # no import of the gone module
    assert "mark(" in package and "def mark(" in (project / "legacy/common.py").read_text()
    makefile = (project / "Makefile").read_text()
    assert "modalgen bench" in makefile and "python -m $(PACKAGE).bench" not in makefile
    lint = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "."], cwd=project)
    assert lint.returncode == 0


def test_update_keeps_the_tooling_the_user_edited_and_says_so(tmp_path, capsys):
    project = make_release_project("0.3.0", tmp_path, "legacy", case="web")
    bench = project / "legacy/bench.py"
    bench.write_text(bench.read_text() + "\n# our own tweak: a header our gateway needs\n")
    tests = project / "tests/test_bench.py"
    tests.write_text(tests.read_text().replace("def test_", "def test_ours_", 1))
    assert main(["update", "--project", str(project)]) == 0
    out = capsys.readouterr().out
    assert bench.is_file() and "our own tweak" in bench.read_text()
    assert tests.is_file() and "test_ours_" in tests.read_text()
    assert "kept      legacy/bench.py" in out and "kept      tests/test_bench.py" in out, out
    assert "the template no longer has these files, but you edited them" in out
    for rel in ("legacy/coldstart.py", "legacy/serve_local.py"):  # untouched: gone
        assert not (project / rel).exists() and f"deleted   {rel}" in out
