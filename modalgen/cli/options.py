"""The flags that describe a project, defined once for `new`, `add` and `set`: one per option record
of the catalogue (modalgen/catalog/options.py).

Each flag sets the answer key of the same name (`--web-style` sets `web_style`). Values stay raw
here (strings, lists, booleans); `spec.parse_spec` checks them, exactly as it checks answers files
and wizard answers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import click

from modalgen import catalog


@dataclass(frozen=True)
class Flag:
    name: str  # --name
    key: str  # answer key
    help: str
    metavar: str | None = None
    multiple: bool = False
    is_flag: bool = False  # --name / --no-name
    aliases: tuple[str, ...] = ()

    @property
    def param(self) -> str:
        return self.name.replace("-", "_")


def _int_flag(knob: catalog.IntKnob) -> Flag:
    default = "Modal's default" if knob.default is None else f"{knob.default:,}"
    return Flag(
        knob.key.replace("_", "-"),
        knob.key,
        f"{knob.help[0].upper()}{knob.help[1:]}: {knob.low:,}-{knob.high:,} [default: {default}]."
        + (" `default` restores it." if knob.default is None else ""),
        metavar="N",
    )


def _flag(option: catalog.Option) -> Flag:
    """The flag of one option record: a number's help says its bounds and default."""
    if option.key in catalog.INT_KNOB_BY_KEY:
        return _int_flag(catalog.INT_KNOB_BY_KEY[option.key])
    return Flag(option.flag, option.key, option.help, option.metavar, multiple=option.multiple,
                is_flag=option.type == catalog.BOOL, aliases=option.aliases)  # fmt: skip


# No GPU anywhere: `--gpu` given as CPU-only, a flag of its own.
CPU_ONLY = Flag("cpu-only", "gpu", "No GPU anywhere.", is_flag=True)


def _flags() -> tuple[Flag, ...]:
    """Every option's flag, in the records' order (the project's name is an argument, not a flag)."""
    flags: list[Flag] = []
    for option in catalog.OPTIONS:
        if option.key != "name":
            flags.append(_flag(option))
        if option.key == "gpu":
            flags.append(CPU_ONLY)
    return tuple(flags)


FLAGS: tuple[Flag, ...] = _flags()
FLAG_BY_KEY: dict[str, Flag] = {f.key: f for f in FLAGS if f.name != "cpu-only"}
LIST_KEYS = {f.key for f in FLAGS if f.multiple and f.key not in ("gpu", "gpu_for")}


def spec_options(command: Callable) -> Callable:
    """Add every spec flag to a click command, in the option records' order."""
    for f in reversed(_flags()):
        names = [f"--{f.name}", *f.aliases]
        if f.is_flag and f.name != "cpu-only":
            decorator = click.option(f"--{f.name}/--no-{f.name}", f.param, default=None, help=f.help)
        elif f.is_flag:
            decorator = click.option(*names, f.param, is_flag=True, default=None, help=f.help)
        else:
            decorator = click.option(*names, f.param, metavar=f.metavar, multiple=f.multiple, help=f.help)
        command = decorator(command)
    return command


class FlagConflict(ValueError):
    pass


def raw_from_flags(values: dict[str, Any]) -> dict[str, Any]:
    """The answers the flags give, keyed like the answers file; flags not given are absent."""
    raw: dict[str, Any] = {}
    if values.get("gpu") and values.get("cpu_only"):
        raise FlagConflict("--gpu: not with --cpu-only; give one of them")
    if values.get("cron") and values.get("period"):
        raise FlagConflict("--period: not with --cron; give one of them")
    for f in _flags():
        value = values.get(f.param)
        if value is None or (f.multiple and not value):
            continue
        if f.name == "cpu-only":
            if value:
                raw["gpu"] = []
        elif f.multiple:
            raw[f.key] = list(value)
        elif f.key in catalog.INT_KNOB_BY_KEY and isinstance(value, str) and value.lower() == "default":
            raw[f.key] = catalog.INT_KNOB_BY_KEY[f.key].default
        else:
            raw[f.key] = value
    return raw
