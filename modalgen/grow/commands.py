"""`modalgen add`, `set` and `update`: new answers or a new template, merged into a project.

Each renders the project twice into a scratch folder: as it was made (its recorded answers, with the
template of the modalgen version it records, exactly the data it was rendered with) and as it
should be now; `merge` carries the difference into the project without touching the user's lines.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from modalgen import __version__, catalog
from modalgen.answers.fields import SpecError, flag, parse_workloads, shown
from modalgen.answers.file import load_answers
from modalgen.answers.spec import BOOKKEEPING, Spec, migrate, parse_spec
from modalgen.grow.lock import held
from modalgen.grow.merge import MergePlan, plan_merge, read_tree

if TYPE_CHECKING:
    from modalgen.plan.build import Plan

ADDABLE = (*catalog.KIND_NAMES, "volume", "secret")
ADDED_LISTS = {"workload", "volume", "secret"}  # `add` grows these; every other flag sets an option


@dataclass(frozen=True)
class Project:
    root: Path
    recorded: dict[str, Any]  # the answers file as written: the data the project was rendered with
    version: str

    @property
    def answers(self) -> dict[str, Any]:
        """The answers, keyed as this modalgen names them."""
        return migrate({k: v for k, v in self.recorded.items() if k not in BOOKKEEPING})

    @cached_property
    def spec(self) -> Spec:
        """The recorded answers as a Spec, parsed once (the base's plan is made from it)."""
        return self.parsed(self.answers)

    def parsed(self, answers: dict[str, Any]) -> Spec:
        """`answers` as a Spec; a bad one is the answers file's fault, named as such."""
        try:
            return parse_spec(answers)
        except SpecError as exc:
            raise SpecError(
                "answers_file", str(self.root / catalog.ANSWERS_FILE), f"valid answers ({exc})"
            ) from None


def updated_spec(project: Project) -> tuple[Spec, list[str]]:
    """The project's answers for this modalgen's template: an answer that no longer applies to any
    function of the project is dropped, and said, rather than refusing the update."""
    answers = dict(project.answers)
    notes: list[str] = []
    kinds = parse_workloads(answers.get("workload", list(catalog.DEFAULT_KINDS)))
    if answers.get("snapshot") and not any(catalog.SNAPSHOT in catalog.KIND_BY_NAME[k].knobs for k in kinds):
        answers.pop("snapshot")
        answers.pop("gpu_snapshot", None)
        notes.append(
            "--snapshot no longer applies to this project: its functions load their model at their first "
            "input, after a restore, so a memory snapshot held nothing; dropped (memory snapshots are for "
            "the classes that load in @modal.enter: service, batched, a web endpoint with the model)"
        )
    return project.parsed(answers), notes


def open_project(root: Path) -> Project:
    answers_path = root / catalog.ANSWERS_FILE
    if not answers_path.is_file():
        raise SpecError(
            "project",
            str(root),
            f"a folder made by modalgen (with {catalog.ANSWERS_FILE}); use --project DIR",
        )
    recorded = load_answers(answers_path, field="answers_file")
    version = recorded.get("modalgen_version")
    if not isinstance(version, str):
        raise SpecError("answers_file", str(answers_path), "a recorded modalgen_version")
    if _version_key(version) > _version_key(__version__):
        raise SpecError(
            "answers_file", version, f"a project made by modalgen {__version__} or earlier: upgrade modalgen"
        )
    return Project(root, recorded, version)


@contextmanager
def opened_for_change(root: Path, *, dry_run: bool) -> Iterator[Project]:
    """The project, read under its lock for as long as the block changes it.

    A second `add`, `set` or `update` in the same project waits for the first (a few seconds), or
    exits 2 having written nothing. The answers are read again once the lock is taken, so each
    change starts from what the one before it wrote. A dry run writes nothing and takes no lock.
    """
    project = open_project(root)  # a folder that is no project is refused before anything is written
    if dry_run:
        yield project
        return
    busy = f"--project: {str(root)!r} has another modalgen working in it; nothing was changed, run this again"
    with held(root, busy):
        yield open_project(root)


def _version_key(version: str):
    from packaging.version import InvalidVersion, Version

    try:
        return Version(version)
    except InvalidVersion:
        raise SpecError("answers_file", version, "a modalgen_version such as 0.1.0") from None


def with_addition(
    answers: dict[str, Any], kind: str, value: str | None, flags: dict[str, Any]
) -> dict[str, Any]:
    """The answers after adding `kind` (and its value: a Volume or a Secret), flags applied on top."""
    if kind not in ADDABLE:
        raise SpecError("kind", kind, f"one of {', '.join(ADDABLE)}")
    raw = {key: (list(v) if isinstance(v, list) else v) for key, v in answers.items()}
    if kind in ("volume", "secret"):
        if not value:
            usage = "NAME[:MOUNT]" if kind == "volume" else "NAME[:KEY1,KEY2]"
            raise SpecError(kind, value, f"`modalgen add {kind} {usage}`")
    elif value is not None:
        raise SpecError("kind", f"{kind} {value}", f"`modalgen add {kind}` takes no value; options are flags")
    additions: dict[str, list] = {key: [] for key in ADDED_LISTS}
    if kind in catalog.KIND_NAMES:
        additions["workload"].append(kind)
    else:
        additions[kind].append(value)
    for key, extra in flags.items():
        if key in ADDED_LISTS:
            additions[key] += extra
        else:
            raw[key] = extra
    for key, extra in additions.items():
        current = list(raw.get(key) or [])
        if key == "volume":
            current = _add_volumes(current, extra)
        elif key == "secret":
            current = _add_secrets(current, extra)
        else:
            current += [item for item in extra if item not in current]
        raw[key] = current
    return raw


def _add_volumes(current: list, extra: list) -> list:
    from modalgen.answers.fields import parse_volume

    named = {parse_volume(v).name: parse_volume(v) for v in current}
    for item in extra:
        volume = parse_volume(item)
        if volume.name in named and named[volume.name].mount != volume.mount:
            raise SpecError("volume", item, f"the mount the project has for it ({named[volume.name].mount}); "
                            "`modalgen set --volume ...` moves it")  # fmt: skip
        if volume.name not in named:
            current.append({"name": volume.name, "mount": volume.mount})
            named[volume.name] = volume
    return current


def _add_secrets(current: list, extra: list) -> list:
    from modalgen.answers.fields import parse_secret

    named = {parse_secret(s).name: parse_secret(s) for s in current}
    for item in extra:
        secret = parse_secret(item)
        if secret.name in named and named[secret.name] != secret and ":" in str(item):
            keys = ", ".join(named[secret.name].keys)
            raise SpecError("secret", item, f"the keys the project has for it ({keys}); "
                            "`modalgen set --secret ...` changes them")  # fmt: skip
        if secret.name not in named:
            current.append({"name": secret.name, "keys": list(secret.keys)})
            named[secret.name] = secret
    return current


def check_no_changes(old: Spec, old_plan: Plan, new: Spec, new_plan: Plan, flags: dict[str, Any]) -> None:
    """`add` grows a project; it never changes an option that something already uses (that is `set`)."""
    old_answers = old.to_answers(set(old_plan.applies))
    new_answers = new.to_answers(set(new_plan.applies))
    for key in flags:
        if key in ADDED_LISTS or key not in old_answers:
            continue
        if new_answers.get(key) != old_answers[key]:
            raise SpecError(
                key,
                SpecError.NO_VALUE,
                f"the project has {shown(old_answers[key])} already, and `add` changes nothing that exists; "
                f"use `modalgen set {flag(key)} ...` to change it",
            )


def plan_growth(
    project: Project,
    new_spec: Spec,
    new_plan: Plan | None = None,
    old_plan: Plan | None = None,
    *,
    migrate: bool = False,
) -> MergePlan:
    """Render the project as it was and as it should be; plan the merge into the project (`migrate`,
    for `update`: Modal's renamed APIs are rewritten in the files modalgen wrote).

    The base is the recorded answers with the template of the version that recorded them. Releases up
    to 0.3.0 recorded their plan too; from 0.4.0 on the plan is computed from the answers: `old_plan`
    when the caller has it, else the template's own `plan` question computes it (as copier does).
    """
    from modalgen.render.pins import recorded_pins, rewrite_to
    from modalgen.render.template import load, plan_data, release_template, render, render_data

    base_template = release_template(project.version)
    if base_template is None:
        raise SpecError(
            "answers_file",
            project.version,
            "a modalgen_version whose template this modalgen ships (see `templates/releases/`)",
        )
    with tempfile.TemporaryDirectory(prefix=".modalgen-merge-") as folder:
        scratch = Path(folder)
        base = dict(project.recorded)
        planned = any(q.name == "plan" for q in load(base_template).questions)
        if planned and "plan" not in base and old_plan is not None:
            base["plan"] = plan_data(project.spec, old_plan)
        render_data(base, scratch / "base", base_template)
        render(new_spec, scratch / "theirs", new_plan)
        as_made = read_tree(scratch / "base")
        recorded = recorded_pins(base_template.parent)
        if recorded is not None:  # the pins that release wrote, not today's: so that update moves them
            as_made = rewrite_to(as_made, recorded)
        rewrite = None
        if migrate:
            from modalgen.catalog.modal_changes import migrated as rewrite
        return plan_merge(as_made, read_tree(scratch / "theirs"), project.root, rewrite)


def git_is_dirty(root: Path) -> bool:
    git = shutil.which("git")
    if git is None:
        return False
    result = subprocess.run(
        [git, "status", "--porcelain", "--untracked-files=no"], cwd=root, capture_output=True, text=True
    )
    return result.returncode == 0 and bool(result.stdout.strip())
