"""Answers that are names and text: the project's name (and its package), its description."""

from __future__ import annotations

import keyword
import re
import sys
from typing import Any

from modalgen import catalog
from modalgen.answers.fields.errors import SpecError

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
