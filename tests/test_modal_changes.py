"""Modal's changed APIs (modalgen/catalog/modal_changes.py): each record is what the installed
`modal` client says, `modalgen check` finds their uses in a project, and `modalgen update`
rewrites the plain renames in the files modalgen wrote, the user's lines included.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import modal
import pytest

from modalgen import catalog
from modalgen.catalog.modal_changes import MODAL_CHANGES, findings, migrated
from modalgen.cli.main import main
from tests.releases import RELEASES, make_release_project, recorded_cases

CLIENT = Path(modal.__file__).parent

# Code each change the pinned client refuses: it must fail in the real client, or the record is wrong.
REFUSED = {
    r"\bkeep_warm\s*=": "@app.function(keep_warm=1)\ndef f():\n    pass",
    r"\bconcurrency_limit\s*=": "@app.function(concurrency_limit=1)\ndef f():\n    pass",
    r"\bcontainer_idle_timeout\s*=": "@app.function(container_idle_timeout=60)\ndef f():\n    pass",
    r"\ballow_concurrent_inputs\s*=": "@app.function(allow_concurrent_inputs=4)\ndef f():\n    pass",
    r"\bmodal\.web_endpoint\b": "@app.function()\n@modal.web_endpoint()\ndef f():\n    pass",
    r"\bmodal\.Stub\b": "stub = modal.Stub('x')",
}


def _sources(change) -> list[Path]:
    return [CLIENT.parent / part.split(" ")[0] for part in change.source.split(", ")]


@pytest.mark.parametrize("change", MODAL_CHANGES, ids=lambda c: c.pattern)
def test_each_record_is_what_the_installed_client_says(change):
    texts = [path.read_text() for path in _sources(change)]
    if change.deprecated_on:
        year, month, day = (int(part) for part in change.deprecated_on.split("-"))
        assert any(f"({year}, {month}, {day})" in text for text in texts), change
    if change.removed_in == "1.7":
        assert any(re.search(r"1\.7\.0", text) for text in texts), change
    if change.removed_in == "1.6":  # the pinned client refuses it: the app does not even import
        code = f"import modal\napp = modal.App('x')\n{REFUSED[change.pattern]}\n"
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        assert result.returncode == 1 and ("DeprecationError" in result.stderr or "Stub" in result.stderr)
        assert change.find(REFUSED[change.pattern])
        if change.rewrite is not None:  # and the rewrite is what the client accepts
            fixed = migrated(code)
            assert not findings("x.py", fixed)
            assert subprocess.run([sys.executable, "-c", fixed], capture_output=True).returncode == 0, fixed
    assert change.removed_in in (None, "1.6", "1.7") and catalog.MODAL_MINOR == "1.6"


def test_a_comment_that_names_an_old_api_is_no_use_of_it():
    text = "# keep_warm= was the old name\nx = dict(keep_warm=1)  # the old name\n"
    assert [f.line for f in findings("a.py", text)] == [2]  # code with a comment after it still counts
    assert migrated("# keep_warm=1\n") == "# keep_warm=1\n"


def _check(capsys, project: Path) -> tuple[int, dict]:
    capsys.readouterr()
    code = main(["check", "--json", "--project", str(project)])
    return code, json.loads(capsys.readouterr().out)


def _old_project(tmp_path: Path) -> tuple[Path, str]:
    release = RELEASES[-1]
    project = make_release_project(release, tmp_path, "legacy", case=sorted(recorded_cases(release))[0])
    return project, release


def test_update_rewrites_renamed_apis_in_modalgens_files_and_check_names_the_rest(tmp_path, capsys):
    project, _ = _old_project(tmp_path)
    common = project / "legacy" / "common.py"
    common.write_text(common.read_text() + "\nSCALING = dict(keep_warm=1, container_idle_timeout=60)\n")
    own = project / "legacy" / "tools_of_mine.py"  # the user's own module: modalgen never writes it
    own.write_text("def functions(app):\n    return app.registered_functions\n\n\nWARM = dict(keep_warm=1)\n")
    code, report = _check(capsys, project)
    assert code == 10  # made by an earlier release: an update exists
    found = {(u["path"], u["line"], u["update_rewrites"]) for u in report["modal_changes"]}
    last = len(common.read_text().splitlines())
    assert ("legacy/common.py", last, True) in found
    assert {("legacy/tools_of_mine.py", 2, False), ("legacy/tools_of_mine.py", 5, True)} <= found

    assert main(["update", "--project", str(project)]) == 0
    out, err = capsys.readouterr()
    assert re.search(r"migrated\s+legacy/common.py", out), out
    assert "legacy/tools_of_mine.py:2: `App.registered_functions`" in err  # left for a person, named
    assert "SCALING = dict(min_containers=1, scaledown_window=60)" in common.read_text()
    assert "keep_warm=1" in own.read_text()  # not modalgen's file: named by check, not rewritten
    code, report = _check(capsys, project)
    assert code == 11 and {u["path"] for u in report["modal_changes"]} == {"legacy/tools_of_mine.py"}
    assert main(["check", "--project", str(project)]) == 11
    text = capsys.readouterr().out
    assert "legacy/tools_of_mine.py:2: `App.registered_functions`" in text and "gone in modal 1.7" in text
    assert "change it by hand" in text and "`modalgen update` rewrites it" in text


def test_a_dry_run_update_shows_the_rewrite_and_writes_nothing(tmp_path, capsys):
    project, _ = _old_project(tmp_path)
    common = project / "legacy" / "common.py"
    before = common.read_text() + "\nWARM = dict(keep_warm=1)\n"
    common.write_text(before)
    assert main(["update", "--dry-run", "--project", str(project)]) == 0
    out = capsys.readouterr().out
    assert "-WARM = dict(keep_warm=1)" in out and "+WARM = dict(min_containers=1)" in out
    assert common.read_text() == before
