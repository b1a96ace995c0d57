"""The check of every answer field, one function each: the same for flags, wizard, files and `set`.

Each raises SpecError naming the option (as its flag is spelled), the value as the user typed it
and what is allowed. The `modal` client does not check GPU names and counts, cron strings, time
zones or mount paths before Modal's servers do, so modalgen checks them here, before anything is
written.
"""

from __future__ import annotations

import functools
import json
import keyword
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from modalgen import catalog

# Answer keys that are not spelled as a flag in messages.
# A project's own answers file (`add`, `set`, `update`, `doctor`) is named as the file: those commands
# have no --answers-file, which is `new`'s flag (raised as "answers-file").
_NOT_FLAGS = {
    "name": "NAME",
    "answers": "answers file",
    "answers_file": catalog.ANSWERS_FILE,
    "kind": "KIND",
}


def flag(key: str) -> str:
    """The option as users see it: `--web-style` for the answer key `web_style`."""
    if key in _NOT_FLAGS:
        return _NOT_FLAGS[key]
    if key.startswith("-") or " " in key:
        return key
    return "--" + key.replace("_", "-")


def shown(value: Any) -> str:
    """A value as the user typed it: strings quoted, never a Python repr."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "nothing"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list | tuple):
        return json.dumps(",".join(str(v) for v in value), ensure_ascii=False)
    if isinstance(value, Mapping):
        return json.dumps(", ".join(f"{k}={v}" for k, v in value.items()), ensure_ascii=False)
    return json.dumps(str(value), ensure_ascii=False)


def typed_items(key: str, value: Any) -> list[str]:
    """An answer as its flag takes it, one string per item: what the user typed, never a Python repr.

    `{"name": "data", "mount": "/models"}` is `data:/models`, a Secret with its service's own keys is
    its name, `{"KEY": "v"}` is `KEY=v`, `{"cron": ["T4"]}` is `cron=T4`, true is yes.
    """
    if value is None or value == "":
        return []
    if isinstance(value, bool):
        return ["yes" if value else "no"]
    if isinstance(value, Mapping) and key in ("env", "gpu_for"):
        # gpu_for: a fallback list per function, and no GPU (an empty list) is written `cpu`
        spelled = lambda v: ",".join(map(str, v)) or "cpu" if isinstance(v, list | tuple) else v  # noqa: E731
        return [f"{k}={spelled(v)}" for k, v in value.items()]
    if isinstance(value, Mapping) and key == "volume":
        return [f"{value.get('name')}:{value.get('mount')}" if value.get("mount") else str(value.get("name"))]
    if isinstance(value, Mapping) and key == "secret":
        name, keys = value.get("name"), value.get("keys")
        known = isinstance(name, str) and list(keys or []) == list(default_secret_keys(name))
        return [str(name) if known or not keys else f"{name}:{','.join(map(str, keys))}"]
    if isinstance(value, list | tuple):
        return [text for item in value for text in typed_items(key, item)]
    return [str(value)]


def as_typed(key: str, value: Any) -> str:
    """typed_items on one line: items joined by ", ", or by "; " when an item holds a comma itself
    (`db:USER,PASS; openai` is two Secrets, never three)."""
    items = typed_items(key, value)
    return ("; " if any("," in item for item in items) else ", ").join(items)


class SpecError(ValueError):
    """A user mistake: names the option, the value given and what is allowed.

    With `value=NO_VALUE` the message is about the option itself (an option no workload uses).
    """

    NO_VALUE = object()

    def __init__(self, field_name: str, value: Any, allowed: str, *, item: int | None = None):
        self.field = field_name
        self.value = value
        self.allowed = allowed
        where = flag(field_name) + (f" {item}" if item is not None else "")
        if value is SpecError.NO_VALUE:
            message = f"{where}: {allowed}"
        else:
            message = f"{where}: {shown(value)} is not allowed; {allowed}"
        super().__init__(message)


def _items(key: str, values: list[Any], parse) -> list[Any]:
    """Parse each item of a list, naming its position when there are several."""
    parsed = []
    for index, value in enumerate(values, start=1):
        try:
            parsed.append(parse(value))
        except SpecError as exc:
            if len(values) > 1:
                raise SpecError(exc.field, exc.value, exc.allowed, item=index) from None
            raise
    return parsed


# ---------------------------------------------------------------------------------------------
# Names and text


_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9._-]{0,39}$")


def package_name(name: str) -> str:
    return re.sub(r"[-.]+", "_", name).lower()


def volume_identifier(name: str) -> str:
    """The Python name the generated code gives a Volume."""
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
    if keyword.iskeyword(pkg):
        # The package is named after NAME, and `import import` is a syntax error.
        raise SpecError("name", value, f"{pkg} is a Python keyword, so it cannot name the project's Python "
                        f"package; choose another, e.g. my-{value}")  # fmt: skip
    if not pkg.isidentifier() or pkg.endswith("_"):
        raise SpecError("name", value, f"{allowed}; it must also make a Python package name")
    if pkg in sys.stdlib_module_names or pkg in catalog.RESERVED_PACKAGES:
        raise SpecError(
            "name", value, f'its package "{pkg}" would shadow a module the project or its tests import'
        )
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


# ---------------------------------------------------------------------------------------------
# GPUs


@dataclass(frozen=True)
class GpuChoice:
    name: str  # canonical
    count: int = 1

    def __str__(self) -> str:
        return self.name if self.count == 1 else f"{self.name}:{self.count}"

    @property
    def gpu(self) -> catalog.Gpu:
        return catalog.GPU_BY_NAME[self.name.upper()]

    @property
    def vram_gb(self) -> int:
        return self.gpu.vram_gb * self.count

    @property
    def price_per_hour(self) -> float | None:
        price = self.gpu.price_per_hour
        return None if price is None else round(price * self.count, 2)


def _gpu_names() -> str:
    return ", ".join(n for g in catalog.GPUS for n in (g.name, *g.aliases))


def parse_gpu(value: Any, key: str = "gpu") -> GpuChoice:
    allowed = f"TYPE[:COUNT] with TYPE one of {_gpu_names()} (any case)"
    if not isinstance(value, str):
        raise SpecError(key, value, allowed)
    type_part, sep, count_part = value.strip().partition(":")
    gpu = catalog.GPU_BY_NAME.get(type_part.strip().upper())
    if gpu is None:
        raise SpecError(key, value, allowed)
    count = 1
    if sep:
        if not count_part.isdigit():  # "H100:2:3", "H100:x", "H100:": the count is not one number
            raise SpecError(key, value, f"TYPE[:COUNT] with one whole COUNT after one ':', e.g. {gpu.name}:2")
        if not 1 <= int(count_part) <= gpu.max_count:
            raise SpecError(key, value, f"{gpu.name} takes a count of 1 to {gpu.max_count}")
        count = int(count_part)
    return GpuChoice(gpu.name, count)


def _split_commas(values: list[Any]) -> list[Any]:
    out: list[Any] = []
    for value in values:
        if isinstance(value, str) and "," in value:
            out += [part.strip() for part in value.split(",")]
        else:
            out.append(value)
    return out


def parse_gpus(values: Any, key: str = "gpu") -> tuple[GpuChoice, ...]:
    """GPU types in fallback order. `--gpu H100:2,A100-80GB:2` equals two `--gpu` flags."""
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, list | tuple):
        raise SpecError(key, values, "a list of TYPE[:COUNT]; an empty list means CPU-only")
    values = _split_commas(list(values))
    choices = tuple(_items(key, values, lambda v: parse_gpu(v, key)))
    seen = [str(c) for c in choices]
    for c in seen:
        if seen.count(c) > 1:
            raise SpecError(key, c, "each fallback once")
    return choices


def parse_gpu_for(values: Any) -> tuple[tuple[str, tuple[GpuChoice, ...]], ...]:
    """`KIND=SPEC` pairs (flags) or a mapping (answers files): where each function runs.

    SPEC is what `--gpu` takes (fallback lists included) or `cpu`.
    """
    allowed = (
        f"KIND=SPEC with KIND one of {', '.join(catalog.GPU_FOR_KEYS)} and SPEC a GPU such as H100:2 or cpu"
    )
    if values is None:
        return ()
    pairs: list[tuple[Any, Any]]
    if isinstance(values, Mapping):
        pairs = list(values.items())
    elif isinstance(values, list | tuple):
        pairs = []
        for item in values:
            if not isinstance(item, str) or "=" not in item:
                raise SpecError("gpu_for", item, allowed)
            kind, _, spec = item.partition("=")
            pairs.append((kind.strip(), spec.strip()))
    else:
        raise SpecError("gpu_for", values, allowed)
    result: dict[str, tuple[GpuChoice, ...]] = {}
    for kind, spec in pairs:
        if not isinstance(kind, str) or kind.lower() not in catalog.GPU_FOR_KEYS:
            raise SpecError("gpu_for", f"{kind}={spec}", allowed)
        if isinstance(spec, str) and spec.strip().lower() == "cpu" or spec == []:
            result[kind.lower()] = ()
        else:
            result[kind.lower()] = parse_gpus(spec, "gpu_for")
    return tuple(sorted(result.items(), key=lambda kv: catalog.GPU_FOR_KEYS.index(kv[0])))


def check_cpu(value: Any) -> float | None:
    if value is None:
        return None
    low, high = catalog.CPU_RANGE
    try:
        cores = float(value)
    except (TypeError, ValueError):
        raise SpecError("cpu", value, f"a number of cores from {low} to {high:g}, e.g. 2 or 0.5") from None
    if isinstance(value, bool) or not low <= cores <= high:
        raise SpecError("cpu", value, f"a number of cores from {low} to {high:g}, e.g. 2 or 0.5")
    return cores


# ---------------------------------------------------------------------------------------------
# Workloads and schedules


def parse_workloads(values: Any) -> tuple[str, ...]:
    allowed = f"one or more of {', '.join(catalog.KIND_NAMES)}"
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, list | tuple):
        raise SpecError("workload", values, allowed)
    kinds: list[str] = []
    for value in _split_commas(list(values)):
        if not isinstance(value, str) or value.strip().lower() not in catalog.KIND_BY_NAME:
            raise SpecError("workload", value, allowed)
        kinds.append(value.strip().lower())
    if not kinds:
        raise SpecError("workload", values, allowed)
    # Catalogue order: the same answers always render the same files in the same order.
    return tuple(k for k in catalog.KIND_NAMES if k in kinds)


# One cron field: its name, bounds and the names it also accepts.
_CRON_FIELDS = (
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("day of month", 1, 31, {}),
    ("month", 1, 12, {m: i for i, m in enumerate(
        ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), start=1)}),
    ("day of week", 0, 7, {d: i for i, d in enumerate(("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"))}),
)  # fmt: skip


def _cron_field_problem(text: str, name: str, low: int, high: int, names: dict[str, int]) -> str | None:
    """Why one field of a cron expression is wrong, in words; None when it is right."""

    def number(part: str) -> int | None:
        if part.upper() in names:
            return names[part.upper()]
        return int(part) if part.isdigit() else None

    for item in text.split(","):
        base, slash, step = item.partition("/")
        if slash and (not step.isdigit() or int(step) == 0):
            return f"{name} {item!s}: the step after '/' must be a whole number above 0"
        if base == "*":
            continue
        start, dash, end = base.partition("-")
        for part in (start, end) if dash else (start,):
            value = number(part)
            if value is None:
                return f"{name} {part or item!s}: not a number" + (
                    f" or one of {', '.join(names)}" if names else ""
                )
            if not low <= value <= high:
                return f"{name} {value} is out of range {low}-{high}"
        if dash and number(start) > number(end):
            return f"{name} {base}: the range runs backwards"
    return None


def check_cron(value: Any) -> str:
    fields_text = "minute hour day-of-month month day-of-week, e.g. '0 6 * * *'"
    if not isinstance(value, str):
        raise SpecError("cron", value, f"5 fields: {fields_text}")
    parts = value.split()
    if len(parts) != 5:
        raise SpecError("cron", value, f"5 fields, not {len(parts)}: {fields_text}")
    for part, (name, low, high, names) in zip(parts, _CRON_FIELDS, strict=True):
        problem = _cron_field_problem(part, name, low, high, names)
        if problem:
            raise SpecError("cron", value, problem)
    if " ".join(parts) == catalog.DEFAULT_CRON:  # checked every time, and valid: croniter stays unloaded
        return catalog.DEFAULT_CRON
    from croniter import croniter  # only projects with a schedule pay for this import

    if not croniter.is_valid(value):
        raise SpecError("cron", value, f"5 fields: {fields_text}")
    return " ".join(parts)


@functools.cache
def _time_zones() -> frozenset[str]:
    """The IANA zone names: tzdata's list (a dependency), which holds zones, never the database's
    folders (Europe), its tables (zone.tab) or the system's extras (localtime, posixrules)."""
    from importlib import resources

    try:
        return frozenset(resources.files("tzdata").joinpath("zones").read_text(encoding="utf-8").split())
    except (ModuleNotFoundError, OSError):
        import zoneinfo

        return frozenset(zoneinfo.available_timezones())


