"""Answers shown as the user typed them: one string per item, never a Python repr."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from modalgen.answers.fields.mounts import default_secret_keys


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
