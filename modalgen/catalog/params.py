"""Parameter counts from text ("8B", "350M", "8x7B", a repo's name), and the error sizing raises."""

from __future__ import annotations

import math
import re
from typing import Any

from modalgen.catalog.hub import MAX_PARAMS, MIN_PARAMS

_PARAMS_ALLOWED = "a size such as 8B, 0.5B, 350M or 8x7B"


class SizingError(ValueError):
    """A user mistake: names the field (as its flag is spelled, e.g. "--model-params"), the value and what
    is allowed, so the CLI can print it as it prints every other bad flag."""

    def __init__(self, field: str, value: Any, allowed: str):
        self.field = field
        self.value = value
        self.allowed = allowed
        super().__init__(f'{field}: "{value}" is not allowed; {allowed}')


# --------------------------------------------------------------------------------------------------
# Parameter counts from text


_SIZE_RE = re.compile(r"^(?:(\d+)\s*[x×]\s*)?(\d+(?:\.\d*)?|\.\d+)\s*([kmbt])$", re.IGNORECASE)
_PLAIN_NUMBER_RE = re.compile(r"^\d+(?:\.\d*)?(?:e\d+)?$", re.IGNORECASE)
_SUFFIX = {"k": 1e3, "m": 1e6, "b": 1e9, "t": 1e12}


def parse_params(text: str) -> float:
    """A parameter count from text: "8B" -> 8e9, "350M" -> 3.5e8, "8x7B" -> 5.6e10, "7.6e9" -> 7.6e9.

    "NxM" is the naive product: a mixture of experts shares its attention and embeddings, so the real
    count is lower (Mixtral-8x7B is 46.7B, not 56B). Naive is the safe side for a fit check, and KNOWN
    holds the real figures of the MoEs modalgen knows.
    """
    raw = str(text).strip() if text is not None else ""
    value = _parse_size(raw.replace("_", "").replace(",", ""))
    if value is None or not math.isfinite(value) or not MIN_PARAMS <= value <= MAX_PARAMS:
        raise SizingError("--model-params", text, _PARAMS_ALLOWED)
    return value


def _parse_size(text: str) -> float | None:
    """The number a size string means, or None when it is not one (range is checked by the caller)."""
    if _PLAIN_NUMBER_RE.match(text):
        return float(text)
    m = _SIZE_RE.match(text)
    if not m:
        return None
    experts, size, suffix = m.groups()
    value = float(size) * _SUFFIX[suffix.lower()]
    return value * int(experts) if experts else value


# A size inside a repo name: digits (optionally "N x"), an optional decimal part, then B or M, standing
# alone: not glued to a letter, digit or dot before it ("v0.3", "Qwen2.5", "A4B" are not sizes) nor to a
# letter or digit after it ("4bit", "3.1" have no unit). So "Llama-3.1-70B-Instruct" -> "70B",
# "deepseek-llm-7b-chat" -> "7b", "Qwen3-30B-A3B" -> "30B" (total, not the 3B active).
_NAME_SIZE_RE = re.compile(r"(?<![A-Za-z0-9.])((?:\d+x)?\d+(?:\.\d+)?[BbMm])(?![A-Za-z0-9])")
_EXPERTS_RE = re.compile(r"(?<![A-Za-z0-9.])(\d+x\d+(?:\.\d+)?[Bb])(?![A-Za-z0-9])")


def params_from_name(repo: str) -> float | None:
    """The size a repo name states ("Qwen2.5-0.5B-Instruct" -> 5e8), or None; the first size wins.

    Only the name after the slash is read: an owner like "01-ai" must not count. "NxM" is naive (see
    parse_params); model_shape prefers KNOWN for the MoEs it knows.
    """
    name = bare_repo(repo).rsplit("/", 1)[-1]
    for m in _NAME_SIZE_RE.finditer(name):
        value = _parse_size(m.group(1))
        if value is not None and MIN_PARAMS <= value <= MAX_PARAMS:
            return value
    return None


def experts_from_name(repo: str) -> str | None:
    """The experts token of a MoE name ("Mixtral-8x7B-v0.1" -> "8x7B"), for the user's information only."""
    m = _EXPERTS_RE.search(bare_repo(repo).rsplit("/", 1)[-1])
    return m.group(1).upper() if m else None


def bare_repo(repo: str) -> str:
    """The repo id without a revision: modalgen's --hf-model is "org/model@rev"."""
    return str(repo).split("@", 1)[0].strip()