def check_timezone(value: Any) -> str:
    allowed = "an IANA time zone such as UTC, Europe/Berlin or America/New_York"
    if value == catalog.DEFAULT_TIMEZONE:
        return value
    zones = _time_zones()
    if isinstance(value, str) and value in zones:
        return value
    if isinstance(value, str) and value.strip():
        folded = value.strip().strip("/").lower()
        same = [z for z in zones if z.lower() == folded]
        if same:
            raise SpecError("timezone", value, f"zone names are case-sensitive: {same[0]}")
        region = sorted(z for z in zones if z.lower().startswith(folded + "/"))
        if region:
            name = region[0].rsplit("/", 1)[0]
            examples = ", ".join(region[:3])
            raise SpecError("timezone", value, f"{name} is a region of the time zone database, not a zone; "
                            f"name a zone in it, such as {examples}")  # fmt: skip
    raise SpecError("timezone", value, allowed)


_PERIOD_RE = re.compile(r"^([1-9][0-9]{0,4})([mhd])$")


def check_period(value: Any) -> str | None:
    if value is None:
        return None
    match = _PERIOD_RE.match(value) if isinstance(value, str) else None
    if not match:
        raise SpecError("period", value, "a number and a unit: 30m, 6h or 1d")
    return value


# ---------------------------------------------------------------------------------------------
# Images


