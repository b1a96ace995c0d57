"""`modalgen add`, `set` and `update`: growing and changing a project without losing a line.

The invariant: `new(P)` then `add(X)` gives byte for byte the tree of `new(P + X)` (and `set`:
`new(P)` then `set(A)` gives `new(P with A)`), and with user edits away from the changed lines,
those edits survive and everything else still matches.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import yaml

from modalgen import __version__, catalog
from modalgen.answers.spec import parse_spec
from modalgen.cli.main import main
from modalgen.grow.merge import MARKERS, read_tree
from modalgen.render import template as render
from tests.releases import RELEASES, make_release_project, recorded_cases
from tests.smoke_runs import fake_gpus, run_smoke

SHA = "d" * 40
BASES = {
    "defaults": {},
    "cpu-web-map": {"gpu": [], "workload": ["web", "map"], "max_inputs": 4},
    "fallback-jobs": {"gpu": ["H100:2", "A100-80GB:2"], "workload": ["batch", "cron"],
                      "volume": [{"name": "data"}], "timezone": "Europe/Berlin", "retries": 2},
    "stateful": {"gpu": ["L40S"], "workload": ["service"], "secret": ["openai"],
                 "hf_model": f"org/m@{SHA}", "min_containers": 1},
    "batching": {"workload": ["batched", "spawn"], "snapshot": True, "batch_size": 8, "apt": ["ffmpeg"]},
    "flask-period": {"gpu": ["T4"], "workload": ["web", "cron"], "web_style": "wsgi", "public": True,
                     "period": "6h", "env": {"MODE": "it's"}, "base": "cuda"},
}  # fmt: skip
ADDITIONS = [(kind, None) for kind in catalog.KIND_NAMES] + [
    ("volume", "extra-vol"),
    ("secret", "extra-secret"),
]
INVARIANT_CASES = [
    (base, kind, value)
    for base, raw in BASES.items()
    for kind, value in ADDITIONS
    if kind not in raw.get("workload", catalog.DEFAULT_KINDS)
]


def make(root: Path, name: str, raw: dict) -> Path:
    render.render(parse_spec({"name": name, **raw}), root / name)
    return root / name


def expected_raw(raw: dict, kind: str, value: str | None) -> dict:
    """P + X, written out independently of modalgen's own `with_addition`."""
    grown = {"workload": list(catalog.DEFAULT_KINDS), **raw}
    if kind == "volume":
        grown["volume"] = [*grown.get("volume", []), {"name": value, "mount": f"/{value}"}]
    elif kind == "secret":
        grown["secret"] = [*grown.get("secret", []), value]
    else:
        grown["workload"] = [*grown["workload"], kind]
    return grown


def add(project: Path, *args: str) -> int:
    return main(["add", *args, "--project", str(project)])


def tree(root: Path) -> dict[str, str]:
    return {k: v for k, v in read_tree(root).items() if not k.startswith(".venv")}


def edit(project: Path, name: str) -> None:
    """A user's edits away from the lines `add` and `set` change: new code, a title, a target, a test."""
    package = project / name.replace("-", "_")
    (package / "mine.py").write_text("def mine() -> int:\n    return 42\n")
    (project / ".gitignore").write_text("# my own ignores\n*.sqlite\n" + (project / ".gitignore").read_text())
    readme = (project / "README.md").read_text()
    (project / "README.md").write_text(readme.replace(f"# {name}\n", f"# {name} (production)\n", 1))
    makefile = (project / "Makefile").read_text()
    (project / "Makefile").write_text("# Maintained by the platform team.\n" + makefile)
    (project / "tests" / "test_mine.py").write_text("def test_mine():\n    assert True\n")


@pytest.mark.parametrize(("base", "kind", "value"), INVARIANT_CASES,
                         ids=[f"{b}+{k}" for b, k, _ in INVARIANT_CASES])  # fmt: skip
