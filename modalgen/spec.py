"""The Spec: one typed, validated description of a project, whatever its answers came from.

Flags, the wizard and answers files all produce the same raw mapping (the keys of
`.modalgen-answers.yml`); `parse_spec` is the single place that turns it into a Spec, with the
field checks of `fields.py` and the rules that relate fields to each other.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from modalgen import catalog
from modalgen.fields import (
    GpuChoice,
    SpecError,
    VolumeMount,
    check_bool,
    check_choice,
    check_cron,
    check_description,
    check_hf_model,
    check_int,
    check_name,
    check_period,
    check_python,
    check_timezone,
    flag,
    package_name,
    parse_apt,
    parse_env,
    parse_gpus,
    parse_pip,
    parse_secrets,
    parse_volumes,
    parse_workloads,
)

__all__ = ["ANSWER_KEYS", "Spec", "SpecError", "parse_spec"]


@dataclass(frozen=True)
class Spec:
    name: str
    description: str = catalog.DEFAULT_DESCRIPTION
    gpus: tuple[GpuChoice, ...] = (GpuChoice(catalog.DEFAULT_GPU),)  # empty: CPU-only
    workloads: tuple[str, ...] = catalog.DEFAULT_WORKLOADS
    cron: str = catalog.DEFAULT_CRON
    timezone: str = catalog.DEFAULT_TIMEZONE
    period: str | None = None  # "30m", "6h", "1d": a modal.Period instead of the cron string
    volumes: tuple[VolumeMount, ...] = ()
    python: str = catalog.DEFAULT_PYTHON
    web_style: str = catalog.DEFAULT_WEB_STYLE
    public: bool = False
    knobs: tuple[tuple[str, int | None], ...] = tuple((k.key, k.default) for k in catalog.INT_KNOBS)
    single_use_containers: bool = False
    apt: tuple[str, ...] = ()
    pip: tuple[str, ...] = ()
    allow_unpinned: bool = False
    env: tuple[tuple[str, str], ...] = ()
    base: str = catalog.DEFAULT_BASE
    uv_sync: bool = False
    secrets: tuple[str, ...] = ()
    hf_model: str | None = None  # "org/name@revision"
    snapshot: bool = False

    @property
    def package(self) -> str:
        return package_name(self.name)

    def knob(self, key: str) -> int | None:
        return dict(self.knobs)[key]

    def to_answers(self) -> dict[str, Any]:
        """The recorded answers: plain YAML values, the template's question names."""
        answers: dict[str, Any] = {
            "project_name": self.name,
            "description": self.description,
            "gpu": [str(g) for g in self.gpus],
            "workloads": list(self.workloads),
            "volumes": [{"name": v.name, "mount": v.mount} for v in self.volumes],
            "python_version": self.python,
            **{key: value for key, value in self.knobs if key not in BATCHED_KEYS},
            "single_use_containers": self.single_use_containers,
            "apt": list(self.apt),
            "pip": list(self.pip),
            "allow_unpinned": self.allow_unpinned,
            "env": dict(self.env),
            "base": self.base,
            "uv_sync": self.uv_sync,
            "secrets": list(self.secrets),
            "hf_model": self.hf_model,
            "snapshot": self.snapshot,
        }
        # Questions that only exist for one kind, as copier.yml's `when` records them.
        if "cron" in self.workloads:
            answers["period"] = self.period
            if self.period is None:
                answers["cron"] = self.cron
                answers["timezone"] = self.timezone
        if "web" in self.workloads:
            answers["web_style"] = self.web_style
            answers["public"] = self.public
        if "batched" in self.workloads:
            answers.update({key: self.knob(key) for key in BATCHED_KEYS})
        return answers


BATCHED_KEYS = ("batch_size", "batch_wait_ms")


# Answer keys, in the order the summary and the answers file show them.
ANSWER_KEYS = (
    "project_name", "description", "gpu", "workloads", "cron", "timezone", "period", "volumes",
    "python_version", "web_style", "public", *(k.key for k in catalog.INT_KNOBS), "single_use_containers",
    "apt", "pip", "allow_unpinned", "env", "base", "uv_sync", "secrets", "hf_model", "snapshot",
)  # fmt: skip