def check_image_builder(value: Any) -> str:
    if isinstance(value, float):  # YAML reads an unquoted 2025.06 as a number
        value = f"{value:.2f}"
    if value not in catalog.IMAGE_BUILDERS:
        raise SpecError("image_builder", value, f"one of {', '.join(catalog.IMAGE_BUILDERS)}")
    return value


def check_python(value: Any, builder: str = catalog.DEFAULT_IMAGE_BUILDER) -> str:
    """A container Python that the project's pinned image builder supports."""
    if isinstance(value, float):  # YAML reads an unquoted 3.12 as a number
        value = str(value)
    if value not in catalog.CONTAINER_PYTHONS:
        raise SpecError("python", value, f"one of {', '.join(catalog.CONTAINER_PYTHONS)}")
    if value not in catalog.IMAGE_BUILDERS[builder]:
        others = [b for b, pythons in catalog.IMAGE_BUILDERS.items() if value in pythons]
        raise SpecError(
            "python",
            value,
            f"image builder {builder} supports {', '.join(catalog.IMAGE_BUILDERS[builder])}; "
            f"add --image-builder {others[-1]} for Python {value}",
        )
    return value


_APT_RE = re.compile(r"^[a-z0-9][a-z0-9+.-]*(=[A-Za-z0-9.+:~-]+)?$")
_PIP_NAME = r"[A-Za-z0-9][A-Za-z0-9._-]*(\[[A-Za-z0-9._,-]+\])?"
_PIP_PINNED_RE = re.compile(rf"^{_PIP_NAME}==[A-Za-z0-9.+!_-]+$")
_PIP_ANY_RE = re.compile(rf"^{_PIP_NAME}([<>=!~]=?[A-Za-z0-9.*+!_-]+(,[<>=!~]=?[A-Za-z0-9.*+!_-]+)*)?$")
_ENV_KEY_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def check_choice(key: str, value: Any, choices: Mapping[str, str] | tuple[str, ...]) -> str:
    if value not in choices:
        raise SpecError(key, value, f"one of {', '.join(choices)}")
    return value


