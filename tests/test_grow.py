"""`modalgen add` and `modalgen update`: growing a project without losing a line.

The invariant: `new(P)` then `add(X)` gives byte for byte the tree of `new(P + X)`, and with user
edits away from the changed lines, those edits survive and everything else still matches.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from modalgen import __version__, catalog, render
from modalgen.cli import main
from modalgen.merge import MARKERS, read_tree
from modalgen.spec import parse_spec

SHA = "d" * 40
BASES = {
    "defaults": {},
    "cpu-web-map": {"gpu": [], "workloads": ["web", "map"], "max_inputs": 4},
    "fallback-jobs": {"gpu": ["H100:2", "A100-80GB:2"], "workloads": ["batch", "cron"],
                      "volumes": [{"name": "data"}], "timezone": "Europe/Berlin", "retries": 2},
    "stateful": {"gpu": ["L40S"], "workloads": ["service"], "secrets": ["openai"],
                 "hf_model": f"org/m@{SHA}", "min_containers": 1},
    "batching": {"workloads": ["batched", "spawn"], "snapshot": True, "batch_size": 8, "apt": ["ffmpeg"]},
    "flask-period": {"gpu": ["T4"], "workloads": ["web", "cron"], "web_style": "wsgi", "public": True,
                     "period": "6h", "env": {"MODE": "it's"}, "base": "cuda"},
}  # fmt: skip
ADDITIONS = [(kind, None) for kind in catalog.WORKLOAD_KINDS] + [
    ("volume", "extra-vol"),
    ("secret", "extra-secret"),
]
INVARIANT_CASES = [
    (base, kind, value)
    for base, raw in BASES.items()
    for kind, value in ADDITIONS
    if kind not in raw.get("workloads", catalog.DEFAULT_WORKLOADS)
]


def make(root: Path, name: str, raw: dict) -> Path:
    render.render(parse_spec({"project_name": name, **raw}), root / name)
    return root / name


def expected_raw(raw: dict, kind: str, value: str | None) -> dict:
    """P + X, written out independently of modalgen's own `with_addition`."""
    grown = {"workloads": list(catalog.DEFAULT_WORKLOADS), **raw}
    if kind == "volume":
        grown["volumes"] = [*grown.get("volumes", []), {"name": value, "mount": f"/{value}"}]
    elif kind == "secret":
        grown["secrets"] = [*grown.get("secrets", []), value]
    else:
        grown["workloads"] = [*grown["workloads"], kind]
    return grown


def add(project: Path, *args: str) -> int:
    return main(["add", *args, "--project", str(project)])


def tree(root: Path) -> dict[str, str]:
    return {k: v for k, v in read_tree(root).items() if not k.startswith(".venv")}


def edit(project: Path, name: str) -> None:
    """A user's edits away from the lines `add` changes: new code, ignores, a title, a target, a test."""
    package = project / name.replace("-", "_")
    (package / "core.py").write_text(
        (package / "core.py").read_text() + "\n\ndef mine() -> int:\n    return 42\n"
    )
    (project / ".gitignore").write_text((project / ".gitignore").read_text() + "# my own ignores\n*.sqlite\n")
    readme = (project / "README.md").read_text()
    (project / "README.md").write_text(readme.replace(f"# {name}\n", f"# {name} (production)\n", 1))
    (project / "Makefile").write_text((project / "Makefile").read_text() + "\nmine:\n\techo mine\n")
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


def test_dry_run_prints_a_diff_and_writes_nothing(tmp_path, capsys):
    project = make(tmp_path, "dry", {"volumes": [{"name": "data"}]})
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
    assert "cron" in yaml.safe_load((project / ".modalgen-answers.yml").read_text())["workloads"]


