"""`modalgen check`: is a project on this modalgen's template, what changed since the release that
made it, and which of its pins are behind the ones this modalgen would write.

Everything is read from the project and from this modalgen (its template, catalogue and
CHANGELOG): no network. What only the network could tell (a newer modalgen on PyPI) is listed as
not checked.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from modalgen import __version__
from modalgen.render.pins import PIN, modal_pin, pin_name

CURRENT = 0  # on this modalgen's template, no pin behind, no changed Modal API in its code
BEHIND = 10  # an update exists: `modalgen update` brings the template and the pins
DEPRECATED = 11  # no update, but the code uses a Modal API that is deprecated or gone: a person fixes it
NOT_CHECKED = ["newer modalgen releases on PyPI: `modalgen check` makes no network call"]


@dataclass
class Report:
    project: str
    made_by: str  # the modalgen version the answers file records
    installed: str
    changes: list[dict] = field(default_factory=list)  # CHANGELOG sections after made_by: {version, entries}
    pins_behind: list[dict] = field(default_factory=list)  # {package, project, template}
    modal_changes: list[dict] = field(default_factory=list)  # uses of changed Modal APIs (Finding.to_data)
    not_checked: list[str] = field(default_factory=lambda: list(NOT_CHECKED))

    @property
    def current(self) -> bool:
        return self.made_by == self.installed and not self.pins_behind

    @property
    def exit_code(self) -> int:
        if not self.current:
            return BEHIND
        return DEPRECATED if self.modal_changes else CURRENT

    def to_data(self) -> dict:
        return {**asdict(self), "current": self.current, "exit_code": self.exit_code}


def check(root: Path) -> Report:
    """The report for the project at `root` (a SpecError where it is no modalgen project)."""
    from modalgen.grow.commands import open_project, updated_spec
    from modalgen.plan.build import make_plan

    project = open_project(root)
    plan = make_plan(updated_spec(project)[0])
    template_pins = [*plan.image["packages"], *plan.image["dependencies"], modal_pin()]
    return Report(
        project=str(root.resolve()),
        made_by=project.version,
        installed=__version__,
        changes=changes_since(project.version),
        pins_behind=pins_behind(_project_pins(root, plan.package), template_pins),
        modal_changes=[f.to_data() for f in modal_changes_in(root)],
    )


def modal_changes_in(root: Path):
    """Every use of a changed Modal API in the project's Python files (the user's own included;
    not in hidden folders such as .venv)."""
    from modalgen.catalog.modal_changes import findings

    found = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root)
        if any(part.startswith(".") or part == "__pycache__" for part in rel.parts[:-1]):
            continue
        found += findings(rel.as_posix(), path.read_text(encoding="utf-8", errors="replace"))
    return found


def _project_pins(root: Path, package: str) -> list[str]:
    """The pins the project's image and pyproject.toml hold now (its edits included)."""
    texts = [(root / "pyproject.toml"), (root / package / "common.py")]
    found = []
    for path in texts:
        if path.is_file():
            found += re.findall(r"[\"']([^\"'\s]+(?:==|~=)[^\"'\s]+)[\"']", path.read_text(encoding="utf-8"))
    return found


def pins_behind(project: list[str], template: list[str]) -> list[dict]:
    """Each package the project pins to an older version than this modalgen's template does (a pin
    you moved ahead is yours)."""
    from packaging.version import InvalidVersion, Version

    have = {pin_name(pin): PIN.match(pin) for pin in project if pin_name(pin)}
    behind = []
    for pin in template:
        match = PIN.match(pin)
        if not match or pin_name(pin) not in have:
            continue
        theirs = have[pin_name(pin)]
        try:
            older = Version(theirs[4]) < Version(match[4])
        except InvalidVersion:
            older = theirs[4] != match[4]
        if older:
            proven = proven_with(pin_name(pin))
            behind.append({"package": match[1], "project": theirs[0], "template": pin,
                           "proven": asdict(proven) if proven else None})  # fmt: skip
    return behind


def proven_with(package: str):
    """Where and when this modalgen's pin of `package` was proven, with the set it belongs to."""
    from modalgen import catalog

    if package == "modal":
        return catalog.MODAL_PROVEN
    for stack in catalog.STACKS:
        if stack.proven and any(pin_name(p) == package for p in stack.packages):
            return stack.proven
    return None


def changelog_text() -> str:
    """modalgen's CHANGELOG: inside the installed package (the wheel carries it), else the checkout's."""
    here = Path(__file__).resolve().parents[1]
    for path in (here / "CHANGELOG.md", here.parent / "CHANGELOG.md"):
        if path.is_file():
            return path.read_text(encoding="utf-8")
    return ""


def changes_since(version: str, text: str | None = None) -> list[dict]:
    """The CHANGELOG's sections newer than `version`, up to this modalgen's, oldest first: each
    with the first line of every entry, under its heading (Added, Changed, Fixed)."""
    from packaging.version import Version

    sections = re.split(r"^## ", changelog_text() if text is None else text, flags=re.M)[1:]
    found = []
    for section in sections:
        heading, _, body = section.partition("\n")
        numbers = re.findall(r"\d+\.\d+\.\d+", heading)
        if not numbers or not Version(version) < Version(numbers[0]) <= Version(__version__):
            continue
        entries, kind = [], ""
        for line in body.splitlines():
            if line.startswith("### "):
                kind = line[4:].strip()
            elif line.startswith("- "):
                entries.append(f"{kind}: {line[2:].strip()}" if kind else line[2:].strip())
            elif line.startswith("  ") and entries:  # an entry's next lines
                entries[-1] += " " + line.strip()
        found.append({"version": numbers[0], "entries": entries})
    return sorted(found, key=lambda s: Version(s["version"]))


def render_text(report: Report) -> str:
    lines = [f"modalgen check: {report.project}", f"  made by      modalgen {report.made_by}"]
    if report.current:
        lines.append(f"  installed    modalgen {report.installed}: the project is current")
    else:
        lines.append(f"  installed    modalgen {report.installed}: an update exists "
                     "(`modalgen update --dry-run` shows it, `modalgen update` applies it)")  # fmt: skip
    for section in report.changes:
        lines.append(f"  changes in {section['version']}:")
        lines += [f"    - {entry if len(entry) <= 96 else entry[:95] + '…'}" for entry in section["entries"]]
    for pin in report.pins_behind:
        lines.append(f"  pin behind   {pin['project']} (this modalgen writes {pin['template']})")
        if pin["proven"]:
            lines.append(f"               proven {pin['proven']['on']}: {pin['proven']['where']}")
    for use in report.modal_changes:
        fix = "`modalgen update` rewrites it" if use["update_rewrites"] else "change it by hand"
        gone = f"deprecated {use['deprecated_on']}"
        if use["removed_in"]:
            gone = f"gone in modal {use['removed_in']}"
        lines.append(f"  modal API    {use['path']}:{use['line']}: {use['message']} ({gone}; {fix})")
    lines += [f"  not checked  {what}" for what in report.not_checked]
    return "\n".join(lines)
