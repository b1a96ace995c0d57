"""Answers that say where functions run: GPU types and counts in fallback order, --gpu-for, CPU cores."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from modalgen import catalog
from modalgen.answers.fields.basic import each_item, split_commas
from modalgen.answers.fields.errors import SpecError


@dataclass(frozen=True)
class GpuChoice:
    name: str  # canonical
    count: int = 1

    def __str__(self) -> str:
        return self.name if self.count == 1 else f"{self.name}:{self.count}"

    @property
    def gpu(self) -> catalog.Gpu:
        return catalog.GPU_BY_NAME[self.name.upper()]

    @property
    def vram_gb(self) -> int:
        return self.gpu.vram_gb * self.count

    @property
    def price_per_hour(self) -> float | None:
        price = self.gpu.price_per_hour
        return None if price is None else round(price * self.count, 2)


def _gpu_names() -> str:
    return ", ".join(n for g in catalog.GPUS for n in (g.name, *g.aliases))


def parse_gpu(value: Any, key: str = "gpu") -> GpuChoice:
    allowed = f"TYPE[:COUNT] with TYPE one of {_gpu_names()} (any case)"
    if not isinstance(value, str):
        raise SpecError(key, value, allowed)
    type_part, sep, count_part = value.strip().partition(":")
    gpu = catalog.GPU_BY_NAME.get(type_part.strip().upper())
    if gpu is None:
        raise SpecError(key, value, allowed)
    count = 1
    if sep:
        if not count_part.isdigit():  # "H100:2:3", "H100:x", "H100:": the count is not one number
            raise SpecError(key, value, f"TYPE[:COUNT] with one whole COUNT after one ':', e.g. {gpu.name}:2")
        if not 1 <= int(count_part) <= gpu.max_count:
            raise SpecError(key, value, f"{gpu.name} takes a count of 1 to {gpu.max_count}")
        count = int(count_part)
    return GpuChoice(gpu.name, count)


def parse_gpus(values: Any, key: str = "gpu") -> tuple[GpuChoice, ...]:
    """GPU types in fallback order. `--gpu H100:2,A100-80GB:2` equals two `--gpu` flags."""
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, list | tuple):
        raise SpecError(key, values, "a list of TYPE[:COUNT]; an empty list means CPU-only")
    values = split_commas(list(values))
    choices = tuple(each_item(key, values, lambda v: parse_gpu(v, key)))
    seen = [str(c) for c in choices]
    for c in seen:
        if seen.count(c) > 1:
            raise SpecError(key, c, "each fallback once")
    return choices


def parse_gpu_for(values: Any) -> tuple[tuple[str, tuple[GpuChoice, ...]], ...]:
    """`KIND=SPEC` pairs (flags) or a mapping (answers files): where each function runs.

    SPEC is what `--gpu` takes (fallback lists included) or `cpu`.
    """
    allowed = (
        f"KIND=SPEC with KIND one of {', '.join(catalog.GPU_FOR_KEYS)} and SPEC a GPU such as H100:2 or cpu"
    )
    if values is None:
        return ()
    pairs: list[tuple[Any, Any]]
    if isinstance(values, Mapping):
        pairs = list(values.items())
    elif isinstance(values, list | tuple):
        pairs = []
        for item in values:
            if not isinstance(item, str) or "=" not in item:
                raise SpecError("gpu_for", item, allowed)
            kind, _, spec = item.partition("=")
            pairs.append((kind.strip(), spec.strip()))
    else:
        raise SpecError("gpu_for", values, allowed)
    result: dict[str, tuple[GpuChoice, ...]] = {}
    for kind, spec in pairs:
        if not isinstance(kind, str) or kind.lower() not in catalog.GPU_FOR_KEYS:
            raise SpecError("gpu_for", f"{kind}={spec}", allowed)
        if isinstance(spec, str) and spec.strip().lower() == "cpu" or spec == []:
            result[kind.lower()] = ()
        else:
            result[kind.lower()] = parse_gpus(spec, "gpu_for")
    return tuple(sorted(result.items(), key=lambda kv: catalog.GPU_FOR_KEYS.index(kv[0])))


def check_cpu(value: Any) -> float | None:
    if value is None:
        return None
    low, high = catalog.CPU_RANGE
    try:
        cores = float(value)
    except (TypeError, ValueError):
        raise SpecError("cpu", value, f"a number of cores from {low} to {high:g}, e.g. 2 or 0.5") from None
    if isinstance(value, bool) or not low <= cores <= high:
        raise SpecError("cpu", value, f"a number of cores from {low} to {high:g}, e.g. 2 or 0.5")
    return cores
