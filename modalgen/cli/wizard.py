"""The questionary wizard: asks, in a terminal, for every answer not given as a flag.

Each answer is checked by the same function `parse_spec` uses, so the wizard accepts exactly what
flags and answers files accept. Defaults are shown greyed out and taken on Enter; typing replaces
them. It ends with the summary and the plan (each function, where it runs, what it costs): "no"
there leads to changing one answer, the others kept. Ctrl-C raises KeyboardInterrupt (the CLI
exits 130, nothing written).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import questionary

from modalgen import catalog
from modalgen.answers import fields
from modalgen.cli.questions import (
    ask_gpus,
    ask_int,
    ask_list,
    ask_now,
    ask_record,
    ask_secrets,
    ask_text,
    ask_volumes,
    next_runs,
    one_of,
    typed_default,
)

QUIT = "__quit__"


def _applies(knob: str, workloads: tuple[str, ...]) -> bool:
    return knob == catalog.TIMEOUT or any(k in workloads for k in catalog.kinds_taking(knob))


def ask_missing(
    given: dict[str, Any], *, tune: bool | None = None, current: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Ask for every answer missing from `given`; return the completed raw answers.

    The scaling and image options wait behind one question, unless `tune` says already: True asks
    them straight away, False skips them (their defaults stand). `current` holds the answers being
    changed (the change menu): each question starts from its current answer instead of the default.
    """
    raw = dict(given)
    was = current or {}
    stack = _ask_project(raw, was)
    same_stack = was.get("stack", catalog.DEFAULT_STACK) == stack.name  # its model and kinds still apply
    if "gpu" not in raw:
        raw["gpu"] = ask_gpus(cpu=not stack.needs_gpu, current=was.get("gpu"))
    if "workload" not in raw:
        raw["workload"] = _ask_workloads(stack, was, same_stack)
    workloads = fields.parse_workloads(raw["workload"])
    _ask_kind_options(raw, was, workloads)
    if "volume" not in raw:
        raw["volume"] = ask_volumes(was.get("volume"))
    if "secret" not in raw:
        raw["secret"] = ask_secrets(was.get("secret"))
    _ask_model_and_python(raw, was, stack, same_stack)
    # Batching has its own questions above; the rest wait behind one gate, unless all were given.
    if tune is None and any(key not in raw for key in tuning()):
        tune = ask_now(questionary.confirm("Tune scaling, image and start-up options?", default=False))
    if tune:
        _ask_advanced(raw, workloads, was)
    return raw


def _ask_project(raw: dict[str, Any], was: dict[str, Any]) -> catalog.Stack:
    """The name, the description and the stack."""
    if "name" not in raw:
        raw["name"] = ask_text("Project name", fields.check_name, typed_default(was, "name"))
    if "description" not in raw:
        raw["description"] = ask_text(
            "Description",
            fields.check_description,
            typed_default(was, "description", catalog.DEFAULT_DESCRIPTION),
        )
    if "stack" not in raw:
        raw["stack"] = ask_now(
            questionary.select(
                "What does the core run",
                choices=[
                    questionary.Choice(f"{s.name:<13} {s.summary}", value=s.name) for s in catalog.STACKS
                ],
                default=one_of(was.get("stack"), list(catalog.STACK_BY_NAME), catalog.DEFAULT_STACK),
            )
        )
    return catalog.STACK_BY_NAME[fields.check_choice("stack", raw["stack"], catalog.STACK_BY_NAME)]


def _ask_workloads(stack: catalog.Stack, was: dict[str, Any], same_stack: bool) -> list[str]:
    kinds = [catalog.KIND_BY_NAME[name] for name in catalog.kinds_of_stack(stack)]
    checked = catalog.default_kinds(stack)
    try:
        if "workload" in was and same_stack:
            checked = fields.parse_workloads(was["workload"])
    except fields.SpecError:
        pass
    return ask_now(
        questionary.checkbox(
            "Workloads (space to select, enter to confirm)",
            choices=[
                questionary.Choice(f"{k.name:<8} {k.summary}", value=k.name, checked=k.name in checked)
                for k in kinds
            ],
            validate=lambda picked: bool(picked) or "choose at least one workload",
        )
    )  # fmt: skip


def _ask_kind_options(raw: dict[str, Any], was: dict[str, Any], workloads: tuple[str, ...]) -> None:
    """What the chosen kinds take: the endpoint's style and auth, the schedule, the batches."""
    takes = lambda knob: any(k in workloads for k in catalog.kinds_taking(knob))  # noqa: E731
    if takes(catalog.WEB) and "web_style" not in raw:
        raw["web_style"] = ask_now(
            questionary.select(
                "How is the endpoint served",
                choices=[questionary.Choice(f"{k:<8} {v}", value=k) for k, v in catalog.WEB_STYLES.items()],
                default=one_of(was.get("web_style"), list(catalog.WEB_STYLES), catalog.DEFAULT_WEB_STYLE),
            )
        )
    if takes(catalog.PUBLIC) and "public" not in raw:
        raw["public"] = not ask_now(
            questionary.confirm(
                "Require Modal proxy auth on the endpoint?", default=not was.get("public", False)
            )
        )
    if takes(catalog.SCHEDULE):
        _ask_schedule(raw, was)
    if takes(catalog.BATCHING):
        for key in ("batch_size", "batch_wait_ms"):
            ask_int(raw, catalog.INT_KNOB_BY_KEY[key], was)


