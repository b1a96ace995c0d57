"""The Spec: one typed, validated description of a project, whatever its answers came from.

Flags, the wizard and answers files all produce the same raw mapping (the keys of
`.modalgen-answers.yml`); `parse_spec` is the single place that checks it. The `modal` client does not
check GPU names and counts, cron strings, time zones or mount paths before Modal's servers do, so
modalgen checks them here, before anything is written.
"""

from __future__ import annotations

import keyword
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from modalgen import catalog


class SpecError(ValueError):
    """A user mistake: names the field, the value given and what is allowed."""

    def __init__(self, field_name: str, value: Any, allowed: str):
        self.field = field_name
        self.value = value
        self.allowed = allowed
        super().__init__(f"{field_name}: {value!r} is not allowed; {allowed}")


@dataclass(frozen=True)
class GpuChoice:
    name: str
    count: int = 1

    def __str__(self) -> str:
        return self.name if self.count == 1 else f"{self.name}:{self.count}"

    @property
    def price_per_hour(self) -> float:
        return round(catalog.GPU_BY_NAME[self.name.upper()].price_per_hour * self.count, 2)


@dataclass(frozen=True)
class VolumeMount:
    name: str
    mount: str


@dataclass(frozen=True)
class Spec:
    name: str
    description: str = catalog.DEFAULT_DESCRIPTION
    gpus: tuple[GpuChoice, ...] = (GpuChoice(catalog.DEFAULT_GPU),)  # empty: CPU-only
    workloads: tuple[str, ...] = catalog.DEFAULT_WORKLOADS
    cron: str = catalog.DEFAULT_CRON
    timezone: str = catalog.DEFAULT_TIMEZONE
    volumes: tuple[VolumeMount, ...] = ()
    python: str = catalog.DEFAULT_PYTHON

    @property
    def package(self) -> str:
        return package_name(self.name)

    def to_answers(self) -> dict[str, Any]:
        """The recorded answers: plain YAML values, the template's question names."""
        answers: dict[str, Any] = {
            "project_name": self.name,
            "description": self.description,
            "gpu": [str(g) for g in self.gpus],
            "workloads": list(self.workloads),
            "volumes": [{"name": v.name, "mount": v.mount} for v in self.volumes],
            "python_version": self.python,
        }
        if "cron" in self.workloads:
            answers["cron"] = self.cron
            answers["timezone"] = self.timezone
        return answers


# Answer keys, in the order the summary and the answers file show them.
ANSWER_KEYS = (
    "project_name", "description", "gpu", "workloads", "cron", "timezone", "volumes", "python_version",
)  # fmt: skip

_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9._-]{0,39}$")
_VOLUME_NAME_RE = re.compile(r"^[A-Za-z0-9._-]{1,63}$")
_MOUNT_RE = re.compile(r"^(/[A-Za-z0-9._-]+)+$")
# Names that would shadow what the generated project imports, as its package.
_RESERVED_PACKAGES = {"modal", "tests", "test", "fastapi", "flask", "pytest", "yaml", "app"}


def package_name(name: str) -> str:
    return re.sub(r"[-.]+", "_", name).lower()


def volume_identifier(name: str) -> str:
    """The Python name the generated code gives a Volume (mirrored by the template's macro)."""
    ident = re.sub(r"[-.]+", "_", name).lower()
    return f"{ident}_volume" if ident[0].isalpha() else f"volume_{ident}"


def check_name(value: Any) -> str:
    allowed = (
        "a folder name: a letter, then letters, digits, '-', '_' or '.', at most 40 characters "
        "(use --output-dir to place it elsewhere)"
    )
    if not isinstance(value, str) or not _NAME_RE.match(value):
        raise SpecError("name", value, allowed)
    pkg = package_name(value)
    if not pkg.isidentifier() or keyword.iskeyword(pkg) or pkg.endswith("_"):
        raise SpecError("name", value, f"{allowed}; it must also make a Python package name")
    if pkg in sys.stdlib_module_names or pkg in _RESERVED_PACKAGES:
        raise SpecError("name", value, f"its package name {pkg!r} would shadow a module the project imports")
    return value


def check_description(value: Any) -> str:
    allowed = "one line of text without control characters, at most 200 characters"
    if not isinstance(value, str) or len(value) > 200:
        raise SpecError("description", value, allowed)
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value) or not value.strip():
        raise SpecError("description", value, allowed)
    return value.strip()


def parse_gpu(value: Any) -> GpuChoice:
    names = ", ".join(g.name for g in catalog.GPUS)
    if not isinstance(value, str):
        raise SpecError("gpu", value, f"TYPE[:COUNT] with TYPE one of {names}")
    type_part, sep, count_part = value.strip().partition(":")
    gpu = catalog.GPU_BY_NAME.get(type_part.upper())
    if gpu is None:
        raise SpecError("gpu", value, f"TYPE[:COUNT] with TYPE one of {names}")
    count = 1
    if sep:
        if not count_part.isdigit() or not 1 <= int(count_part) <= gpu.max_count:
            raise SpecError("gpu", value, f"{gpu.name} takes a count of 1 to {gpu.max_count}")
        count = int(count_part)
    return GpuChoice(gpu.name, count)


def parse_gpus(values: Any) -> tuple[GpuChoice, ...]:
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, list | tuple):
        raise SpecError("gpu", values, "a list of TYPE[:COUNT]; an empty list means CPU-only")
    choices = tuple(parse_gpu(v) for v in values)
    seen = [str(c) for c in choices]
    for c in seen:
        if seen.count(c) > 1:
            raise SpecError("gpu", c, "each fallback once")
    return choices