def test_add_equals_new_with_the_addition(tmp_path, base, kind, value, capsys):
    raw = BASES[base]
    project = make(tmp_path / "grown", "proj", raw)
    edited = make(tmp_path / "edited", "proj", raw)
    edit(edited, "proj")
    expected = make(tmp_path / "expected", "proj", expected_raw(raw, kind, value))
    args = [kind, value] if value else [kind]
    assert add(project, *args) == 0, capsys.readouterr().err
    assert tree(project) == tree(expected)
    assert add(edited, *args) == 0, capsys.readouterr().err
    edit(expected, "proj")  # the same edits on new(P + X)
    assert tree(edited) == tree(expected)


def test_add_the_same_thing_twice_changes_nothing(tmp_path, capsys):
    project = make(tmp_path, "twice", {})
    assert add(project, "cron") == 0
    before = tree(project)
    capsys.readouterr()
    assert add(project, "cron") == 0
    assert "already" in capsys.readouterr().out
    assert add(project, "batch") == 0
    assert tree(project) == before


@pytest.mark.parametrize(
    ("raw", "args", "option"),
    [
        ({"workload": ["cron"], "cron": "0 6 * * *"}, ["cron", "--cron", "0 9 * * *"], "--cron"),
        ({}, ["secret", "s", "--gpu", "A10G"], "--gpu"),
        (
            {"workload": ["service"], "min_containers": 1},
            ["web", "--min-containers", "2"],
            "--min-containers",
        ),
        ({"workload": ["web"]}, ["web", "--web-style", "wsgi"], "--web-style"),
        ({"volume": [{"name": "data"}]}, ["volume", "data:/elsewhere"], "--volume"),
    ],
    ids=["cron", "gpu-on-secret", "min-containers", "web-style", "volume-mount"],
)
def test_add_never_changes_what_exists(tmp_path, capsys, raw, args, option):
    project = make(tmp_path, "fixed", raw)
    before = tree(project)
    assert add(project, *args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and option in err[0] and "modalgen set" in err[0], err
    assert tree(project) == before


def test_add_configures_only_the_new_component(tmp_path, capsys):
    """An option that nothing in the project used before is the new component's own."""
    project = make(tmp_path, "fresh", {"workload": ["batch"]})
    assert add(project, "web", "--web-style", "wsgi", "--public", "--min-containers", "1") == 0
    answers = yaml.safe_load((project / catalog.ANSWERS_FILE).read_text())
    assert (answers["web_style"], answers["public"], answers["min_containers"]) == ("wsgi", True, 1)


def test_dry_run_prints_a_diff_and_writes_nothing(tmp_path, capsys):
    project = make(tmp_path, "dry", {"volume": [{"name": "data"}]})
    before = tree(project)
    assert add(project, "web", "--dry-run") == 0
    out = capsys.readouterr().out
    assert "+++ b/dry/web.py" in out and "--- a/dry/app.py" in out and "+    web," in out
    assert tree(project) == before


def test_conflicts_are_marked_listed_and_exit_1(tmp_path, capsys):
    project = make(tmp_path, "clash", {})
    app_py = project / "clash/app.py"
    # The user registers a module of their own right where `add` registers the cron module.
    app_py.write_text(app_py.read_text().replace("    batch,\n", "    batch,\n    my_module,\n"))
    assert add(project, "cron") == 1
    captured = capsys.readouterr()
    assert "conflict  clash/app.py" in captured.out and "Conflicts in 1 file" in captured.err
    text = app_py.read_text()
    assert MARKERS[0] in text and MARKERS[2] in text and "my_module" in text and "cron" in text
    # Everything without a conflict was applied, and the answers record the addition.
    assert (project / "clash/cron.py").is_file()
    assert "cron" in yaml.safe_load((project / catalog.ANSWERS_FILE).read_text())["workload"]


def test_no_exit_0_ever_leaves_markers(tmp_path):
    """Across every addition with user edits, exit 0 means no file holds a marker."""
    project = make(tmp_path, "clean", BASES["fallback-jobs"])
    edit(project, "clean")
    for kind, value in ADDITIONS:
        code = add(project, *([kind, value] if value else [kind]))
        marked = [p for p in project.rglob("*") if p.is_file() and MARKERS[0] in p.read_text()]
        assert (code == 1) == bool(marked), (kind, code, marked)


def test_deleted_files_are_reported_not_recreated(tmp_path, capsys):
    project = make(tmp_path, "gone", {})
    (project / "README.md").unlink()
    assert add(project, "web") == 0
    out = capsys.readouterr().out
    assert "skipped   README.md" in out
    assert not (project / "README.md").exists()
    assert (project / "gone/web.py").is_file()


def test_dirty_git_tree_is_warned_about_and_left_alone(tmp_path, capsys):
    assert main(["new", "dirty", "--output-dir", str(tmp_path)]) == 0
    project = tmp_path / "dirty"
    core = project / "dirty/core.py"
    core.write_text(core.read_text() + "\n# uncommitted\n")
    git = lambda *a: subprocess.run(["git", *a], cwd=project, capture_output=True, text=True).stdout  # noqa: E731
    log_before = git("log", "--oneline")
    capsys.readouterr()
    assert add(project, "map") == 0
    assert "uncommitted changes" in capsys.readouterr().err
    assert git("log", "--oneline") == log_before  # nothing committed
    assert git("stash", "list") == ""  # nothing stashed
    assert core.read_text().endswith("# uncommitted\n")  # the user's change is still there
    assert "fanout.py" not in git("ls-files")  # nothing staged either


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (["add", "cron", "--project", "{tmp}"], "project"),
        (["add", "kafka", "--project", "{proj}"], "KIND"),
        (["add", "cron", "--bogus", "--project", "{proj}"], "--bogus"),
        (["add", "volume", "--project", "{proj}"], "volume"),
        (["add", "secret", "bad name", "--project", "{proj}"], "secret"),
        (["add", "cron", "--cron", "99 * * * *", "--project", "{proj}"], "cron"),
        (["add", "web", "--batch-size", "8", "--project", "{proj}"], "batch-size"),
        (["add", "volume", "data:/other", "--project", "{vol}"], "volume"),
        (["update", "--project", "{tmp}"], "project"),
        (["set", "--project", "{proj}"], "set"),
        (["set", "--timeout", "0", "--project", "{proj}"], "--timeout"),
        (["set", "--gpu", "X100", "--project", "{proj}"], "--gpu"),
    ],
)
def test_refusals_exit_2_with_one_line(tmp_path, capsys, args, field):
    proj = make(tmp_path, "refuse", {"gpu": []})
    vol = make(tmp_path, "vols", {"volume": [{"name": "data"}]})
    empty = tmp_path / "empty"
    empty.mkdir()
    before = tree(tmp_path)
    code = main([a.format(tmp=empty, proj=proj, vol=vol) for a in args])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and field in err[0], err
    assert tree(tmp_path) == before


