"""The check of every answer field, one function each: the same for flags, wizard and files.

Each raises SpecError naming the field (as its flag is spelled), the value given and what is allowed.
The `modal` client does not check GPU names and counts, cron strings, time zones or mount paths
before Modal's servers do, so modalgen checks them here, before anything is written.
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


# Control characters (C0 and C1), line and paragraph separators and lone surrogates: each would end
# a line, or be read back differently, in at least one of the files the text lands in (TOML, YAML,
# Python, Markdown).
_UNSAFE_CATEGORIES = {"Cc", "Cs", "Zl", "Zp"}


def is_one_safe_line(value: str) -> bool:
    import unicodedata

    return not any(unicodedata.category(ch) in _UNSAFE_CATEGORIES for ch in value)


def check_description(value: Any) -> str:
    allowed = "one line of text without control characters, at most 200 characters"
    if not isinstance(value, str) or len(value) > 200:
        raise SpecError("description", value, allowed)
    if not is_one_safe_line(value) or not value.strip():
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


_PERIOD_RE = re.compile(r"^([1-9][0-9]{0,4})([mhd])$")
_APT_RE = re.compile(r"^[a-z0-9][a-z0-9+.-]*(=[A-Za-z0-9.+:~-]+)?$")
_PIP_NAME = r"[A-Za-z0-9][A-Za-z0-9._-]*(\[[A-Za-z0-9._,-]+\])?"
_PIP_PINNED_RE = re.compile(rf"^{_PIP_NAME}==[A-Za-z0-9.+!_-]+$")
_PIP_ANY_RE = re.compile(rf"^{_PIP_NAME}([<>=!~]=?[A-Za-z0-9.*+!_-]+(,[<>=!~]=?[A-Za-z0-9.*+!_-]+)*)?$")
_ENV_KEY_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SECRET_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")
_HF_REPO_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$")
_HF_PINNED_REVISION_RE = re.compile(r"^[0-9a-f]{40}$")
_HF_ANY_REVISION_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,99}$")


def flag(key: str) -> str:
    """The field name users see: the flag's spelling."""
    return key.replace("_", "-")


def check_period(value: Any) -> str | None:
    if value is None:
        return None
    match = _PERIOD_RE.match(value) if isinstance(value, str) else None
    if not match:
        raise SpecError("period", value, "a number and a unit: 30m, 6h or 1d")
    return value


def check_choice(key: str, value: Any, choices: Mapping[str, str] | tuple[str, ...]) -> str:
    if value not in choices:
        raise SpecError(flag(key), value, f"one of {', '.join(choices)}")
    return value


def check_bool(key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise SpecError(flag(key), value, "true or false")
    return value


def check_int(knob: catalog.IntKnob, value: Any) -> int | None:
    if value is None and knob.default is None:
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not knob.low <= value <= knob.high:
        raise SpecError(flag(knob.key), value, f"a whole number from {knob.low} to {knob.high}")
    return value


def _string_list(key: str, values: Any) -> list[str]:
    if values is None:
        return []
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, list | tuple) or not all(isinstance(v, str) for v in values):
        raise SpecError(flag(key), values, "a list of strings")
    return list(values)


def parse_apt(values: Any) -> tuple[str, ...]:
    packages = _string_list("apt", values)
    for pkg in packages:
        if not _APT_RE.match(pkg):
            raise SpecError("apt", pkg, "a Debian package name, optionally =VERSION")
    return tuple(dict.fromkeys(packages))


def parse_pip(values: Any, allow_unpinned: bool) -> tuple[str, ...]:
    specs = _string_list("pip", values)
    for spec in specs:
        if _PIP_PINNED_RE.match(spec):
            continue
        if allow_unpinned and _PIP_ANY_RE.match(spec):
            continue
        allowed = "a pinned requirement NAME==VERSION (or NAME[EXTRA]==VERSION)"
        hint = "" if allow_unpinned else "; --allow-unpinned accepts others"
        raise SpecError("pip", spec, allowed + hint)
    return tuple(dict.fromkeys(specs))


def parse_env(values: Any) -> tuple[tuple[str, str], ...]:
    """`KEY=VALUE` strings from flags, or a mapping from an answers file."""
    if values is None:
        return ()
    if isinstance(values, Mapping):
        pairs = list(values.items())
    else:
        pairs = []
        for item in _string_list("env", values):
            key, sep, val = item.partition("=")
            if not sep:
                raise SpecError("env", item, "KEY=VALUE")
            pairs.append((key, val))
    for key, val in pairs:
        if not isinstance(key, str) or not _ENV_KEY_RE.match(key):
            raise SpecError("env", key, "a variable name: letters, digits and _, not starting with a digit")
        if not isinstance(val, str) or not is_one_safe_line(val) or len(val) > 500:
            raise SpecError("env", val, "a one-line value without control characters, at most 500 characters")
    return tuple(sorted(dict(pairs).items()))


def parse_secrets(values: Any) -> tuple[str, ...]:
    names = _string_list("secret", values)
    for name in names:
        if not _SECRET_RE.match(name):
            allowed = "a Secret name of letters, digits, '.', '_' or '-', under 64 characters"
            raise SpecError("secret", name, allowed)
    return tuple(dict.fromkeys(names))


def check_hf_model(value: Any, allow_unpinned: bool) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise SpecError("hf-model", value, "REPO@REVISION, e.g. org/model@<40-hex commit>")
    repo, sep, revision = value.partition("@")
    if not _HF_REPO_RE.match(repo):
        raise SpecError("hf-model", value, "REPO@REVISION with REPO like org/model")
    if not sep and allow_unpinned:
        return f"{repo}@main"
    if _HF_PINNED_REVISION_RE.match(revision) or (allow_unpinned and _HF_ANY_REVISION_RE.match(revision)):
        return value
    allowed = "REPO@REVISION with a pinned revision (a 40-hex commit); --allow-unpinned accepts others"
    raise SpecError("hf-model", value, allowed)
