"""The flags that describe a project, defined once for `new`, `add` and `set`.

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


_GPU_NAMES = ", ".join(n for g in catalog.GPUS for n in (g.name, *g.aliases))

FLAGS: tuple[Flag, ...] = (
    Flag("stack", "stack", "What the core runs: "
         + "; ".join(f"{s.name}: {s.summary}" for s in catalog.STACKS)
         + f" [default: {catalog.DEFAULT_STACK}].", "NAME"),
    Flag("gpu", "gpu", f"GPU type and count, e.g. H100:2; a comma list or repeated flags are fallbacks. "
         f"Types: {_GPU_NAMES}. See `modalgen gpus`.", "TYPE[:COUNT]", multiple=True),
    Flag("cpu-only", "gpu", "No GPU anywhere.", is_flag=True),
    Flag("gpu-for", "gpu_for", "Where one function runs: KIND is a workload, core (run_core) or download; "
         "SPEC is a GPU as --gpu takes it, or cpu. Repeatable.", "KIND=SPEC", multiple=True),
    Flag("cpu", "cpu", "CPU cores requested by the functions that run the core [default: Modal's, 0.125].",
         "CORES"),
    Flag("workload", "workload",
         f"What the project runs: {', '.join(catalog.KIND_NAMES)}. Repeatable; comma lists accepted.",
         "KIND", multiple=True),
    Flag("cron", "cron", f"5-field schedule of the cron workload [default: {catalog.DEFAULT_CRON}].", "EXPR"),
    Flag("timezone", "timezone", "IANA time zone of the schedule [default: UTC].", "ZONE"),
    Flag("period", "period", "Run the cron workload every 30m, 6h, 1d ... instead of on --cron.", "EVERY"),
    Flag("volume", "volume", "A Modal Volume to mount (default mount /NAME). Repeatable.", "NAME[:MOUNT]",
         multiple=True),
    Flag("python", "python",
         f"The container's Python: {', '.join(catalog.CONTAINER_PYTHONS)}, as the image builder allows "
         f"[default: {catalog.DEFAULT_PYTHON}].", "X.Y"),
    Flag("image-builder", "image_builder",
         f"Modal image builder version the project pins: {', '.join(catalog.IMAGE_BUILDERS)} "
         f"[default: {catalog.DEFAULT_IMAGE_BUILDER}].", "VERSION"),
    Flag("description", "description", "One line that says what the project does.", "TEXT"),
    Flag("web-style", "web_style",
         "How the web workload is served: " + "; ".join(f"{k}: {v}" for k, v in catalog.WEB_STYLES.items())
         + f" [default: {catalog.DEFAULT_WEB_STYLE}].", "STYLE", aliases=("--web",)),
    Flag("public", "public", "Serve the web endpoint or Server without Modal proxy auth (on by default).",
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
    Flag("uv-sync", "uv_sync", "The image installs the project's runtime dependencies from uv.lock.",
         is_flag=True),
    Flag("secret", "secret", "A Modal Secret every function receives, with the keys it holds "
         "(known services know theirs: huggingface, wandb, openai ...). Repeatable.", "NAME[:KEY,...]",
         multiple=True),
    Flag("hf-model", "hf_model", "A Hugging Face model, REPO[@REVISION], cached in a Volume: a 40-hex "
         "commit, or a branch with --allow-unpinned (REPO alone is REPO@main); a branch is pinned to its "
         "commit when the Hub answers, else followed [default: the stack's].", "REPO[@REV]"),
    Flag("model-params", "model_params", "The model's parameter count (8B, 0.5B, 8x7B) when neither the Hub "
         "nor its name tells.", "N"),
    Flag("dtype", "dtype",
         f"The weights' dtype for sizing: {', '.join(catalog.DTYPES)} [default: the stack's].",
         "DTYPE"),
    Flag("max-model-len", "max_model_len", "Tokens of context to size the KV cache for (vllm, transformers) "
         "[default: the stack's].", "N"),
    Flag("snapshot", "snapshot", "Memory snapshots for faster cold starts (deployed apps only).",
         is_flag=True),
    Flag("gpu-snapshot", "gpu_snapshot", "GPU memory snapshots too (experimental; needs --snapshot).",
         is_flag=True),
)  # fmt: skip
FLAG_BY_KEY: dict[str, Flag] = {f.key: f for f in FLAGS if f.name != "cpu-only"}
LIST_KEYS = {f.key for f in FLAGS if f.multiple and f.key not in ("gpu", "gpu_for")}


def spec_options(command: Callable) -> Callable:
    """Add every spec flag to a click command, in FLAGS order."""
    for f in reversed(FLAGS):
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
    for f in FLAGS:
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
