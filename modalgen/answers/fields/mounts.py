"""Answers that attach things to functions: Volumes (NAME[:MOUNT]) and Secrets (NAME[:KEY1,KEY2])."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from modalgen import catalog
from modalgen.answers.fields.basic import ENV_KEY_RE, each_item, split_commas, string_list
from modalgen.answers.fields.errors import SpecError
from modalgen.answers.fields.text import volume_identifier


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
    volumes = tuple(each_item("volume", list(values), parse_volume))
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
        if not isinstance(key, str) or not ENV_KEY_RE.match(key):
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
    for secret in each_item("secret", list(values), parse_secret):
        if secret.name in secrets and secrets[secret.name] != secret:
            raise SpecError("secret", secret.name, "each Secret once, with one set of keys")
        secrets[secret.name] = secret
    return tuple(secrets.values())


# Modal environment names as `modal environment create` takes them; `ENV=` picks one in make.
_ENVIRONMENT_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


def parse_environments(values: Any) -> tuple[str, ...]:
    """Modal environments, first to last (dev, then prod): distinct names."""

    def check(name: str) -> str:
        if not _ENVIRONMENT_RE.match(name):
            raise SpecError("environments", name, "a Modal environment name: letters, digits, '-' and '_'")
        return name

    given = [name.strip() for name in split_commas(string_list("environments", values))]
    names = tuple(each_item("environments", [name for name in given if name], check))
    for name in names:
        if names.count(name) > 1:
            raise SpecError("environments", name, "each environment once, first to last")
    return names
