"""Faults: an interruption or failure at any point leaves no partial project and no scratch folder.

Two kinds of kill points: every file write and every git or rename step, made to fail in-process
(Ctrl-C or a full disk), and real SIGINT / SIGTERM sent to a running `modalgen` at many moments.
"""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from modalgen.answers.spec import parse_spec
from modalgen.cli.main import main
from modalgen.grow import commands as grow
from modalgen.grow import merge, place
from tests.generated import rendered

NEW_ARGS = ["new", "proj", "--workload", "batch,web,cron", "--volume", "data"]


@pytest.fixture
def scratch_root(tmp_path, monkeypatch) -> Path:
    """Point the temporary directory at a folder the test can inspect."""
    root = tmp_path / "tmp"
    root.mkdir()
    monkeypatch.setenv("TMPDIR", str(root))
    monkeypatch.setattr(tempfile, "tempdir", str(root))
    return root


def leftovers(*roots: Path) -> list[Path]:
    """Scratch folders and staged files modalgen makes: .modalgen-staging-*, -merge-*, -tmp-*."""
    return [
        p for root in roots for p in root.rglob("*")
        if p.name.startswith(".modalgen-") and p.name != ".modalgen-answers.yml"
    ]  # fmt: skip


def count_calls(monkeypatch, owner, name) -> list[int]:
    calls = [0]
    original = getattr(owner, name)

    def counting(*args, **kwargs):
        calls[0] += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, counting)
    return calls


def fail_on(monkeypatch, owner, name, k: int, fault: BaseException) -> None:
    original = getattr(owner, name)
    calls = [0]

    def failing(*args, **kwargs):
        calls[0] += 1
        if calls[0] == k:
            raise fault
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, failing)


def file_writes_in_a_new() -> int:
    with pytest.MonkeyPatch.context() as mp, tempfile.TemporaryDirectory() as out:
        calls = count_calls(mp, Path, "write_bytes")
        assert main([*NEW_ARGS, "--no-git", "--output-dir", out]) == 0
        return calls[0]


WRITES = file_writes_in_a_new()
FAULTS = {
    "ctrl-c": (KeyboardInterrupt(), 130),
    "disk-full": (OSError(errno.ENOSPC, "No space left on device"), 1),
}


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("k", range(1, WRITES + 1))
def test_new_interrupted_at_every_file_write(tmp_path, scratch_root, monkeypatch, capsys, k, fault):
    error, code = FAULTS[fault]
    fail_on(monkeypatch, Path, "write_bytes", k, error)
    out = tmp_path / "out"
    assert main([*NEW_ARGS, "--no-git", "--output-dir", str(out)]) == code
    assert not (out / "proj").exists()
    assert leftovers(tmp_path) == []
    assert "Traceback" not in capsys.readouterr().err


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("step", ["git", "rename"])
def test_new_interrupted_in_git_or_rename(tmp_path, scratch_root, monkeypatch, step, fault):
    error, code = FAULTS[fault]
    if step == "git":
        fail_on(monkeypatch, place, "run_to_the_end", 2, error)  # git init ran, then git fails
    else:
        fail_on(monkeypatch, place.os, "rename", 1, error)
    out = tmp_path / "out"
    assert main([*NEW_ARGS, "--output-dir", str(out)]) == code
    assert not (out / "proj").exists() and leftovers(tmp_path) == []


def test_output_dirs_created_for_a_failed_project_are_removed(tmp_path, scratch_root, monkeypatch):
    fail_on(monkeypatch, Path, "write_bytes", 3, KeyboardInterrupt())
    assert main([*NEW_ARGS, "--no-git", "--output-dir", str(tmp_path / "a/b/c")]) == 130
    assert not (tmp_path / "a").exists()


