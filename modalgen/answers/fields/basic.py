"""Answers of the basic types: yes/no, a whole number in bounds, one of a list, a list of strings."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from modalgen import catalog
from modalgen.answers.fields.errors import SpecError


def each_item(key: str, values: list[Any], parse) -> list[Any]:
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


def split_commas(values: list[Any]) -> list[Any]:
    out: list[Any] = []
    for value in values:
        if isinstance(value, str) and "," in value:
            out += [part.strip() for part in value.split(",")]
        else:
            out.append(value)
    return out


def string_list(key: str, values: Any) -> list[str]:
    if values is None:
        return []
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, list | tuple) or not all(isinstance(v, str) for v in values):
        raise SpecError(key, values, "a list of strings")
    return list(values)


ENV_KEY_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


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


def check_value(option: Any, value: Any) -> Any:
    """An answer of an option with no check of its own, checked by its value type (catalog.Option):
    a whole number in its bounds, yes or no, or one line of text."""
    if option.type == catalog.INT:
        return check_int(option, value)
    if option.type == catalog.BOOL:
        return check_bool(option.key, value)
    if value is None and option.default is None:
        return None
    if option.type == catalog.CHOICE and option.choices:
        return check_choice(option.key, value, option.choices)
    if option.type == catalog.TEXT and isinstance(value, str) and value.strip() and "\n" not in value:
        return value.strip()
    raise SpecError(option.key, value, f"a {option.type} answer")
