"""Merge a fresh render into an existing project, file by file, without losing a line.

Three trees: `base` (the template rendered with the project's recorded answers, as it was made),
`theirs` (rendered with the new answers or the new template) and the project itself (`ours`, with
the user's edits). Per file:

- unchanged between base and theirs: left alone, whatever the user did to it;
- new in theirs: created (merged against an empty base if the user made a file there already);
- the user never touched it (ours == base): replaced by theirs;
- the user deleted it: reported, not re-created;
- the user edited it: a 3-way merge (merge3); overlapping changes get inline conflict markers.
- gone from theirs: deleted if untouched, kept (and reported) if the user edited it.

A Python file that merges without a marker but no longer defines a name the user's version did
(the new render dropped an import the user's lines use) is a conflict too: listed in `broken`
with the name and line, written as merged, exit 1.

Everything is computed in memory first; `apply` then stages every file beside its target and
renames them all in one step, the answers file last, so an interruption never leaves half a change.
"""

from __future__ import annotations

import difflib
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from modalgen.catalog import ANSWERS_FILE
from modalgen.grow.atomic import signals_held
from modalgen.grow.names import broken_by_merge
from modalgen.grow.place import file_mode, list_files

MARKERS = ("<<<<<<< your version", "=======", ">>>>>>> modalgen")


@dataclass
class MergePlan:
    """What a merge will do to a project's files (one `Plan` in modalgen: the project's, in plan/build.py)."""

    writes: dict[str, str] = field(default_factory=dict)  # path -> new content
    deletes: list[str] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    merged: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    deleted_by_user: list[str] = field(default_factory=list)  # the template changed them: not re-created
    kept_edited: list[str] = field(default_factory=list)  # the template dropped them; edited, so kept
    broken: dict[str, list[str]] = field(default_factory=dict)  # conflicts without markers: what broke
    migrated: list[str] = field(default_factory=list)  # Modal's renamed APIs rewritten (update)


def read_tree(root: Path) -> dict[str, str]:
    return {rel: (root / rel).read_text(encoding="utf-8") for rel in list_files(root)}


def merge_text(base: str, ours: str, theirs: str) -> tuple[str, bool]:
    """3-way merge of one file; returns (text, had_conflicts). Conflicts are marked inline."""
    import merge3

    m = merge3.Merge3(
        base.splitlines(keepends=True), ours.splitlines(keepends=True), theirs.splitlines(keepends=True)
    )
    lines = list(
        m.merge_lines(
            name_a="your version", name_b="modalgen", start_marker="<<<<<<<", mid_marker="=======",
            end_marker=">>>>>>>",
        )
    )  # fmt: skip
    conflicted = any(region[0] == "conflict" for region in m.merge_regions())
    return "".join(lines), conflicted


def plan_merge(
    base: dict[str, str], theirs: dict[str, str], project: Path, migrate: Callable[[str], str] | None = None
) -> MergePlan:
    """The merge of `theirs` into the project. `migrate` (for `update`: Modal's renamed APIs, see
    catalog/modal_changes.py) rewrites the Python files modalgen wrote, the user's lines in them
    included, and the base alike, before they are compared."""
    plan = MergePlan()
    for rel in sorted(set(base) | set(theirs)):
        if rel == ANSWERS_FILE:
            continue  # written last by apply, from theirs
        target = project / rel
        ours = target.read_text(encoding="utf-8") if target.is_file() else None
        old, new = base.get(rel), theirs.get(rel)
        if migrate is not None and rel.endswith(".py"):
            as_found = ours
            old, ours = (migrate(t) if t is not None else None for t in (old, ours))
            if ours != as_found:
                plan.migrated.append(rel)
                plan.writes[rel] = ours  # a merge below writes over it where the template changed too
        if old == new:
            continue
        if new is None:  # the template no longer has this file
            if ours is None:
                continue
            if ours == old:
                plan.deletes.append(rel)
                plan.writes.pop(rel, None)
            else:
                plan.kept_edited.append(rel)
            continue
        if old is None:  # a new file
            if ours is None:
                plan.writes[rel] = new
                plan.created.append(rel)
            elif ours != new:
                _merge_into(plan, rel, "", ours, new)
            continue
        if ours is None:
            plan.deleted_by_user.append(rel)
        elif ours == old:
            plan.writes[rel] = new
            plan.replaced.append(rel)
        elif ours != new:
            _merge_into(plan, rel, old, ours, new)
    if theirs.get(ANSWERS_FILE) != (project / ANSWERS_FILE).read_text(encoding="utf-8"):
        plan.writes[ANSWERS_FILE] = theirs[ANSWERS_FILE]
    return plan


def _merge_into(plan: MergePlan, rel: str, old: str, ours: str, new: str) -> None:
    text, conflicted = merge_text(old, ours, new)
    if text != ours:
        plan.writes[rel] = text
    if not conflicted and rel.endswith(".py"):
        broken = broken_by_merge(ours, text)
        if broken:
            plan.broken[rel] = broken
            conflicted = True
    (plan.conflicts if conflicted else plan.merged).append(rel)


def unified_diff(plan: MergePlan, project: Path) -> str:
    chunks = []
    for rel in sorted(plan.writes):
        target = project / rel
        before = target.read_text(encoding="utf-8") if target.is_file() else ""
        chunks += difflib.unified_diff(
            before.splitlines(keepends=True), plan.writes[rel].splitlines(keepends=True),
            fromfile=f"a/{rel}" if target.is_file() else "/dev/null", tofile=f"b/{rel}",
        )  # fmt: skip
    for rel in plan.deletes:
        chunks += difflib.unified_diff(
            (project / rel).read_text(encoding="utf-8").splitlines(keepends=True), [],
            fromfile=f"a/{rel}", tofile="/dev/null",
        )  # fmt: skip
    return "".join(
        line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in chunks
    )


def _stage(path: Path, text: str) -> Path:
    """Write `text` to a temporary file beside `path` (same filesystem: the rename is atomic)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".modalgen-tmp-", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    # mkstemp made it 0600: a replaced file keeps its mode (a script stays executable), a new one
    # gets what the umask gives, as `new` does.
    os.chmod(tmp, path.stat().st_mode & 0o777 if path.exists() else file_mode())
    return Path(tmp)


def apply(plan: MergePlan, project: Path) -> None:
    """Write the plan all or nothing: every file is staged beside its target first (a full disk
    fails here, with the project untouched), then all land in one step with Ctrl-C and SIGTERM
    held back, the answers file last (it records what was applied)."""
    order = sorted(plan.writes, key=lambda rel: rel == ANSWERS_FILE)
    staged: list[tuple[Path, Path]] = []
    try:
        for rel in order:
            staged.append((_stage(project / rel, plan.writes[rel]), project / rel))
        with signals_held():
            for tmp, target in staged:
                os.replace(tmp, target)
            staged = []
            for rel in plan.deletes:
                (project / rel).unlink()
    finally:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