BROKEN_ANSWERS = [
    "gpu: [T4\n",  # not YAML
    "- a list\n",  # not a mapping
    "name: x\nmodalgen_version: 9.0.0\n",  # made by a newer modalgen
    "name: x\n",  # no version
    "name: x\ngpu: [X100]\nmodalgen_version: 0.2.0\n",  # answers that do not validate
    "name: x\ncron: 61 * * * *\nmodalgen_version: 0.2.0\n",  # a bad cron, with no cron workload
]


@pytest.mark.parametrize("broken", BROKEN_ANSWERS)
def test_unreadable_or_foreign_answers_files_are_refused(tmp_path, capsys, broken):
    project = make(tmp_path, "broken", {})
    (project / catalog.ANSWERS_FILE).write_text(broken)
    before = tree(project)
    assert add(project, "cron") == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
    assert tree(project) == before


# -- set


@pytest.mark.parametrize(
    ("raw", "args", "changed"),
    [
        ({"workload": ["batch", "web"]}, ["--timeout", "1200"], {"timeout": 1200}),
        ({"workload": ["service", "web"]}, ["--gpu", "L40S"], {"gpu": ["L40S"]}),
        ({"workload": ["cron"]}, ["--cron", "0 9 * * 1-5"], {"cron": "0 9 * * 1-5"}),
        ({"workload": ["web", "service"]}, ["--gpu-for", "web=T4", "--min-containers", "1"],
         {"gpu_for": {"web": ["T4"]}, "min_containers": 1}),
        ({"workload": ["batch"]}, ["--workload", "batch,server"], {"workload": ["batch", "server"]}),
    ],
    ids=["timeout", "gpu", "cron", "gpu-for", "workloads"],
)  # fmt: skip
def test_set_equals_new_with_the_answer_and_keeps_edits(tmp_path, capsys, raw, args, changed):
    project = make(tmp_path / "set", "proj", raw)
    edit(project, "proj")
    assert main(["set", *args, "--project", str(project)]) == 0, capsys.readouterr().err
    expected = make(tmp_path / "expected", "proj", {**raw, **changed})
    edit(expected, "proj")
    assert tree(project) == tree(expected)
    out = capsys.readouterr().out
    assert "modalgen set" in out
    capsys.readouterr()
    assert main(["set", *args, "--project", str(project)]) == 0
    assert "nothing to change" in capsys.readouterr().out


