"""`modalgen check`: the release that made a project, what changed since, pins behind; exit 0 when
current, 10 when an update exists, 2 for a folder that is no project. Offline, on projects made by
every shipped release."""

from __future__ import annotations

import json

import pytest
import yaml
from packaging.version import Version

from modalgen import __version__, catalog
from modalgen.answers.spec import parse_spec
from modalgen.cli.main import main
from modalgen.render.template import render
from tests.releases import RELEASES, make_release_project, recorded_cases


def check(capsys, project) -> tuple[int, dict]:
    capsys.readouterr()
    code = main(["check", "--json", "--project", str(project)])
    return code, json.loads(capsys.readouterr().out)


def test_a_new_project_is_current(tmp_path, capsys):
    project = render(parse_spec({"name": "fresh", "stack": "torch"}), tmp_path / "fresh")
    code, report = check(capsys, project)
    assert code == 0 and report["current"] and report["exit_code"] == 0
    assert report["made_by"] == report["installed"] == __version__
    assert report["changes"] == [] and report["pins_behind"] == []
    assert report["not_checked"]  # what only the network could tell is named, not guessed
    assert main(["check", "--project", str(project)]) == 0
    assert "the project is current" in capsys.readouterr().out


@pytest.mark.parametrize("release", RELEASES)
def test_a_project_of_an_earlier_release_has_an_update_until_it_takes_it(tmp_path, capsys, release):
    project = _release_project(release, tmp_path)
    code, report = check(capsys, project)
    assert code == 10 and not report["current"] and report["made_by"] == release
    later = [r for r in (*RELEASES, __version__) if Version(r) > Version(release)]
    assert [section["version"] for section in report["changes"]] == later
    assert all(section["entries"] for section in report["changes"])
    assert main(["update", "--project", str(project)]) == 0
    code, report = check(capsys, project)
    assert code == 0 and report["changes"] == [], report


def test_pins_behind_the_template_are_named_and_pins_moved_ahead_are_yours(tmp_path, capsys):
    project = render(parse_spec({"name": "pins", "stack": "torch"}), tmp_path / "pins")
    common = project / "pins/common.py"
    torch_pin = next(p for p in catalog.STACK_BY_NAME["torch"].packages if p.startswith("torch=="))
    text = common.read_text()
    common.write_text(text.replace(f'"{torch_pin}"', '"torch==2.1.0"'))
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace(f"modal~={catalog.MODAL_MINOR}.0", "modal~=1.0.0"))
    code, report = check(capsys, project)
    assert code == 10
    assert {(p["project"], p["template"]) for p in report["pins_behind"]} == {
        ("torch==2.1.0", torch_pin),
        ("modal~=1.0.0", f"modal~={catalog.MODAL_MINOR}.0"),
    }
    # Each with where and when this modalgen's set was proven: the catalogue's record.
    proofs = {p["package"]: p["proven"] for p in report["pins_behind"]}
    assert proofs["torch"]["on"] == catalog.STACK_BY_NAME["torch"].proven.on
    assert "PyPI" in proofs["torch"]["where"] and "modal 1.6" in proofs["modal"]["where"]
    assert main(["check", "--project", str(project)]) == 10
    assert f"proven {catalog.MODAL_PROVEN.on}: modal 1.6" in capsys.readouterr().out
    common.write_text(text.replace(f'"{torch_pin}"', '"torch==99.0.0"'))
    pyproject.write_text(pyproject.read_text().replace("modal~=1.0.0", f"modal~={catalog.MODAL_MINOR}.0"))
    assert check(capsys, project)[0] == 0


def test_a_folder_that_is_no_project_is_refused_in_one_line(tmp_path, capsys):
    assert main(["check", "--project", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and catalog.ANSWERS_FILE in err


def test_the_answers_file_is_only_read(tmp_path, capsys):
    project = render(parse_spec({"name": "ro"}), tmp_path / "ro")
    before = {p: p.read_bytes() for p in project.rglob("*") if p.is_file()}
    check(capsys, project)
    assert {p: p.read_bytes() for p in project.rglob("*") if p.is_file()} == before
    assert yaml.safe_load((project / catalog.ANSWERS_FILE).read_text())["modalgen_version"] == __version__


def _as_if_release_pinned_modal(monkeypatch, project, release: str, written: str, now: str) -> None:
    """As if `release` had written `written` for modal: its record says so, its project holds it."""
    from modalgen.render import pins

    real = pins.recorded_pins
    monkeypatch.setattr(pins, "recorded_pins", lambda d: ["modal~=1.5.0"] if d.name == release else real(d))
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace(f"modal~={catalog.MODAL_MINOR}.0", now))
    assert now in pyproject.read_text() and written == "modal~=1.5.0"


def _release_project(release: str, root):
    if release == "0.1.0":
        return make_release_project(release, root, "legacy", workloads=["batch"])
    return make_release_project(release, root, "legacy", case=sorted(recorded_cases(release))[0])


@pytest.mark.parametrize("release", RELEASES)
def test_update_moves_a_pin_its_release_wrote(tmp_path, capsys, monkeypatch, release):
    project = _release_project(release, tmp_path)
    _as_if_release_pinned_modal(monkeypatch, project, release, "modal~=1.5.0", "modal~=1.5.0")
    code, report = check(capsys, project)
    assert code == 10 and {p["package"] for p in report["pins_behind"]} == {"modal"}
    assert main(["update", "--project", str(project)]) == 0
    text = (project / "pyproject.toml").read_text()
    assert "modal~=1.5.0" not in text and f"modal~={catalog.MODAL_MINOR}.0" in text
    assert check(capsys, project)[0] == 0


def test_update_keeps_a_pin_the_user_chose_where_the_release_wrote_another(tmp_path, capsys, monkeypatch):
    release = RELEASES[-1]
    project = make_release_project(release, tmp_path, "legacy", case=sorted(recorded_cases(release))[0])
    _as_if_release_pinned_modal(monkeypatch, project, release, "modal~=1.5.0", "modal~=1.4.0")
    assert main(["update", "--project", str(project)]) == 1  # both changed the line: the user decides
    text = (project / "pyproject.toml").read_text()
    assert "modal~=1.4.0" in text and "<<<<<<<" in text


def test_every_shipped_release_records_its_pins(tmp_path, monkeypatch):
    from modalgen.render import pins
    from modalgen.render.template import template_dir

    for release in RELEASES:
        recorded = pins.recorded_pins(template_dir().parent / "releases" / release)
        assert recorded and any(p.startswith("modal~=") for p in recorded), release
    # What `python -m modalgen.render.pins VERSION` writes when a release is cut: today's pins.
    monkeypatch.setattr("modalgen.render.template.template_dir", lambda: tmp_path / "templates/project")
    assert pins.main(["9.9.9"]) == 0
    assert pins.recorded_pins(tmp_path / "templates/releases/9.9.9") == pins.current_pins()


def test_every_pinned_stack_records_where_and_when_its_set_was_proven():
    """A stack with pins says when and how they were brought together and what ran on them; one
    without (plain) records nothing; the dates are real dates, none in the future."""
    from datetime import date

    for stack in catalog.STACKS:
        assert (stack.proven is None) == (not stack.packages), stack.name
        if stack.proven:
            assert date.fromisoformat(stack.proven.on) <= date.today() and stack.proven.tested
    assert date.fromisoformat(catalog.MODAL_PROVEN.on) <= date.today()
