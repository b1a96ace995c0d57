"""Two modalgen commands at once, as an agent or `make -j` starts them: one wins whole, or both
land one after the other; nothing is mixed and nothing is lost.

The processes are real (`python -m modalgen`). A sitecustomize holds each one at a chosen moment
(the first call of a function) until the test releases it, so the race happens where the test
puts it, whatever the machine's load.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from modalgen import catalog
from modalgen.answers.spec import parse_spec
from modalgen.cli.main import main
from modalgen.grow.place import init_git, list_files
from modalgen.render.template import render

BARRIER = """
import importlib, os, time
module_name, attr = os.environ["MODALGEN_HOLD_IN"].rsplit(".", 1)
ready, go = os.environ["MODALGEN_HOLD_READY"], os.environ["MODALGEN_HOLD_GO"]
owner = importlib.import_module(module_name)
original, calls = getattr(owner, attr), [0]

def held(*args, **kwargs):
    calls[0] += 1
    if calls[0] == 1:
        open(ready, "w").close()
        while not os.path.exists(go):
            time.sleep(0.005)
    return original(*args, **kwargs)

setattr(owner, attr, held)
"""


class Held:
    """A modalgen process stopped at the first call of `where` until `release()`."""

    def __init__(self, args: list[str], cwd: Path, where: str, tag: str, tmp: Path, go: Path | None = None):
        site = tmp / f"site-{tag}"
        site.mkdir()
        (site / "sitecustomize.py").write_text(BARRIER)
        self.ready, self.go = tmp / f"ready-{tag}", go or tmp / f"go-{tag}"
        env = {
            **os.environ,
            "MODAL_CONFIG_PATH": str(tmp / "none.toml"),
            "PYTHONPATH": str(site),
            "MODALGEN_HOLD_IN": where,
            "MODALGEN_HOLD_READY": str(self.ready),
            "MODALGEN_HOLD_GO": str(self.go),
        }
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "modalgen", *args],
            cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip

    def wait_ready(self) -> None:
        deadline = time.monotonic() + 120
        while not self.ready.exists():
            assert self.proc.poll() is None, self.proc.communicate()
            assert time.monotonic() < deadline, "the process never reached the moment"
            time.sleep(0.01)

    def release(self) -> None:
        self.go.touch()

    def finish(self) -> tuple[int, str]:
        _, err = self.proc.communicate(timeout=120)
        return self.proc.returncode, err


def expected_files(args: list[str], capsys) -> list[str]:
    """The files `modalgen new ARGS` writes, from its own dry run."""
    assert main([*args, "--dry-run", "--json"]) == 0
    return json.loads(capsys.readouterr().out)["files"]


def git_files(root: Path) -> list[str]:
    run = lambda *a: subprocess.run(["git", *a], cwd=root, capture_output=True, text=True, check=True)  # noqa: E731
    assert run("status", "--porcelain", "--untracked-files=all").stdout == ""  # the commit holds the tree
    return sorted(run("ls-files").stdout.split())


BATCH = ["new", "same", "--workload", "batch", "--description", "The batch one."]
WEB = ["new", "same", "--workload", "web,cron", "--description", "The web one."]


def _one_wins(out: Path, outcomes: dict[str, tuple[int, str]], expected: dict[str, list[str]]) -> None:
    codes = sorted(code for code, _ in outcomes.values())
    assert codes == [0, 2], outcomes
    winner = next(tag for tag, (code, _) in outcomes.items() if code == 0)
    loser_err = next(err for code, err in outcomes.values() if code == 2)
    assert loser_err.count("\n") == 1 and "Traceback" not in loser_err, loser_err
    assert str(out / "same") in loser_err and loser_err.startswith("modalgen: error: target:"), loser_err
    project = out / "same"
    assert list_files(project) == expected[winner]  # the winner's tree, whole, and nothing of the other
    assert git_files(project) == expected[winner]
    assert sorted(p.name for p in out.iterdir()) == ["same"]  # no staging folder, no lock file left


def test_new_twice_into_one_folder_the_second_to_land_exits_2(tmp_path, capsys):
    """The second `new` renders while the first lands: it used to copy its files over the first's."""
    expected = {"batch": expected_files(BATCH, capsys), "web": expected_files(WEB, capsys)}
    out = tmp_path / "out"
    out.mkdir()
    first = Held(
        [*BATCH, "--output-dir", str(out)], tmp_path, "modalgen.grow.place.list_files", "batch", tmp_path
    )
    second = Held(
        [*WEB, "--output-dir", str(out)], tmp_path, "modalgen.grow.place.list_files", "web", tmp_path
    )
    first.wait_ready()
    second.wait_ready()  # both have checked the folder is free and rendered their project
    first.release()
    outcomes = {"batch": first.finish()}
    second.release()
    outcomes["web"] = second.finish()
    assert outcomes["batch"][0] == 0
    _one_wins(out, outcomes, expected)


