"""How a wrong answer is reported: the option as its flag is spelled, the value as typed, what is allowed."""

from __future__ import annotations

import json
from collections.abc import Mapping
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