def check_bool(key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise SpecError(key, value, "true or false")
    return value


def check_int(knob: catalog.IntKnob, value: Any) -> int | None:
    if value is None and knob.default is None:
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not knob.low <= value <= knob.high:
        raise SpecError(knob.key, value, f"a whole number from {knob.low:,} to {knob.high:,}")
    return value


def _string_list(key: str, values: Any) -> list[str]:
    if values is None:
        return []
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, list | tuple) or not all(isinstance(v, str) for v in values):
        raise SpecError(key, values, "a list of strings")
    return list(values)


def parse_apt(values: Any) -> tuple[str, ...]:
    def check(pkg: str) -> str:
        if not _APT_RE.match(pkg):
            raise SpecError("apt", pkg, "a Debian package name, optionally =VERSION")
        return pkg

    return tuple(dict.fromkeys(_items("apt", _string_list("apt", values), check)))


def parse_pip(values: Any, allow_unpinned: bool) -> tuple[str, ...]:
    def check(spec: str) -> str:
        if _PIP_PINNED_RE.match(spec) or (allow_unpinned and _PIP_ANY_RE.match(spec)):
            return spec
        allowed = "a pinned requirement NAME==VERSION (or NAME[EXTRA]==VERSION)"
        hint = "" if allow_unpinned else "; --allow-unpinned accepts others"
        raise SpecError("pip", spec, allowed + hint)

    return tuple(dict.fromkeys(_items("pip", _string_list("pip", values), check)))


