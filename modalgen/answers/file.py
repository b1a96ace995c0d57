"""Reading answers files (`--answers-file`, a project's `.modalgen-answers.yml`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from modalgen.answers.fields import SpecError


def load_answers(path: Path, field: str = "answers-file") -> dict[str, Any]:
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError(field, str(path), "an existing YAML file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(field, str(path), f"a readable UTF-8 YAML file ({exc.__class__.__name__})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        at = f" (line {where.line + 1})" if where else ""
        raise SpecError(field, str(path), f"valid YAML{at}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict) or not all(isinstance(k, str) for k in data):
        raise SpecError(field, str(path), "a YAML mapping of answer keys to values")
    return data