def _ask_model_and_python(raw: dict[str, Any], was: dict[str, Any], stack: catalog.Stack, same: bool) -> None:
    if "hf_model" not in raw:
        model = ask_text(
            "Hugging Face model, REPO@REVISION" + ("" if stack.model else " (Enter for none)"),
            lambda v: fields.check_hf_model(v or None, bool(raw.get("allow_unpinned"))),
            typed_default(was, "hf_model", stack.model or "") if same else stack.model or "",
        )
        raw["hf_model"] = model or None
    workloads = fields.parse_workloads(raw.get("workload", list(catalog.default_kinds(stack))))
    if "train" in workloads and catalog.FINETUNE in stack.knobs_of("train"):
        _ask_finetune(raw, was)
    if "python" not in raw:
        builder = raw.get("image_builder", catalog.DEFAULT_IMAGE_BUILDER)
        allowed = catalog.IMAGE_BUILDERS.get(builder, catalog.CONTAINER_PYTHONS)
        pythons = [p for p in allowed if p in stack.pythons]
        raw["python"] = ask_now(
            questionary.select(
                f"Container Python (image builder {builder}, {stack.name} stack)",
                choices=pythons,
                default=one_of(typed_default(was, "python"), pythons, catalog.DEFAULT_PYTHON),
            )
        )


def _ask_finetune(raw: dict[str, Any], was: dict[str, Any]) -> None:
    """The finetune stack's training: how it trains, and on which data."""
    if "train_method" not in raw:
        option = catalog.OPTION_BY_KEY["train_method"]
        raw["train_method"] = ask_now(
            questionary.select(
                "Fine-tuning method (lora: adapters; qlora: adapters on 4-bit weights; full: every weight)",
                choices=list(option.choices),
                default=one_of(was.get("train_method"), list(option.choices), option.default),
            )
        )
    if "dataset" not in raw:
        dataset = ask_text(
            "Hugging Face dataset to fine-tune on, REPO@REVISION (Enter: your own data/train.jsonl)",
            lambda v: fields.check_dataset(v or None, bool(raw.get("allow_unpinned"))),
            typed_default(was, "dataset", ""),
        )
        raw["dataset"] = dataset or None


def _ask_schedule(raw: dict[str, Any], was: dict[str, Any]) -> None:
    if "cron" not in raw and "period" not in raw:
        kind = ask_now(
            questionary.select(
                "Schedule by",
                choices=[
                    questionary.Choice("a cron expression (at set times)", value="cron"),
                    questionary.Choice("a period (every 30m, 6h, 1d ...)", value="period"),
                ],
                default="period" if was.get("period") else "cron",
            )
        )
        if kind == "period":
            raw["period"] = ask_text("Every", fields.check_period, typed_default(was, "period", "1d"))
            return
    if raw.get("period"):
        return
    if "cron" not in raw:
        raw["cron"] = ask_text(
            "Cron schedule (minute hour day month weekday)",
            fields.check_cron,
            typed_default(was, "cron", catalog.DEFAULT_CRON),
        )
    if "timezone" not in raw:
        raw["timezone"] = ask_text(
            "Time zone of the schedule",
            fields.check_timezone,
            typed_default(was, "timezone", catalog.DEFAULT_TIMEZONE),
        )
    print("  next runs: " + "; ".join(next_runs(raw["cron"], raw["timezone"])))


def _ask_advanced(raw: dict[str, Any], workloads: tuple[str, ...], was: dict[str, Any]) -> None:
    for knob in catalog.INT_KNOBS:
        if knob.needs != catalog.BATCHING and _applies(knob.needs, workloads):
            ask_int(raw, knob, was)
    if "single_use_containers" not in raw and _applies(catalog.SINGLE_USE, workloads):
        raw["single_use_containers"] = ask_now(
            questionary.confirm(
                "A fresh container for every input (jobs)?", default=bool(was.get("single_use_containers"))
            )
        )
    if "base" not in raw:
        raw["base"] = ask_now(
            questionary.select(
                "Image base",
                choices=[questionary.Choice(f"{k:<12} {v}", value=k) for k, v in catalog.BASES.items()],
                default=one_of(was.get("base"), list(catalog.BASES), catalog.DEFAULT_BASE),
            )
        )
    ask_list(raw, "apt", "Debian packages (comma-separated)", fields.parse_apt, was)
    ask_list(
        raw,
        "pip",
        "Python packages, pinned NAME==VERSION (comma-separated)",
        lambda v: fields.parse_pip(v, bool(raw.get("allow_unpinned"))),
        was,
    )
    ask_list(raw, "env", "Environment variables KEY=VALUE (comma-separated)", fields.parse_env, was)
    ask_list(raw, "environments", "Modal environments, first to last, e.g. dev,prod (empty: the default)",
             fields.parse_environments, was)  # fmt: skip
    if "uv_sync" not in raw:
        raw["uv_sync"] = ask_now(
            questionary.confirm(
                "Install this project's runtime dependencies from uv.lock?", default=bool(was.get("uv_sync"))
            )
        )
    if "snapshot" not in raw:
        raw["snapshot"] = ask_now(
            questionary.confirm(
                "Memory snapshots for faster cold starts (deployed apps)?", default=bool(was.get("snapshot"))
            )
        )
    for option in _tuning_records():
        if option.key not in raw and (option.scope == catalog.PROJECT or _applies(option.needs, workloads)):
            ask_record(raw, option, was)