def test_add_interrupted_at_every_staged_file_changes_nothing(tmp_path, scratch_root):
    project = rendered({"name": "grow", "volume": [{"name": "d"}]}, tmp_path / "grow")
    core = project / "grow/core.py"
    core.write_text(core.read_text() + "\n# mine\n")
    before = {p: p.read_bytes() for p in project.rglob("*") if p.is_file()}
    with pytest.MonkeyPatch.context() as mp:
        calls = count_calls(mp, merge, "_stage")
        assert main(["add", "web", "--dry-run", "--project", str(project)]) == 0
        assert calls[0] == 0  # a dry run stages nothing
    opened = grow.open_project(project)
    staged = len(
        grow.plan_growth(opened, parse_spec(grow.with_addition(opened.answers, "web", None, {}))).writes
    )
    assert staged >= 8
    for k in range(1, staged + 1):
        for error, code in FAULTS.values():
            with pytest.MonkeyPatch.context() as mp:
                fail_on(mp, merge, "_stage", k, error)
                assert main(["add", "web", "--project", str(project)]) == code
            assert {p: p.read_bytes() for p in project.rglob("*") if p.is_file()} == before
            assert leftovers(tmp_path) == []
    assert main(["add", "web", "--project", str(project)]) == 0  # and without a fault it goes through
    assert (project / "grow/web.py").is_file() and core.read_text().endswith("# mine\n")