def _check_env_key(key: Any) -> None:
    if not isinstance(key, str) or not _ENV_KEY_RE.match(key):
        raise SpecError("env", key, "a variable name: letters, digits and _, not starting with a digit")
    if key.upper() in catalog.FORBIDDEN_ENV or key.upper().startswith(catalog.FORBIDDEN_ENV_PREFIXES):
        reserved = ", ".join((*catalog.FORBIDDEN_ENV, *(p + "*" for p in catalog.FORBIDDEN_ENV_PREFIXES)))
        raise SpecError("env", key, f"a name the container does not depend on (not {reserved})")


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
        _check_env_key(key)
        if not isinstance(val, str) or not is_one_safe_line(val) or len(val) > 500:
            raise SpecError("env", val, "a one-line value without control characters, at most 500 characters")
    return tuple(sorted(dict(pairs).items()))


# ---------------------------------------------------------------------------------------------
# Volumes and Secrets


@dataclass(frozen=True)
class VolumeMount:
    name: str
    mount: str


@dataclass(frozen=True)
class SecretKeys:
    name: str
    keys: tuple[str, ...]


_VOLUME_NAME_RE = re.compile(r"^[A-Za-z0-9._-]{1,63}$")
_MOUNT_RE = re.compile(r"^(/[A-Za-z0-9._-]+)+$")
_SECRET_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")


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
    volumes = tuple(_items("volume", list(values), parse_volume))
    for i, v in enumerate(volumes):
        for other in volumes[:i]:
            if v.name == other.name:
                raise SpecError("volume", v.name, "each Volume once")
            if volume_identifier(v.name) == volume_identifier(other.name):
                raise SpecError(
                    "volume",
                    v.name,
                    f'a name that differs from "{other.name}" in more than case or punctuation',
                )
            if (
                v.mount == other.mount
                or v.mount.startswith(other.mount + "/")
                or (other.mount.startswith(v.mount + "/"))
            ):
                raise SpecError("volume", v.mount, "a mount path that no other Volume uses")
    return volumes


