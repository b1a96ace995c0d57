"""Answers about the image: builder version, Python, apt and pip packages, environment variables."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from modalgen import catalog
from modalgen.answers.fields.basic import ENV_KEY_RE, each_item, string_list
from modalgen.answers.fields.errors import SpecError
from modalgen.answers.fields.text import is_one_safe_line


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


def parse_apt(values: Any) -> tuple[str, ...]:
    def check(pkg: str) -> str:
        if not _APT_RE.match(pkg):
            raise SpecError("apt", pkg, "a Debian package name, optionally =VERSION")
        return pkg

    return tuple(dict.fromkeys(each_item("apt", string_list("apt", values), check)))


def parse_pip(values: Any, allow_unpinned: bool) -> tuple[str, ...]:
    def check(spec: str) -> str:
        if _PIP_PINNED_RE.match(spec) or (allow_unpinned and _PIP_ANY_RE.match(spec)):
            return spec
        allowed = "a pinned requirement NAME==VERSION (or NAME[EXTRA]==VERSION)"
        hint = "" if allow_unpinned else "; --allow-unpinned accepts others"
        raise SpecError("pip", spec, allowed + hint)

    return tuple(dict.fromkeys(each_item("pip", string_list("pip", values), check)))


def _check_env_key(key: Any) -> None:
    if not isinstance(key, str) or not ENV_KEY_RE.match(key):
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
        for item in string_list("env", values):
            key, sep, val = item.partition("=")
            if not sep:
                raise SpecError("env", item, "KEY=VALUE")
            pairs.append((key, val))
    for key, val in pairs:
        _check_env_key(key)
        if not isinstance(val, str) or not is_one_safe_line(val) or len(val) > 500:
            raise SpecError("env", val, "a one-line value without control characters, at most 500 characters")
    return tuple(sorted(dict(pairs).items()))