def parse_workloads(values: Any) -> tuple[str, ...]:
    allowed = f"one or more of {', '.join(catalog.WORKLOAD_KINDS)}"
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, list | tuple):
        raise SpecError("workload", values, allowed)
    kinds: list[str] = []
    for value in values:
        if not isinstance(value, str):
            raise SpecError("workload", value, allowed)
        for part in value.split(","):
            kind = part.strip().lower()
            if kind not in catalog.WORKLOAD_BY_KIND:
                raise SpecError("workload", part.strip(), allowed)
            kinds.append(kind)
    if not kinds:
        raise SpecError("workload", values, allowed)
    # Catalog order: the same answers always render the same files in the same order.
    return tuple(k for k in catalog.WORKLOAD_KINDS if k in kinds)


def check_cron(value: Any) -> str:
    allowed = "5 fields: minute hour day-of-month month day-of-week, e.g. '0 6 * * *'"
    if not isinstance(value, str) or len(value.split()) != 5:
        raise SpecError("cron", value, allowed)
    from croniter import croniter  # only projects with a schedule pay for this import

    if not croniter.is_valid(value):
        raise SpecError("cron", value, allowed)
    return " ".join(value.split())


def check_timezone(value: Any) -> str:
    allowed = "an IANA time zone such as UTC, Europe/Berlin or America/New_York"
    if not isinstance(value, str) or not value or value.startswith("/") or ".." in value:
        raise SpecError("timezone", value, allowed)
    import zoneinfo

    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise SpecError("timezone", value, allowed) from None
    return value


def check_python(value: Any) -> str:
    if isinstance(value, float):  # YAML reads an unquoted 3.12 as a number
        value = str(value)
    if value not in catalog.CONTAINER_PYTHONS:
        raise SpecError("python", value, f"one of {', '.join(catalog.CONTAINER_PYTHONS)}")
    return value


def parse_volume(value: Any) -> VolumeMount:
    """`NAME[:MOUNT]` from a flag, or `{name: ..., mount: ...}` from an answers file."""
    if isinstance(value, Mapping):
        name, mount = value.get("name"), value.get("mount")
    elif isinstance(value, str):
        name, _, mount = value.partition(":")
    else:
        raise SpecError("volume", value, "NAME[:MOUNT]")
    if not isinstance(name, str) or not _VOLUME_NAME_RE.match(name):
        raise SpecError(
            "volume", name, "a Volume name of letters, digits, '.', '_' or '-', under 64 characters"
        )
    mount = mount or f"/{name}"
    if not isinstance(mount, str):
        raise SpecError("volume", mount, "an absolute mount path")
    mount = mount.rstrip("/") or "/"
    if mount in catalog.FORBIDDEN_MOUNTS or any(
        mount == d or mount.startswith(d + "/") for d in catalog.SYSTEM_DIRS
    ):
        raise SpecError("volume", mount, "a mount path other than /, /root, /tmp and system directories")
    if not _MOUNT_RE.match(mount) or any(part in (".", "..") for part in mount.split("/")):
        raise SpecError("volume", mount, "an absolute path of letters, digits, '.', '_' or '-'")
    return VolumeMount(name, mount)


def parse_volumes(values: Any) -> tuple[VolumeMount, ...]:
    if values is None:
        return ()
    if not isinstance(values, list | tuple):
        raise SpecError("volume", values, "a list of NAME[:MOUNT]")
    volumes = tuple(parse_volume(v) for v in values)
    for i, v in enumerate(volumes):
        for other in volumes[:i]:
            if v.name == other.name:
                raise SpecError("volume", v.name, "each Volume once")
            if volume_identifier(v.name) == volume_identifier(other.name):
                raise SpecError("volume", v.name, f"a name that differs from {other.name!r}")
            if (
                v.mount == other.mount
                or v.mount.startswith(other.mount + "/")
                or (other.mount.startswith(v.mount + "/"))
            ):
                raise SpecError("volume", v.mount, "a mount path that no other Volume uses")
    return volumes


def parse_spec(raw: Mapping[str, Any]) -> Spec:
    """Validate a raw answers mapping (flags, wizard or answers file) into a Spec.

    Missing keys take their defaults. Unknown keys are refused, so a typo in an answers file is
    reported instead of silently ignored.
    """
    known = set(ANSWER_KEYS) | {"modalgen_version", "_src_path", "_commit"}
    for key in raw:
        if key not in known:
            raise SpecError("answers", key, f"known keys are {', '.join(ANSWER_KEYS)}")
    defaults = Spec(name="x")
    workloads = parse_workloads(raw.get("workloads", list(defaults.workloads)))
    return Spec(
        name=check_name(raw.get("project_name")),
        description=check_description(raw.get("description", defaults.description)),
        gpus=parse_gpus(raw.get("gpu", [str(g) for g in defaults.gpus])),
        workloads=workloads,
        # A schedule is only checked (and croniter only imported) when there is a cron workload.
        cron=check_cron(raw.get("cron", defaults.cron)) if "cron" in workloads else defaults.cron,
        timezone=(
            check_timezone(raw.get("timezone", defaults.timezone))
            if "cron" in workloads
            else defaults.timezone
        ),
        volumes=parse_volumes(raw.get("volumes", [])),
        python=check_python(raw.get("python_version", defaults.python)),
    )
