"""The flags that describe a project, defined once for `new` and `add`.

Each flag maps to one answer key of `.modalgen-answers.yml`. Values stay raw here (strings, lists,
flags); `spec.parse_spec` checks them, exactly as it checks answers files and wizard answers.
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
    is_flag: bool = False

    @property
    def param(self) -> str:
        return self.name.replace("-", "_")


def _int_flag(knob: catalog.IntKnob) -> Flag:
    default = "Modal's default" if knob.default is None else knob.default
    return Flag(
        knob.key.replace("_", "-"),
        knob.key,
        f"{knob.help[0].upper()}{knob.help[1:]}: {knob.low}-{knob.high} [default: {default}].",
        metavar="N",
    )


FLAGS: tuple[Flag, ...] = (
    Flag("gpu", "gpu", "GPU type and count, e.g. H100:2. Repeat for ordered fallbacks. See `modalgen gpus`.",
         "TYPE[:COUNT]", multiple=True),
    Flag("cpu-only", "gpu", "No GPU.", is_flag=True),
    Flag("workload", "workloads",
         f"What the project runs: {', '.join(catalog.WORKLOAD_KINDS)}. Repeatable; comma lists accepted.",
         "KIND", multiple=True),
    Flag("cron", "cron", f"5-field schedule of the cron workload [default: {catalog.DEFAULT_CRON}].", "EXPR"),
    Flag("timezone", "timezone", "IANA time zone of the schedule [default: UTC].", "ZONE"),
    Flag("period", "period", "Run the cron workload every 30m, 6h, 1d ... instead of on --cron.", "EVERY"),
    Flag("volume", "volumes", "A Modal Volume to mount (default mount /NAME). Repeatable.", "NAME[:MOUNT]",
         multiple=True),
    Flag("python", "python_version",
         f"The container's Python: {', '.join(catalog.CONTAINER_PYTHONS)} "
         f"[default: {catalog.DEFAULT_PYTHON}].",
         "X.Y"),
    Flag("description", "description", "One line that says what the project does.", "TEXT"),
    Flag("web", "web_style",
         "How the web workload is served: " + "; ".join(f"{k}: {v}" for k, v in catalog.WEB_STYLES.items())
         + f" [default: {catalog.DEFAULT_WEB_STYLE}].", "STYLE"),
    Flag("public", "public", "Serve the endpoint without Modal proxy auth (it requires it by default).",
         is_flag=True),
    *(_int_flag(k) for k in catalog.INT_KNOBS),
    Flag("single-use-containers", "single_use_containers", "A fresh container for every input (jobs only).",
         is_flag=True),
    Flag("apt", "apt", "A Debian package for the image. Repeatable.", "PKG", multiple=True),
    Flag("pip", "pip", "A pinned Python package for the image (NAME==VERSION). Repeatable.", "SPEC",
         multiple=True),
    Flag("allow-unpinned", "allow_unpinned", "Accept unpinned --pip specs and --hf-model revisions.",
         is_flag=True),
    Flag("env", "env", "An environment variable baked into the image. Repeatable.", "KEY=VALUE",
         multiple=True),
    Flag("base", "base", f"The image's base: {', '.join(catalog.BASES)} [default: {catalog.DEFAULT_BASE}].",
         "BASE"),
    Flag("uv-sync", "uv_sync", "The image installs the project's own locked dependencies (uv.lock).",
         is_flag=True),
    Flag("secret", "secrets", "A Modal Secret every function receives (by name; no values). Repeatable.",
         "NAME", multiple=True),
    Flag("hf-model", "hf_model", "A Hugging Face model, REPO@REVISION: cached in a Volume, revision pinned.",
         "REPO[@REV]"),
    Flag("snapshot", "snapshot", "Memory snapshots for faster cold starts (deployed apps only).",
         is_flag=True),
)  # fmt: skip


def spec_options(command: Callable) -> Callable:
    """Add every spec flag to a click command, in FLAGS order."""
    for f in reversed(FLAGS):
        if f.is_flag:
            decorator = click.option(f"--{f.name}", f.param, is_flag=True, default=None, help=f.help)
        else:
            decorator = click.option(
                f"--{f.name}", f.param, metavar=f.metavar, multiple=f.multiple, help=f.help
            )
        command = decorator(command)
    return command


class FlagConflict(ValueError):
    pass


def raw_from_flags(values: dict[str, Any]) -> dict[str, Any]:
    """The answers the flags give, keyed like the answers file; flags not given are absent."""
    raw: dict[str, Any] = {}
    if values.get("gpu") and values.get("cpu_only"):
        raise FlagConflict("gpu: --gpu and --cpu-only exclude each other; give one of them")
    if values.get("cron") and values.get("period"):
        raise FlagConflict("period: --period and --cron exclude each other; give one of them")
    for f in FLAGS:
        value = values.get(f.param)
        if value is None or (f.multiple and not value):
            continue
        if f.name == "cpu-only":
            raw["gpu"] = []
        elif f.multiple:
            raw[f.key] = list(value)
        else:
            raw[f.key] = value
    return raw
