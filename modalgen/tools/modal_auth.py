"""Is a Modal token configured? Answered the way the `modal` client decides, without importing it.

`import modal` costs about 0.35 s and raises on a malformed config file; modalgen only needs to know
whether to print `modal setup` as a next step (and `doctor` reports the details).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class AuthState:
    configured: bool
    source: str  # "environment", the config file's path, or "" when none
    profile: str | None
    config_path: Path
    problem: str | None = None  # a malformed config file, with its path


def config_path() -> Path:
    return Path(os.environ.get("MODAL_CONFIG_PATH") or Path.home() / ".modal.toml")


def auth_state() -> AuthState:
    path = config_path()
    if os.environ.get("MODAL_TOKEN_ID") and os.environ.get("MODAL_TOKEN_SECRET"):
        return AuthState(True, "environment", os.environ.get("MODAL_PROFILE"), path)
    if not path.is_file():
        return AuthState(False, "", os.environ.get("MODAL_PROFILE"), path)
    try:
        profiles = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        return AuthState(False, "", None, path, problem=f"{path}: cannot be read ({exc})")
    profile = os.environ.get("MODAL_PROFILE") or next(
        (name for name, section in profiles.items() if isinstance(section, dict) and section.get("active")),
        "default",
    )
    section = profiles.get(profile)
    if not isinstance(section, dict):
        return AuthState(False, "", profile, path)
    configured = bool(section.get("token_id") and section.get("token_secret"))
    return AuthState(configured, str(path) if configured else "", profile, path)