def test_set_dry_run_and_conflicts(tmp_path, capsys):
    project = make(tmp_path, "tuned", {"workload": ["batch"]})
    batch = project / "tuned/batch.py"
    before = tree(project)
    assert main(["set", "--timeout", "1200", "--dry-run", "--project", str(project)]) == 0
    assert "+    timeout=20 * MINUTES," in capsys.readouterr().out
    assert tree(project) == before
    # The user tuned the very line `set` changes: a conflict, listed, exit 1.
    batch.write_text(batch.read_text().replace("timeout=10 * MINUTES,", "timeout=15 * MINUTES,"))
    assert main(["set", "--timeout", "1200", "--project", str(project)]) == 1
    text = batch.read_text()
    assert MARKERS[0] in text and "15 * MINUTES" in text and "20 * MINUTES" in text


# -- update from every earlier release


UPDATE_CASES = [("0.1.0", kind) for kind in ("batch", "map", "web", "cron", "service", "batched", "spawn")]
UPDATE_CASES += [(release, case) for release in RELEASES[1:] for case in recorded_cases(release)]


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


@pytest.mark.parametrize(("release", "case"), UPDATE_CASES, ids=[f"{r}-{k}" for r, k in UPDATE_CASES])
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
    result = run_smoke(project, fake_gpus(answers["plan"]), tmp_path, "-m", "not model")
    assert result.returncode == 0 and " skipped" not in result.stdout, result.stdout[-3000:]
    capsys.readouterr()
    assert main(["update", "--project", str(project)]) == 0
    assert "nothing to update" in capsys.readouterr().out


def test_update_refuses_a_version_it_does_not_ship(tmp_path, capsys):
    project = make(tmp_path, "ancient", {})
    answers = (project / catalog.ANSWERS_FILE).read_text().replace(f"modalgen_version: {__version__}",
                                                                   "modalgen_version: 0.0.1")  # fmt: skip
    (project / catalog.ANSWERS_FILE).write_text(answers)
    assert main(["update", "--project", str(project)]) == 2
    assert "0.0.1" in capsys.readouterr().err


@pytest.mark.parametrize("umask", [0o022, 0o077])
def test_files_add_and_set_create_follow_the_umask_and_replaced_ones_keep_their_mode(tmp_path, umask):
    """As `new` writes them; they used to be 0600 (the staging file's mode), whatever the umask."""
    previous = os.umask(umask)
    try:
        assert main(["new", "modes", "--workload", "batch", "--no-git", "--output-dir", str(tmp_path)]) == 0
        project = tmp_path / "modes"
        (project / "modes/app.py").chmod(0o750)  # the user's own mode on a file `add` replaces
        assert add(project, "cron") == 0
        assert main(["set", "--timeout", "1200", "--project", str(project)]) == 0
    finally:
        os.umask(previous)
    mode = lambda rel: (project / rel).stat().st_mode & 0o777  # noqa: E731
    assert mode("modes/core.py") == 0o666 & ~umask  # what `new` wrote
    assert mode("modes/cron.py") == mode("tests/test_cron.py") == 0o666 & ~umask  # created by add
    assert mode("modes/app.py") == 0o750  # replaced by add, then by set: its mode kept
    assert mode(catalog.ANSWERS_FILE) == 0o666 & ~umask


