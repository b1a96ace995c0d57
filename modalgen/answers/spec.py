"""The Spec: one typed, validated description of a project, whatever its answers came from.

Flags, the wizard, answers files and `modalgen set` all produce the same raw mapping (the keys of
`.modalgen-answers.yml`, which are the flags' names with `_`); `parse_spec` is the single place
that turns it into a Spec, with the field checks of `fields/` and the rules between fields.
Whether an option applies at all is `checks.py`'s to say, from where each function runs
(`placement.py`): an option no function takes is refused rather than ignored.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from modalgen import catalog
from modalgen.answers.checks import check_applicable
from modalgen.answers.fields import (
    GpuChoice,
    SecretKeys,
    SpecError,
    VolumeMount,
    check_bool,
    check_choice,
    check_cpu,
    check_cron,
    check_dataset,
    check_description,
    check_dtype,
    check_hf_model,
    check_image_builder,
    check_max_model_len,
    check_model_params,
    check_name,
    check_period,
    check_python,
    check_timezone,
    check_value,
    package_name,
    parse_apt,
    parse_env,
    parse_environments,
    parse_gpu_for,
    parse_gpus,
    parse_pip,
    parse_secrets,
    parse_volumes,
    parse_workloads,
)

__all__ = ["ANSWER_KEYS", "Spec", "SpecError", "migrate", "parse_spec"]

# Answer keys, in the order the answers file shows them: the option records' order. Each is also a
# flag: `--web-style` sets `web_style`, `--workload` adds to `workload`.
ANSWER_KEYS: tuple[str, ...] = catalog.ANSWER_KEYS
# The Spec's field for an answer, where the names differ (a list answer, a plural field).
FIELD_OF = {"gpu": "gpus", "workload": "workloads", "volume": "volumes", "secret": "secrets"}

# Keys that modalgen 0.1.0 wrote, and what they are called now: older answers files still load.
RENAMED_KEYS = {
    "project_name": "name",
    "workloads": "workload",
    "volumes": "volume",
    "python_version": "python",
    "secrets": "secret",
}
BOOKKEEPING = {"modalgen_version", "_src_path", "_commit", "plan"}


@dataclass(frozen=True)
class Spec:
    name: str
    description: str = catalog.DEFAULT_DESCRIPTION
    stack: str = catalog.DEFAULT_STACK
    gpus: tuple[GpuChoice, ...] = (GpuChoice(catalog.DEFAULT_GPU),)  # empty: CPU-only
    gpu_for: tuple[tuple[str, tuple[GpuChoice, ...]], ...] = ()  # per kind: its own GPU, () for CPU
    cpu: float | None = None  # cores for the functions that run the core
    workloads: tuple[str, ...] = catalog.DEFAULT_KINDS
    cron: str = catalog.DEFAULT_CRON
    timezone: str = catalog.DEFAULT_TIMEZONE
    period: str | None = None  # "30m", "6h", "1d": a modal.Period instead of the cron string
    volumes: tuple[VolumeMount, ...] = ()
    python: str = catalog.DEFAULT_PYTHON
    image_builder: str = catalog.DEFAULT_IMAGE_BUILDER
    web_style: str = catalog.DEFAULT_WEB_STYLE
    public: bool = False
    # The options with no field of their own (every number, and any option record added since): key, value.
    knobs: tuple[tuple[str, Any], ...] = tuple((k.key, k.default) for k in catalog.INT_KNOBS)
    single_use_containers: bool = False
    apt: tuple[str, ...] = ()
    pip: tuple[str, ...] = ()
    allow_unpinned: bool = False
    env: tuple[tuple[str, str], ...] = ()
    base: str = catalog.DEFAULT_BASE
    uv_sync: bool = False
    secrets: tuple[SecretKeys, ...] = ()
    hf_model: str | None = None  # "org/name@revision"
    model_params: str | None = None  # "8B": the parameter count when neither the Hub nor the name says
    dtype: str | None = None  # the weights' dtype for sizing (None: the stack's)
    max_model_len: int | None = None  # tokens of context to size the KV cache for (None: the stack's)
    snapshot: bool = False
    gpu_snapshot: bool = False
    environments: tuple[str, ...] = ()  # Modal environments, first to last; () the workspace's default

    @property
    def package(self) -> str:
        return package_name(self.name)

    @property
    def mounted_volumes(self) -> tuple[VolumeMount, ...]:
        """The Volumes the functions mount: the answers', else the one a workload keeps its state in
        (the train workload's checkpoints), so that answering `--volume` renames or moves it."""
        if self.volumes:
            return self.volumes
        # A stack made for a workload keeps its Volume without it: the finetune stack's inference
        # functions serve what its training runs left there.
        made_for = catalog.STACK_BY_NAME[self.stack].default_kinds or ()
        kinds = (catalog.KIND_BY_NAME[k] for k in dict.fromkeys((*self.workloads, *made_for)))
        return tuple(VolumeMount(*kind.volume) for kind in kinds if kind.volume)

    def knob(self, key: str) -> Any:
        """The answer to an option held in `knobs`: its default when it was not given."""
        return dict(self.knobs).get(key, catalog.OPTION_BY_KEY[key].default)

    def value(self, key: str) -> Any:
        """The answer to any option, by its answer key."""
        field_name = FIELD_OF.get(key, key)
        return getattr(self, field_name) if field_name in SPEC_FIELDS else self.knob(key)

    def gpu_override(self, key: str) -> tuple[GpuChoice, ...] | None:
        """The GPU `--gpu-for KEY=...` gave, () for CPU; None when not given."""
        return dict(self.gpu_for).get(key)

    def to_answers(self, applies: set[str]) -> dict[str, Any]:
        """The recorded answers: plain YAML values, keyed like the flags.

        Options that apply to no function of the plan (`applies` holds those that do) are left
        out, so the file says only what the project uses.
        """
        answers: dict[str, Any] = {
            "name": self.name,
            "description": self.description,
            "stack": self.stack,
            "gpu": [str(g) for g in self.gpus],
            "gpu_for": {key: [str(g) for g in gpus] for key, gpus in self.gpu_for},
            "cpu": self.cpu,
            "workload": list(self.workloads),
            "volume": [{"name": v.name, "mount": v.mount} for v in self.volumes],
            "python": self.python,
            "image_builder": self.image_builder,
            **{o.key: self.knob(o.key) for o in knob_options() if o.key in applies},
            "apt": list(self.apt),
            "pip": list(self.pip),
            "allow_unpinned": self.allow_unpinned,
            "env": dict(self.env),
            "base": self.base,
            "uv_sync": self.uv_sync,
            "secret": [{"name": s.name, "keys": list(s.keys)} for s in self.secrets],
            "hf_model": self.hf_model,
            "snapshot": self.snapshot,
            "gpu_snapshot": self.gpu_snapshot,
            "environments": list(self.environments),
        }
        for key in ("model_params", "dtype", "max_model_len"):
            if key in applies:
                answers[key] = getattr(self, key)
        if "single_use_containers" in applies:
            answers["single_use_containers"] = self.single_use_containers
        if "period" in applies:
            answers["period"] = self.period
            if self.period is None:
                answers["cron"] = self.cron
                answers["timezone"] = self.timezone
        if "web_style" in applies:
            answers["web_style"] = self.web_style
        if "public" in applies:
            answers["public"] = self.public
        return {key: answers[key] for key in catalog.ANSWER_KEYS if key in answers}


def migrate(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Answers as this modalgen names them: keys of earlier releases renamed."""
    migrated: dict[str, Any] = {}
    for key, value in raw.items():
        new = RENAMED_KEYS.get(key, key)
        if new in migrated and new != key:
            raise SpecError("answers", key, f'one of "{key}" and "{new}" (they are the same answer)')
        migrated[new] = value
    return migrated


SPEC_FIELDS = frozenset(f.name for f in dataclasses.fields(Spec))


def knob_options() -> tuple[catalog.Option, ...]:
    """The options held in Spec.knobs: those without a field of their own."""
    return tuple(o for o in catalog.OPTIONS if FIELD_OF.get(o.key, o.key) not in SPEC_FIELDS)


def _knob_values(raw: Mapping[str, Any]) -> tuple[tuple[str, Any], ...]:
    knobs = tuple((o.key, check_value(o, raw.get(o.key, o.default))) for o in knob_options())
    values = dict(knobs)
    if values["max_containers"] is not None and values["min_containers"] > values["max_containers"]:
        raise SpecError("min_containers", values["min_containers"],
                        f"at most --max-containers ({values['max_containers']})")  # fmt: skip
    return knobs


def _stack_and_kinds(raw: Mapping[str, Any]) -> tuple[catalog.Stack, str, tuple[str, ...], str]:
    """The stack, the image builder, the workloads and the Python, each checked against the stack."""
    stack = catalog.STACK_BY_NAME[
        check_choice("stack", raw.get("stack", catalog.DEFAULT_STACK), catalog.STACK_BY_NAME)
    ]
    builder = check_image_builder(raw.get("image_builder", catalog.DEFAULT_IMAGE_BUILDER))
    workloads = parse_workloads(raw.get("workload", list(catalog.default_kinds(stack))))
    for kind in workloads:
        if stack.kinds is not None and kind not in stack.kinds:
            raise SpecError("workload", kind, f"the {stack.name} stack serves {', '.join(stack.kinds)}")
        runs_on = catalog.KIND_BY_NAME[kind].stacks
        if runs_on is not None and stack.name not in runs_on:
            raise SpecError("workload", kind, f"a workload of the {stack.name} stack: {kind} runs on the "
                            f"{' and '.join(runs_on)} stacks (--stack {runs_on[-1]})")  # fmt: skip
    python = check_python(raw.get("python", catalog.DEFAULT_PYTHON), builder)
    if python not in stack.pythons:
        raise SpecError("python", python, f"the {stack.name} stack's packages install on Python "
                        f"{', '.join(stack.pythons)}")  # fmt: skip
    return stack, builder, workloads, python


def _model_and_mounts(
    raw: Mapping[str, Any], stack: catalog.Stack, allow_unpinned: bool
) -> tuple[tuple[VolumeMount, ...], str | None, tuple[SecretKeys, ...]]:
    """The Volumes, the model and the Secrets: no Volume takes a cache's place, a gated model gets
    the Hugging Face token."""
    volumes = parse_volumes(raw.get("volume", []))
    hf_model = check_hf_model(raw.get("hf_model", stack.model), allow_unpinned)
    caches = [(catalog.HF_CACHE_VOLUME, catalog.HF_CACHE_MOUNT)] if hf_model else []
    for cache, mount in [*caches, *stack.volumes]:
        if any(v.name == cache or v.mount == mount for v in volumes):
            raise SpecError("volume", cache, f"a name and mount other than the {cache} cache ({mount})")
    secrets = parse_secrets(raw.get("secret"))
    if (
        hf_model
        and hf_model.startswith(catalog.GATED_ORGS)
        and not any("HF_TOKEN" in s.keys for s in secrets)
    ):
        # A gated model downloads only with a token of an account that accepted its licence.
        secrets = (*secrets, SecretKeys(catalog.HF_SECRET, ("HF_TOKEN",)))
    return volumes, hf_model, secrets


def _known_keys(raw: Mapping[str, Any]) -> Mapping[str, Any]:
    raw = migrate(raw)
    for key in raw:
        if key not in catalog.ANSWER_KEYS and key not in BOOKKEEPING:
            raise SpecError("answers", key, f"known keys are {', '.join(catalog.ANSWER_KEYS)}")
    return raw


def parse_spec(raw: Mapping[str, Any]) -> Spec:
    """Validate a raw answers mapping (flags, wizard, answers file or `set`) into a Spec.

    Missing keys take their defaults. Every value given is checked, whether or not it applies;
    unknown keys are refused, so a typo in an answers file is reported instead of ignored.
    """
    raw = _known_keys(raw)
    allow_unpinned = check_bool("allow_unpinned", raw.get("allow_unpinned", False))
    stack, builder, workloads, python = _stack_and_kinds(raw)
    # A schedule is checked whenever it is given, with a cron workload or not.
    period = check_period(raw.get("period"))
    if period and raw.get("cron") not in (None, catalog.DEFAULT_CRON):
        raise SpecError("period", period, "--period or --cron, not both")
    knobs = _knob_values(raw)
    knobs = tuple((k, check_dataset(v, allow_unpinned) if k == "dataset" else v) for k, v in knobs)
    single_use = check_bool("single_use_containers", raw.get("single_use_containers", False))
    if single_use and dict(knobs)["max_inputs"] is not None:
        raise SpecError("max_inputs", dict(knobs)["max_inputs"],
                        "nothing with --single-use-containers: a container that takes one input "
                        "cannot take several at once")  # fmt: skip
    volumes, hf_model, secrets = _model_and_mounts(raw, stack, allow_unpinned)
    spec = Spec(
        name=check_name(raw.get("name")),
        description=check_description(raw.get("description", catalog.DEFAULT_DESCRIPTION)),
        gpus=parse_gpus(raw.get("gpu", [catalog.DEFAULT_GPU])),
        gpu_for=parse_gpu_for(raw.get("gpu_for")),
        cpu=check_cpu(raw.get("cpu")),
        stack=stack.name,
        workloads=workloads,
        cron=check_cron(raw.get("cron", catalog.DEFAULT_CRON)),
        timezone=check_timezone(raw.get("timezone", catalog.DEFAULT_TIMEZONE)),
        period=period,
        volumes=volumes,
        python=python,
        image_builder=builder,
        web_style=check_choice(
            "web_style", raw.get("web_style", catalog.DEFAULT_WEB_STYLE), catalog.WEB_STYLES
        ),
        public=check_bool("public", raw.get("public", False)),
        knobs=knobs,
        single_use_containers=single_use,
        apt=parse_apt(raw.get("apt")),
        pip=parse_pip(raw.get("pip"), allow_unpinned),
        allow_unpinned=allow_unpinned,
        env=parse_env(raw.get("env")),
        base=check_choice("base", raw.get("base", stack.base), catalog.BASES),
        uv_sync=check_bool("uv_sync", raw.get("uv_sync", False)),
        environments=parse_environments(raw.get("environments")),
        secrets=secrets,
        hf_model=hf_model,
        model_params=check_model_params(raw.get("model_params")),
        dtype=check_dtype(raw.get("dtype")),
        max_model_len=check_max_model_len(raw.get("max_model_len")),
        snapshot=check_bool("snapshot", raw.get("snapshot", False)),
        gpu_snapshot=check_bool("gpu_snapshot", raw.get("gpu_snapshot", False)),
    )
    check_applicable(spec)
    return spec