def _check_applicable(
    key: str, value: Any, default: Any, needs: str | None, workloads: tuple[str, ...]
) -> None:
    """Refuse an option none of the project's workloads would use: it would do nothing."""
    if needs is None or value == default:
        return
    kinds = catalog.kinds_taking(needs)
    if not any(k in workloads for k in kinds):
        allowed = f"it applies to the workloads {', '.join(kinds)}; add one with --workload"
        raise SpecError(flag(key), value, allowed)


def parse_spec(raw: Mapping[str, Any]) -> Spec:
    """Validate a raw answers mapping (flags, wizard or answers file) into a Spec.

    Missing keys take their defaults. Unknown keys are refused, so a typo in an answers file is
    reported instead of silently ignored.
    """
    known = set(ANSWER_KEYS) | {"modalgen_version", "_src_path", "_commit"}
    for key in raw:
        if key not in known:
            raise SpecError("answers", key, f"known keys are {', '.join(ANSWER_KEYS)}")
    defaults = Spec(name="x")
    workloads = parse_workloads(raw.get("workloads", list(defaults.workloads)))
    has_cron = "cron" in workloads
    allow_unpinned = check_bool("allow_unpinned", raw.get("allow_unpinned", False))
    period = check_period(raw.get("period")) if has_cron else None
    knobs = []
    for knob in catalog.INT_KNOBS:
        value = check_int(knob, raw.get(knob.key, knob.default))
        _check_applicable(knob.key, value, knob.default, knob.needs, workloads)
        knobs.append((knob.key, value))
    mins, maxs = dict(knobs)["min_containers"], dict(knobs)["max_containers"]
    if maxs is not None and mins > maxs:
        raise SpecError("min-containers", mins, f"at most --max-containers ({maxs})")
    single_use = check_bool("single_use_containers", raw.get("single_use_containers", False))
    _check_applicable("single_use_containers", single_use, False, catalog.SINGLE_USE, workloads)
    web_style = check_choice("web_style", raw.get("web_style", catalog.DEFAULT_WEB_STYLE), catalog.WEB_STYLES)
    public = check_bool("public", raw.get("public", False))
    _check_applicable("web_style", web_style, catalog.DEFAULT_WEB_STYLE, "web", workloads)
    _check_applicable("public", public, False, "web", workloads)
    hf_model = check_hf_model(raw.get("hf_model"), allow_unpinned)
    volumes = parse_volumes(raw.get("volumes", []))
    if hf_model and any(
        v.name == catalog.HF_CACHE_VOLUME or v.mount == catalog.HF_CACHE_MOUNT for v in volumes
    ):
        raise SpecError("volume", catalog.HF_CACHE_VOLUME, "a name and mount other than --hf-model's cache")
    return Spec(
        name=check_name(raw.get("project_name")),
        description=check_description(raw.get("description", defaults.description)),
        gpus=parse_gpus(raw.get("gpu", [str(g) for g in defaults.gpus])),
        workloads=workloads,
        # A schedule is only checked (and croniter only imported) when there is a cron workload.
        cron=check_cron(raw.get("cron", defaults.cron)) if has_cron and not period else defaults.cron,
        timezone=(
            check_timezone(raw.get("timezone", defaults.timezone))
            if has_cron and not period
            else defaults.timezone
        ),
        period=period,
        volumes=volumes,
        python=check_python(raw.get("python_version", defaults.python)),
        web_style=web_style if "web" in workloads else catalog.DEFAULT_WEB_STYLE,
        public=public if "web" in workloads else False,
        knobs=tuple(knobs),
        single_use_containers=single_use,
        apt=parse_apt(raw.get("apt")),
        pip=parse_pip(raw.get("pip"), allow_unpinned),
        allow_unpinned=allow_unpinned,
        env=parse_env(raw.get("env")),
        base=check_choice("base", raw.get("base", catalog.DEFAULT_BASE), catalog.BASES),
        uv_sync=check_bool("uv_sync", raw.get("uv_sync", False)),
        secrets=parse_secrets(raw.get("secrets")),
        hf_model=hf_model,
        snapshot=check_bool("snapshot", raw.get("snapshot", False)),
    )