def default_secret_keys(name: str) -> tuple[str, ...]:
    """The keys a Secret holds when none are named: the real ones for known services."""
    known = catalog.KNOWN_SECRET_KEYS.get(name.lower())
    if known:
        return known
    key = re.sub(r"[^A-Z0-9]+", "_", name.upper()).strip("_")
    return (f"_{key}" if key[:1].isdigit() else key,)


def parse_secret(value: Any) -> SecretKeys:
    """`NAME[:KEY1,KEY2]` from a flag, `{name, keys}` or a bare name from an answers file."""
    allowed = "NAME[:KEY1,KEY2], a Secret name of letters, digits, '.', '_' or '-', under 64 characters"
    if isinstance(value, Mapping):
        name, keys = value.get("name"), value.get("keys")
    elif isinstance(value, str):
        name, sep, key_text = value.partition(":")
        keys = [k.strip() for k in key_text.split(",") if k.strip()] if sep else None
        if sep and not keys:
            raise SpecError("secret", value, allowed)
    else:
        raise SpecError("secret", value, allowed)
    if not isinstance(name, str) or not _SECRET_RE.match(name):
        raise SpecError("secret", value if isinstance(value, str) else name, allowed)
    if keys is None:
        return SecretKeys(name, default_secret_keys(name))
    if not isinstance(keys, list | tuple) or not keys:
        raise SpecError("secret", value, allowed)
    for key in keys:
        if not isinstance(key, str) or not _ENV_KEY_RE.match(key):
            raise SpecError("secret", key, "a key name: letters, digits and _, not starting with a digit")
    return SecretKeys(name, tuple(dict.fromkeys(keys)))


def parse_secrets(values: Any) -> tuple[SecretKeys, ...]:
    if values is None:
        return ()
    if isinstance(values, str | Mapping):
        values = [values]
    if not isinstance(values, list | tuple):
        raise SpecError("secret", values, "a list of NAME[:KEY1,KEY2]")
    secrets: dict[str, SecretKeys] = {}
    for secret in _items("secret", list(values), parse_secret):
        if secret.name in secrets and secrets[secret.name] != secret:
            raise SpecError("secret", secret.name, "each Secret once, with one set of keys")
        secrets[secret.name] = secret
    return tuple(secrets.values())


def check_model_params(value: Any) -> str | None:
    """A parameter count as people write it: 8B, 0.5B, 350M, 8x7B."""
    if value is None:
        return None
    from modalgen.plan.sizing import SizingError, parse_params

    try:
        parse_params(str(value))
    except SizingError as exc:
        raise SpecError("model_params", value, exc.allowed) from None
    return str(value)


def check_dtype(value: Any) -> str | None:
    if value is None:
        return None
    return check_choice("dtype", value, catalog.DTYPES)


def check_max_model_len(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    low, high = catalog.MAX_MODEL_LEN
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise SpecError("max_model_len", value, f"a whole number of tokens from {low:,} to {high:,}")
    return value


_HF_REPO_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$")
_HF_PINNED_REVISION_RE = re.compile(r"^[0-9a-f]{40}$")
_HF_ANY_REVISION_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,99}$")


def check_hf_model(value: Any, allow_unpinned: bool) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise SpecError("hf_model", value, "REPO@REVISION, e.g. org/model@<40-hex commit>")
    repo, sep, revision = value.partition("@")
    if not _HF_REPO_RE.match(repo):
        raise SpecError("hf_model", value, "REPO@REVISION with REPO like org/model")
    if not sep:
        # REPO alone is REPO@main: plan.pin_revision pins the commit main is at when the Hub answers;
        # otherwise the model follows main, and the summary says why it is not pinned.
        return repo
    if _HF_PINNED_REVISION_RE.match(revision) or (allow_unpinned and _HF_ANY_REVISION_RE.match(revision)):
        return value
    allowed = (
        "REPO@REVISION with a pinned revision (a 40-hex commit); --allow-unpinned accepts a branch or tag, "
        f"and {repo} alone is its main, pinned to its commit when the Hub answers"
    )
    raise SpecError("hf_model", value, allowed)