# A user's own helper in the generated cron module, using names the module imports: `core` (the
# scheduled job does the work itself) and `GPU` (it runs on the GPU).
HELPER = """

def shout(text: str) -> dict:
    return {**core.process(text.upper()), "gpu": str(GPU)}
"""
SCHEDULE_LINE = 'SCHEDULE = modal.Cron("0 6 * * *", timezone="UTC")\n'


def _with_helper(name: str, root: Path) -> Path:
    project = make(root, name, {"workload": ["cron"]})
    cron = project / name / "cron.py"
    assert "from . import core\n" in cron.read_text() and "GPU" in cron.read_text()
    cron.write_text(cron.read_text().replace(SCHEDULE_LINE, SCHEDULE_LINE + HELPER, 1))
    return project


@pytest.mark.parametrize(
    ("args", "dropped"),
    [
        (["add", "service"], ["core", "GPU"]),  # the job now hands its work to the Service, on CPU
        (["set", "--gpu-for", "cron=cpu"], ["GPU"]),  # the job leaves the GPU
    ],
    ids=["add-service", "set-gpu-for"],
)
def test_a_merge_that_drops_a_name_the_users_lines_use_is_a_conflict(tmp_path, capsys, args, dropped):
    """It merged cleanly and exited 0; the user's code then failed with a NameError."""
    project = _with_helper("routes", tmp_path)
    cron = project / "routes/cron.py"
    before = tree(project)
    assert main([*args, "--dry-run", "--project", str(project)]) == 1
    assert "conflict  routes/cron.py" in capsys.readouterr().out and tree(project) == before
    assert main([*args, "--project", str(project)]) == 1
    captured = capsys.readouterr()
    assert "conflict  routes/cron.py" in captured.out
    merged = cron.read_text()
    assert HELPER in merged and MARKERS[0] not in merged  # written as merged: the user's lines kept
    line = merged.splitlines().index('    return {**core.process(text.upper()), "gpu": str(GPU)}') + 1
    for name in dropped:
        assert f"routes/cron.py: line {line}: undefined name {name!r}" in captured.err, captured.err
    assert "The merge broke 1 Python file" in captured.err and "Conflicts in" not in captured.err
    assert (project / catalog.ANSWERS_FILE).read_text() != before[catalog.ANSWERS_FILE]  # the change is in


def test_names_the_users_version_already_lacked_are_not_the_merges(tmp_path, capsys):
    """The user's own undefined name (and code whose names the merge keeps) is no conflict."""
    project = _with_helper("own", tmp_path)
    cron = project / "own/cron.py"
    cron.write_text(cron.read_text().replace("str(GPU)", "str(GPU), **settings_of_mine"))
    assert main(["set", "--timeout", "1200", "--project", str(project)]) == 0, capsys.readouterr().err
    assert "merged    own/cron.py" in capsys.readouterr().out
    assert "settings_of_mine" in cron.read_text() and "timeout=20 * MINUTES" in cron.read_text()


def test_update_drops_a_snapshot_that_no_longer_applies_and_says_so(tmp_path, capsys):
    """0.1.0 put `enable_memory_snapshot=True` on a batch function, which loads its model at its first
    input, after the restore: the snapshot held nothing. The update drops it, says so, and works."""
    project = make_release_project("0.1.0", tmp_path / "old", "legacy", workloads=["batch"], snapshot=True)
    assert "enable_memory_snapshot=True" in (project / "legacy" / "batch.py").read_text()
    assert main(["update", "--project", str(project)]) == 0
    err = capsys.readouterr().err
    assert "--snapshot no longer applies" in err
    assert "enable_memory_snapshot" not in (project / "legacy" / "batch.py").read_text()
    answers = yaml.safe_load((project / catalog.ANSWERS_FILE).read_text())
    assert answers["modalgen_version"] == __version__ and not answers.get("snapshot")