def _tuning_records() -> list[catalog.Option]:
    """The options with no question of their own above: any option record added to the catalogue."""
    return [o for o in catalog.OPTIONS if o.ask]


def groups() -> dict[str, tuple[str, ...]]:
    """Which answers one "change" re-asks together (a schedule is one answer; so is a web endpoint)."""
    return {
        "name": ("name",),
        "description": ("description",),
        "stack": ("stack", "hf_model", "workload", "model_params", "dtype", "max_model_len", "train_method",
                  "dataset"),
        "gpu": ("gpu",),
        "workload": ("workload", "web_style", "public", "cron", "timezone", "period", "batch_size",
                     "batch_wait_ms"),
        "schedule": ("cron", "timezone", "period"),
        "web endpoint": ("web_style", "public"),
        "volume": ("volume",),
        "secret": ("secret",),
        "hf_model": ("hf_model",),
        "python": ("python",),
        "scaling and image": tuning(),
    }  # fmt: skip


def tuning() -> tuple[str, ...]:
    """What the tuning gate holds back: the numbers (but batching's), the image, and any option record
    with no question of its own elsewhere."""
    numbers = tuple(k.key for k in catalog.INT_KNOBS if k.needs != catalog.BATCHING)
    return (*numbers, "single_use_containers", "base", "apt", "pip", "env", "environments", "uv_sync",
            "snapshot", *(o.key for o in _tuning_records()))  # fmt: skip


def _describe(raw: dict[str, Any], keys: tuple[str, ...], width: int = 60) -> str:
    """A group's current answers as the user typed them: `model-cache:/models`, `batch, web | web_style
    asgi`; never a Python list or dict."""
    answered = [k for k in keys if raw.get(k) not in (None, [], {}, "")]
    if len(keys) == 1:
        text = fields.as_typed(keys[0], raw[keys[0]]) if answered else ""
    else:
        text = " | ".join(f"{k} {fields.as_typed(k, raw[k])}" for k in answered)
    if len(text) > width:
        text = text[: width - 3].rstrip() + "..."
    return text or "(not set)"


def run(given: dict[str, Any], check_target: Callable) -> Any:
    """Ask, show the summary and the plan, and confirm; "no" lets one answer change. None: quit."""
    from modalgen.answers.spec import parse_spec
    from modalgen.cli import report
    from modalgen.plan.build import make_plan, pin_revision

    raw = ask_missing(given)
    while True:
        try:
            spec = parse_spec(raw)
            check_target(spec)
        except fields.SpecError as exc:
            print(f"  {exc}")
            raw = _change(raw, f"{exc.field} needs another answer")
            if raw is None:
                return None
            continue
        except Exception as exc:  # the target folder: a name that is taken
            from modalgen.grow.place import TargetError

            if not isinstance(exc, TargetError):
                raise
            print(f"  {exc}")
            raw = _change(raw, "choose another name or folder")
            if raw is None:
                return None
            continue
        spec = pin_revision(spec)  # the summary shows the commit the project will serve, or why not
        scheduled = any(k in spec.workloads for k in catalog.kinds_taking(catalog.SCHEDULE))
        runs = next_runs(spec.cron, spec.timezone) if scheduled and not spec.period else None
        print(report.summary(spec, make_plan(spec), next_runs=runs))
        if ask_now(questionary.confirm("Create the project?", default=True)):
            return spec
        raw = _change(raw, "Change an answer, or quit")
        if raw is None:
            return None


def _change(raw: dict[str, Any], message: str) -> dict[str, Any] | None:
    """Forget one group of answers and ask it again; the others are kept. None: quit."""
    choices = [
        questionary.Choice(f"{group:<18} {_describe(raw, keys)}", value=group)
        for group, keys in groups().items()
    ]
    choices.append(questionary.Choice("quit               nothing is written", value=QUIT))
    group = ask_now(questionary.select(message, choices=choices))
    if group == QUIT:
        return None
    kept = {k: v for k, v in raw.items() if k not in groups()[group]}
    return ask_missing(kept, tune=group == "scaling and image", current=raw)


def confirm_growth(summary: str, question: str) -> bool:
    """`add` in a terminal: the project as it will be, then one confirmation."""
    print(summary)
    return bool(ask_now(questionary.confirm(question, default=True)))