def _spawn(args: list[str], cwd: Path) -> subprocess.Popen:
    env = {**os.environ, "MODAL_CONFIG_PATH": str(cwd / "none.toml")}
    return subprocess.Popen(
        [sys.executable, "-m", "modalgen", *args],
        cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip


def _wait_for_handlers(proc: subprocess.Popen) -> None:
    """Wait until the process catches SIGTERM (Linux: the SigCgt mask of /proc/PID/status).

    modalgen installs its handler as the first thing its code does (`modalgen.entry`). Before that
    the interpreter is still starting: a signal there kills it as any program is killed (-15), or
    raises KeyboardInterrupt in the interpreter's own start-up (-2), and no code of modalgen's can
    answer it. How long that start-up takes depends on the machine's load, so the moments are
    counted from here, not from the spawn.
    """
    status = Path(f"/proc/{proc.pid}/status")
    bit = 1 << (signal.SIGTERM - 1)
    while proc.poll() is None:
        caught = next(line for line in status.read_text().splitlines() if line.startswith("SigCgt:"))
        if int(caught.split()[1], 16) & bit:
            return
        time.sleep(0.001)
    raise AssertionError(f"modalgen ended before it caught SIGTERM: {proc.communicate()}")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_real_signals_at_many_moments(tmp_path, sig):
    """Signals sent at 20 moments spread over a run: each run ends whole or leaves nothing.

    The moments run from the installation of modalgen's handler (0 ms) to 950 ms after it, whatever
    the interpreter's start-up took before it (it used to be 50 ms after the spawn, which under
    load was still in the interpreter's start-up, before any modalgen code: a death by signal).
    """
    outcomes = {0: 0, 130: 0}
    reference = None
    for i in range(20):
        work = tmp_path / f"run{i}"
        work.mkdir()
        proc = _spawn(NEW_ARGS, work)
        _wait_for_handlers(proc)
        time.sleep(i * 0.05)
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode in outcomes, (proc.returncode, err)
        outcomes[proc.returncode] += 1
        assert b"Traceback" not in err
        assert leftovers(work) == []
        project = work / "proj"
        if project.exists():  # finished, possibly interrupted just after the project landed: whole
            files = sorted(str(p.relative_to(project)) for p in project.rglob("*") if ".git" not in p.parts)
            reference = reference or files
            assert files == reference
        else:
            assert proc.returncode == 130
    assert outcomes[130] > 0  # the moments did reach into the run


# A sitecustomize that stops a modalgen process at a chosen moment: the k-th call of a function
# (a file write of `new`, a staged file of `add`/`update`), tells the test it is there, and waits.
# The test then sends the signal: the moment is exact whatever the machine's load, no sleep decides it.
PAUSE = """
import importlib, os, time
module_name, attr = os.environ["MODALGEN_PAUSE_IN"].rsplit(".", 1)
k, ready = int(os.environ["MODALGEN_PAUSE_AT"]), os.environ["MODALGEN_PAUSE_READY"]
owner = importlib.import_module(module_name)
if module_name == "pathlib":
    owner = owner.Path
original, calls = getattr(owner, attr), [0]

def paused(*args, **kwargs):
    calls[0] += 1
    if calls[0] == k:
        open(ready, "w").close()
        while True:
            time.sleep(0.01)
    return original(*args, **kwargs)

setattr(owner, attr, paused)
"""


def _paused_run(args: list[str], cwd: Path, where: str, k: int, tmp: Path) -> tuple[subprocess.Popen, Path]:
    site = tmp / f"site-{where}-{k}"
    site.mkdir()
    (site / "sitecustomize.py").write_text(PAUSE)
    ready = tmp / f"ready-{where}-{k}"
    env = {
        **os.environ,
        "MODAL_CONFIG_PATH": str(cwd / "none.toml"),
        "PYTHONPATH": str(site),
        "MODALGEN_PAUSE_IN": where,
        "MODALGEN_PAUSE_AT": str(k),
        "MODALGEN_PAUSE_READY": str(ready),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "modalgen", *args],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    while not ready.exists():  # the process is at the chosen moment, however long it took to get there
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.01)
    return proc, ready


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("k", [1, 5, 12])
def test_signal_at_an_exact_moment_of_new(tmp_path, sig, k):
    work = tmp_path / "work"
    work.mkdir()
    proc, _ = _paused_run(NEW_ARGS, work, "pathlib.write_bytes", k, tmp_path)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode in (130, 143), (proc.returncode, err)
    assert b"Traceback" not in err and b"interrupted" in err
    assert not (work / "proj").exists() and leftovers(work) == [] and leftovers(tmp_path / "work") == []


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("command", ["add", "update", "set"])
def test_signal_at_an_exact_moment_of_add_update_and_set(tmp_path, sig, command):
    from tests.releases import make_release_project

    if command == "update":
        project = make_release_project("0.1.0", tmp_path, "grow", workloads=["batch", "web"])
        args = ["update", "--project", str(project)]
    else:
        project = rendered({"name": "grow", "volume": [{"name": "d"}]}, tmp_path / "grow")
        args = ["add", "web", "--project", str(project)] if command == "add" else \
            ["set", "--timeout", "1200", "--project", str(project)]  # fmt: skip
    mine = project / "grow/mine.py"
    mine.write_text("# mine\n")
    before = {p: p.read_bytes() for p in project.rglob("*") if p.is_file()}
    proc, _ = _paused_run(args, tmp_path, "tempfile.mkstemp", 2, tmp_path)  # the second staged file
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode in (130, 143), (proc.returncode, err)
    assert b"Traceback" not in err
    assert {p: p.read_bytes() for p in project.rglob("*") if p.is_file()} == before
    assert leftovers(project) == []


def test_an_interrupt_python_would_ignore_is_delivered_again(tmp_path):
    """A signal's KeyboardInterrupt raised inside a callback Python ignores exceptions in (the import
    system's module-lock weakref callback, seen in CI under SIGTERM) is delivered again: the run
    unwinds (exit 130) instead of printing a traceback and carrying on."""
    script = tmp_path / "lost.py"
    script.write_text(
        "import sys, time, weakref\n"
        "import modalgen\n"
        "modalgen.answer_signals()\n"
        "class A: pass\n"
        "a = A()\n"
        "def cb(ref):\n"
        "    raise KeyboardInterrupt\n"
        "r = weakref.ref(a, cb)\n"
        "try:\n"
        "    del a\n"
        "    time.sleep(2)\n"
        "    sys.exit(1)\n"
        "except KeyboardInterrupt:\n"
        "    sys.exit(130)\n"
    )
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 130 and "Traceback" not in result.stderr, result.stderr
