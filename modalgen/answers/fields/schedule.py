"""Answers that say what runs and when: workload kinds, cron strings, time zones, periods."""

from __future__ import annotations

import functools
import re
from typing import Any

from modalgen import catalog
from modalgen.answers.fields.basic import split_commas
from modalgen.answers.fields.errors import SpecError


def parse_workloads(values: Any) -> tuple[str, ...]:
    allowed = f"one or more of {', '.join(catalog.KIND_NAMES)}"
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, list | tuple):
        raise SpecError("workload", values, allowed)
    kinds: list[str] = []
    for value in split_commas(list(values)):
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
