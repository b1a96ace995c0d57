"""`modalgen add` and `modalgen update`: new answers or a new template, merged into a project.

Both render the project twice into a scratch folder: as it was made (its recorded answers, with
the template of the modalgen version it records) and as it should be now; `merge` carries the
difference into the project without touching the user's own lines.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from modalgen import __version__, catalog
from modalgen.answers_io import load_answers
from modalgen.fields import SpecError
from modalgen.merge import Plan, plan_merge, read_tree
from modalgen.render import release_template, render
from modalgen.spec import Spec, parse_spec

ADDABLE = (*catalog.WORKLOAD_KINDS, "volume", "secret")
LIST_KEYS = {"workloads", "volumes", "secrets"}  # flags add to these lists instead of replacing them


@dataclass(frozen=True)
class Project:
    root: Path
    answers: dict[str, Any]  # as recorded, without copier's bookkeeping
    version: str

    @property
    def spec(self) -> Spec:
        try:
            return parse_spec(self.answers)
        except SpecError as exc:
            raise SpecError(
                "answers-file", str(self.root / catalog.ANSWERS_FILE), f"valid answers ({exc})"
            ) from None


def open_project(root: Path) -> Project:
    answers_path = root / catalog.ANSWERS_FILE
    if not answers_path.is_file():
        raise SpecError(
            "project",
            str(root),
            f"a folder made by modalgen (with {catalog.ANSWERS_FILE}); use --project DIR",
        )
    answers = load_answers(answers_path, field="answers-file")
    version = answers.pop("modalgen_version", None)
    answers.pop("_src_path", None)
    if not isinstance(version, str):
        raise SpecError("answers-file", str(answers_path), "a recorded modalgen_version")
    if _version_key(version) > _version_key(__version__):
        raise SpecError(
            "modalgen_version", version, f"at most {__version__}, this modalgen's version: upgrade modalgen"
        )
    return Project(root, answers, version)


def _version_key(version: str):
    from packaging.version import InvalidVersion, Version

    try:
        return Version(version)
    except InvalidVersion:
        raise SpecError("modalgen_version", version, "a version such as 0.1.0") from None


def with_addition(
    answers: dict[str, Any], kind: str, value: str | None, flags: dict[str, Any]
) -> dict[str, Any]:
    """The answers after adding `kind` (and its value: a volume or secret), flags applied on top."""
    if kind not in ADDABLE:
        raise SpecError("kind", kind, f"one of {', '.join(ADDABLE)}")
    raw = {key: (list(v) if isinstance(v, list) else v) for key, v in answers.items()}
    if kind in ("volume", "secret"):
        if not value:
            raise SpecError(
                kind, value, f"`modalgen add {kind} {'NAME[:MOUNT]' if kind == 'volume' else 'NAME'}`"
            )
    elif value is not None:
        raise SpecError("kind", f"{kind} {value}", f"`modalgen add {kind}` takes no value; options are flags")
    additions: dict[str, list] = {key: [] for key in LIST_KEYS}
    if kind in catalog.WORKLOAD_KINDS:
        additions["workloads"].append(kind)
    elif kind == "volume":
        additions["volumes"].append(value)
    else:
        additions["secrets"].append(value)
    for key, extra in flags.items():
        if key in LIST_KEYS:
            additions[key] += extra
        else:
            raw[key] = extra
    for key, extra in additions.items():
        current = list(raw.get(key) or [])
        if key == "volumes":
            named = {v["name"]: v for v in current}
            for item in extra:
                volume = parse_volume_arg(item)
                if volume["name"] in named and named[volume["name"]]["mount"] != volume["mount"]:
                    raise SpecError("volume", item, f"mounted at {named[volume['name']]['mount']} already")
                if volume["name"] not in named:
                    current.append(volume)
                    named[volume["name"]] = volume
        else:
            current += [item for item in extra if item not in current]
        raw[key] = current
    return raw


def parse_volume_arg(item: Any) -> dict[str, str]:
    from modalgen.fields import parse_volume

    volume = parse_volume(item)
    return {"name": volume.name, "mount": volume.mount}


def plan_growth(project: Project, new_spec: Spec) -> Plan:
    """Render the project as it was and as it should be; plan the merge into the project."""
    old_spec = project.spec
    base_template = release_template(project.version)
    if base_template is None:
        raise SpecError(
            "modalgen_version",
            project.version,
            "a version whose template this modalgen ships (see `templates/releases/`)",
        )
    with tempfile.TemporaryDirectory(prefix=".modalgen-merge-") as folder:
        scratch = Path(folder)
        render(old_spec, scratch / "base", template=base_template, version=project.version)
        render(new_spec, scratch / "theirs")
        return plan_merge(read_tree(scratch / "base"), read_tree(scratch / "theirs"), project.root)


def git_is_dirty(root: Path) -> bool:
    git = shutil.which("git")
    if git is None:
        return False
    result = subprocess.run(
        [git, "status", "--porcelain", "--untracked-files=no"], cwd=root, capture_output=True, text=True
    )
    return result.returncode == 0 and bool(result.stdout.strip())