def test_no_exit_0_ever_leaves_markers(tmp_path):
    """Across every invariant case with user edits, exit 0 means no file holds a marker."""
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
        (["add", "kafka", "--project", "{proj}"], "kind"),
        (["add", "cron", "--bogus", "--project", "{proj}"], "--bogus"),
        (["add", "volume", "--project", "{proj}"], "volume"),
        (["add", "secret", "bad name", "--project", "{proj}"], "secret"),
        (["add", "cron", "--cron", "99 * * * *", "--project", "{proj}"], "cron"),
        (["add", "web", "--batch-size", "8", "--project", "{proj}"], "batch-size"),
        (["add", "volume", "data:/other", "--project", "{vol}"], "volume"),
        (["update", "--project", "{tmp}"], "project"),
    ],
)
def test_refusals_exit_2_with_one_line(tmp_path, capsys, args, field):
    proj = make(tmp_path, "refuse", {"gpu": []})
    vol = make(tmp_path, "vols", {"volumes": [{"name": "data"}]})
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
    "project_name: x\nmodalgen_version: 9.0.0\n",  # made by a newer modalgen
    "project_name: x\n",  # no version
    "project_name: x\ngpu: [X100]\nmodalgen_version: 0.1.0\n",  # answers that do not validate
]


@pytest.mark.parametrize("broken", BROKEN_ANSWERS)
def test_unreadable_or_foreign_answers_files_are_refused(tmp_path, capsys, broken):
    project = make(tmp_path, "broken", {})
    (project / ".modalgen-answers.yml").write_text(broken)
    before = tree(project)
    assert add(project, "cron") == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
    assert tree(project) == before


@pytest.fixture
def old_release(tmp_path, monkeypatch) -> Path:
    """A fake earlier release, 0.0.9, whose template differs from today's in a few lines."""
    old = tmp_path / "releases/0.0.9/project"
    shutil.copytree(render.template_dir(), old)
    core = old / "template/{{ package }}/core.py"
    core.write_text(core.read_text().replace("One unit of work.", "One unit of work (0.0.9)."))
    makefile = old / "template/Makefile.jinja"
    makefile.write_text(makefile.read_text().replace("lint:  ## ruff, as CI runs it", "lint:  ## ruff"))
    original = render.release_template
    monkeypatch.setattr(render, "release_template", lambda v: old if v == "0.0.9" else original(v))
    monkeypatch.setattr("modalgen.grow.release_template", render.release_template)
    return old


def test_update_brings_an_old_project_to_the_current_template(tmp_path, old_release, capsys):
    spec = parse_spec({"project_name": "legacy", "workloads": ["batch", "web"]})
    project = render.render(spec, tmp_path / "legacy", template=old_release, version="0.0.9")
    edit(project, "legacy")
    assert main(["update", "--project", str(project)]) == 0, capsys.readouterr().err
    expected = render.render(spec, tmp_path / "expected" / "legacy")
    edit(expected, "legacy")
    assert tree(project) == tree(expected)
    assert yaml.safe_load((project / ".modalgen-answers.yml").read_text())["modalgen_version"] == __version__
    capsys.readouterr()
    assert main(["update", "--project", str(project)]) == 0
    assert "nothing to update" in capsys.readouterr().out


def test_update_conflict_and_dry_run(tmp_path, old_release, capsys):
    spec = parse_spec({"project_name": "legacy2"})
    project = render.render(spec, tmp_path / "legacy2", template=old_release, version="0.0.9")
    core = project / "legacy2/core.py"
    core.write_text(core.read_text().replace("One unit of work (0.0.9).", "One unit of my work."))
    before = tree(project)
    assert main(["update", "--dry-run", "--project", str(project)]) == 1  # it would conflict
    assert "-lint:  ## ruff\n+lint:  ## ruff, as CI runs it" in capsys.readouterr().out
    assert tree(project) == before
    assert main(["update", "--project", str(project)]) == 1
    assert MARKERS[0] in core.read_text() and "One unit of my work." in core.read_text()
    assert "lint:  ## ruff, as CI runs it" in (project / "Makefile").read_text()


def test_update_refuses_a_version_it_does_not_ship(tmp_path, capsys):
    spec = parse_spec({"project_name": "ancient"})
    project = render.render(spec, tmp_path / "ancient", version="0.0.1")
    assert main(["update", "--project", str(project)]) == 2
    assert "0.0.1" in capsys.readouterr().err