@pytest.mark.parametrize("into", ["absent", "empty"])
def test_new_twice_released_together_exactly_one_wins(tmp_path, capsys, into):
    """Both land at the same instant, into a folder that is not there or is empty, two rounds."""
    expected = {"batch": expected_files(BATCH, capsys), "web": expected_files(WEB, capsys)}
    for round_ in range(2):
        work = tmp_path / f"round{round_}"
        out = work / "out"
        out.mkdir(parents=True)
        if into == "empty":
            (out / "same").mkdir()
        go = work / "go"
        held = {
            tag: Held(
                [*args, "--output-dir", str(out)], work, "modalgen.grow.place.list_files", tag, work, go
            )
            for tag, args in (("batch", BATCH), ("web", WEB))
        }
        for process in held.values():
            process.wait_ready()
        go.touch()
        outcomes = {tag: process.finish() for tag, process in held.items()}
        if into == "empty":  # a folder the user made is theirs to commit: no git there
            codes = sorted(code for code, _ in outcomes.values())
            assert codes == [0, 2], outcomes
            winner = next(tag for tag, (code, _) in outcomes.items() if code == 0)
            assert list_files(out / "same") == expected[winner]
            assert not (out / "same/.git").exists()
        else:
            _one_wins(out, outcomes, expected)


def _project(root: Path, *, git: bool) -> Path:
    project = render(parse_spec({"name": "grow", "workload": ["batch"]}), root / "grow")
    if git:
        init_git(project)
    return project


def _answers(project: Path) -> dict:
    return yaml.safe_load((project / catalog.ANSWERS_FILE).read_text())


# Each change, and how to see it landed: an answer and a file it made (None: it makes none).
CHANGES = {
    "add cron": (["add", "cron"], lambda a: "cron" in a["workload"], "grow/cron.py"),
    "add web": (["add", "web"], lambda a: "web" in a["workload"], "grow/web.py"),
    "set timeout": (["set", "--timeout", "1200"], lambda a: a["timeout"] == 1200, None),
}


@pytest.mark.parametrize(
    ("pair", "git"),
    [(("add cron", "add web"), False), (("add cron", "set timeout"), True)],
    ids=["add+add-no-git", "add+set-git"],
)
def test_two_changes_at_once_lose_nothing(tmp_path, pair, git):
    """Both read the answers at the same instant: each lands after the other, or one exits 2 having
    written nothing. Before, both said done and the answers file lost the first one's change."""
    project = _project(tmp_path, git=git)
    go = tmp_path / "go"
    held = {
        change: Held([*CHANGES[change][0], "--project", str(project)], tmp_path,
                     "modalgen.answers.file.load_answers", change.replace(" ", "-"), tmp_path, go)
        for change in pair
    }  # fmt: skip
    for process in held.values():
        process.wait_ready()  # both about to read the answers file
    go.touch()
    outcomes = {change: process.finish() for change, process in held.items()}
    answers = _answers(project)
    for change, (code, err) in outcomes.items():
        _, landed, made = CHANGES[change]
        assert code in (0, 2), outcomes
        if code == 0:
            assert landed(answers), (change, answers)
            assert made is None or (project / made).is_file()
        else:
            assert err.count("\n") == 1 and "another modalgen" in err, err
            assert not landed(answers) and (made is None or not (project / made).exists())
    assert 0 in [code for code, _ in outcomes.values()], outcomes
    assert not (project / ".modalgen.lock").exists()
    assert (project / ".git/modalgen.lock").is_file() == git  # kept inside .git, git never sees it
    if git:
        status = subprocess.run(["git", "status", "--porcelain"], cwd=project, capture_output=True, text=True)
        assert ".lock" not in status.stdout


def test_a_change_waits_for_the_one_holding_the_project_or_exits_2(tmp_path, monkeypatch, capsys):
    """The lock is held (here by the test): `add` waits its few seconds, then exits 2, one line."""
    from modalgen.grow import lock

    project = _project(tmp_path, git=False)
    before = {p: p.read_bytes() for p in project.rglob("*") if p.is_file()}
    monkeypatch.setattr(lock, "WAIT_S", 0.3)
    with lock.held(project, "held by the test"):
        assert main(["add", "cron", "--project", str(project)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(project) in err and "another modalgen" in err, err
    assert {p: p.read_bytes() for p in project.rglob("*") if p.is_file()} == before
    assert (
        main(["add", "cron", "--dry-run", "--project", str(project)]) == 0
    )  # a dry run writes nothing: no lock
