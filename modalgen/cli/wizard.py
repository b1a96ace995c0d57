"""The questionary wizard: asks, in a terminal, for every answer not given as a flag.

Each answer is checked by the same function `parse_spec` uses, so the wizard accepts exactly what
flags and answers files accept. Defaults are shown greyed out and taken on Enter; typing replaces
them. It ends with the summary and the plan (each function, where it runs, what it costs): "no"
there leads to changing one answer, the others kept. Ctrl-C raises KeyboardInterrupt (the CLI
exits 130, nothing written).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import questionary

from modalgen import catalog
from modalgen.answers import fields

CPU_ONLY = "cpu"
QUIT = "__quit__"


def _validator(check, default: str = ""):
    """questionary wants True or an error message; the checks raise SpecError."""

    def validate(value: str) -> bool | str:
        try:
            check(value or default)
        except fields.SpecError as exc:
            return str(exc)
        return True

    return validate


def gpu_choice_title(gpu: catalog.Gpu) -> str:
    price = "price n/a" if gpu.price_per_hour is None else f"${gpu.price_per_hour:.2f}/hr"
    return f"{gpu.name:<13} {gpu.vram_gb:>4} GB  {price:>10}  max {gpu.max_count}  {gpu.best_for}"


def next_runs(cron: str, timezone: str, count: int = 3) -> list[str]:
    """The next times a schedule fires, in its own time zone: the plain-words check of a cron string."""
    import zoneinfo

    from croniter import croniter

    zone = zoneinfo.ZoneInfo(timezone)
    it = croniter(cron, datetime.now(zone))
    return [it.get_next(datetime).strftime("%a %Y-%m-%d %H:%M %Z") for _ in range(count)]


def _ask(question) -> Any:
    return question.unsafe_ask()  # raises KeyboardInterrupt instead of returning None


def _typed(current: dict[str, Any], key: str, fallback: str = "") -> str:
    """The current answer to `key` as the user typed it: the default when it is asked again."""
    return fields.as_typed(key, current[key]) if current.get(key) not in (None, "", [], {}) else fallback


def _one_of(value: Any, values: list[Any], fallback: Any) -> Any:
    """A select's default: the current answer when it is still a choice, else the usual default."""
    return value if value in values else fallback


def _text(message: str, check, default: str = "") -> str:
    """A text answer; the default is a placeholder that typing replaces and Enter takes."""
    answer = _ask(
        questionary.text(
            message + (f" [{default}]" if default else ""),
            validate=_validator(check, default),
            placeholder=default,
        )
    )
    return answer or default


def ask_gpus(cpu: bool = True, current: Any = None) -> list[str]:
    """GPU types in fallback order, each with its count; [] for CPU only. `current` (the answer being
    changed) sets each question's default: its types, counts and fallbacks, or CPU only."""
    try:
        now = [str(c) for c in fields.parse_gpus(current)] if current is not None else None
    except fields.SpecError:
        now = None
    choices = [questionary.Choice(gpu_choice_title(g), value=g.name) for g in catalog.GPUS]
    if cpu:
        cpu_title = "CPU only        no GPU: containers bill by CPU and memory"
        choices.append(questionary.Choice(cpu_title, CPU_ONLY))
    picked: list[str] = []
    while True:
        label = "GPU type" if not picked else "Fallback GPU type (used when the ones above are scarce)"
        offered = [c for c in choices if not picked or c.value not in (CPU_ONLY, *picked)]
        was = now[len(picked)] if now and len(picked) < len(now) else None
        usual = (CPU_ONLY if now == [] and cpu else catalog.DEFAULT_GPU) if not picked else None
        name = _ask(
            questionary.select(
                label,
                choices=offered,
                default=_one_of(was.split(":")[0] if was else usual, [c.value for c in offered], None),
            )
        )
        if name == CPU_ONLY:
            return []
        gpu = catalog.GPU_BY_NAME[name.upper()]
        count_now = was.split(":")[1] if was and ":" in was and was.split(":")[0] == gpu.name else "1"
        count = _text(
            f"How many {gpu.name} per container (1-{gpu.max_count})",
            lambda v, g=gpu: fields.parse_gpu(f"{g.name}:{v}"),
            count_now,
        )
        choice = fields.parse_gpu(f"{gpu.name}:{count}")
        picked.append(str(choice))
        price = (
            "price unknown offline" if choice.price_per_hour is None else f"${choice.price_per_hour:.2f}/hr"
        )
        print(f"  {choice}: {price} while a container runs")
        more = bool(now) and len(now) > len(picked)
        if len(picked) == len(catalog.GPUS) or not _ask(
            questionary.confirm("Add a fallback GPU?", default=more)
        ):
            return picked


def ask_volumes(current: Any = None) -> list[dict[str, str]]:
    """Volumes, one at a time; `current` (the answer being changed) gives each question its default."""
    try:
        now = list(fields.parse_volumes(current)) if current else []
    except fields.SpecError:
        now = []
    volumes: list[dict[str, str]] = []
    while _ask(questionary.confirm("Mount a Volume?" if not volumes else "Another Volume?",
                                   default=len(now) > len(volumes))):  # fmt: skip
        was = now[len(volumes)] if len(volumes) < len(now) else None
        name = _text("Volume name", fields.parse_volume, was.name if was else "")
        mount = _text(
            "Mount path",
            lambda m, n=name: fields.parse_volume({"name": n, "mount": m}),
            was.mount if was and was.name == name else f"/{name}",
        )
        candidate = [*volumes, {"name": name, "mount": mount}]
        try:
            fields.parse_volumes(candidate)
        except fields.SpecError as exc:
            print(f"  {exc}")
            continue
        volumes = candidate
    return volumes


def ask_secrets(current: Any = None) -> list[str]:
    """Modal Secrets, one per answer, each read exactly as one --secret flag is (NAME or NAME:KEY1,KEY2):
    a comma there separates keys, never Secrets. `current` gives each question its default."""
    now = fields.typed_items("secret", current) if current else []
    secrets: list[str] = []
    question = "Do the functions use Modal Secrets?"
    while _ask(questionary.confirm(question, default=len(now) > len(secrets))):
        was = now[len(secrets)] if len(secrets) < len(now) else ""
        answer = _text(
            "Secret, as --secret takes it: NAME or NAME:KEY1,KEY2",
            lambda v: fields.parse_secrets([*secrets, v]) if v else True,
            was,
        )
        if not answer:  # Enter on an empty answer: no Secret after all
            break
        secrets.append(answer)
        question = "Another Secret?"
    return secrets


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _ask_list(raw: dict[str, Any], key: str, message: str, parse, current: dict[str, Any]) -> None:
    """A comma-separated list; an error names the item (`--apt 2: "a b" is not allowed ...`)."""
    if key not in raw:
        raw[key] = _split(_text(message, lambda v: parse(_split(v)), _typed(current, key)))


# What `--max-containers default` is to the flag: Modal's own default, in place of a number.
MODALS_DEFAULT = "default"


def _ask_int(raw: dict[str, Any], knob: catalog.IntKnob, current: dict[str, Any]) -> None:
    if knob.key in raw:
        return
    usual = "" if knob.default is None else str(knob.default)
    default = _typed(current, knob.key, usual)
    if knob.default is not None:
        hint = ""
    elif default:
        hint = f" (Enter: {default}; {MODALS_DEFAULT}: Modal's default)"
    else:
        hint = " (Enter: Modal's default)"

    def number(text: str) -> int | None:
        if knob.default is None and (not text or text.strip() == MODALS_DEFAULT):
            return None
        return fields.check_int(knob, text)

    answer = _text(f"{knob.help[0].upper()}{knob.help[1:]} ({knob.low}-{knob.high}){hint}", number, default)
    raw[knob.key] = number(answer)


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
    if "name" not in raw:
        raw["name"] = _text("Project name", fields.check_name, _typed(was, "name"))
    if "description" not in raw:
        raw["description"] = _text(
            "Description", fields.check_description, _typed(was, "description", catalog.DEFAULT_DESCRIPTION)
        )
    if "stack" not in raw:
        raw["stack"] = _ask(
            questionary.select(
                "What does the core run",
                choices=[
                    questionary.Choice(f"{s.name:<13} {s.summary}", value=s.name) for s in catalog.STACKS
                ],
                default=_one_of(was.get("stack"), list(catalog.STACK_BY_NAME), catalog.DEFAULT_STACK),
            )
        )
    stack = catalog.STACK_BY_NAME[fields.check_choice("stack", raw["stack"], catalog.STACK_BY_NAME)]
    same_stack = was.get("stack", catalog.DEFAULT_STACK) == stack.name  # its model and kinds still apply
    if "gpu" not in raw:
        raw["gpu"] = ask_gpus(cpu=not stack.needs_gpu, current=was.get("gpu"))
    if "workload" not in raw:
        kinds = [k for k in catalog.KINDS if stack.kinds is None or k.name in stack.kinds]
        checked = stack.kinds or catalog.DEFAULT_KINDS
        try:
            if "workload" in was and same_stack:
                checked = fields.parse_workloads(was["workload"])
        except fields.SpecError:
            pass
        raw["workload"] = _ask(
            questionary.checkbox(
                "Workloads (space to select, enter to confirm)",
                choices=[
                    questionary.Choice(f"{k.name:<8} {k.summary}", value=k.name, checked=k.name in checked)
                    for k in kinds
                ],
                validate=lambda picked: bool(picked) or "choose at least one workload",
            )
        )  # fmt: skip
    workloads = fields.parse_workloads(raw["workload"])
    takes = lambda knob: any(k in workloads for k in catalog.kinds_taking(knob))  # noqa: E731
    if takes(catalog.WEB) and "web_style" not in raw:
        raw["web_style"] = _ask(
            questionary.select(
                "How is the endpoint served",
                choices=[questionary.Choice(f"{k:<8} {v}", value=k) for k, v in catalog.WEB_STYLES.items()],
                default=_one_of(was.get("web_style"), list(catalog.WEB_STYLES), catalog.DEFAULT_WEB_STYLE),
            )
        )
    if takes(catalog.PUBLIC) and "public" not in raw:
        raw["public"] = not _ask(
            questionary.confirm(
                "Require Modal proxy auth on the endpoint?", default=not was.get("public", False)
            )
        )
    if takes(catalog.SCHEDULE):
        _ask_schedule(raw, was)
    if takes(catalog.BATCHING):
        for key in ("batch_size", "batch_wait_ms"):
            _ask_int(raw, catalog.INT_KNOB_BY_KEY[key], was)
    if "volume" not in raw:
        raw["volume"] = ask_volumes(was.get("volume"))
    if "secret" not in raw:
        raw["secret"] = ask_secrets(was.get("secret"))
    if "hf_model" not in raw:
        model = _text(
            "Hugging Face model, REPO@REVISION" + ("" if stack.model else " (Enter for none)"),
            lambda v: fields.check_hf_model(v or None, bool(raw.get("allow_unpinned"))),
            _typed(was, "hf_model", stack.model or "") if same_stack else stack.model or "",
        )
        raw["hf_model"] = model or None
    if "python" not in raw:
        builder = raw.get("image_builder", catalog.DEFAULT_IMAGE_BUILDER)
        allowed = catalog.IMAGE_BUILDERS.get(builder, catalog.CONTAINER_PYTHONS)
        pythons = [p for p in allowed if p in stack.pythons]
        raw["python"] = _ask(
            questionary.select(
                f"Container Python (image builder {builder}, {stack.name} stack)",
                choices=pythons,
                default=_one_of(_typed(was, "python"), pythons, catalog.DEFAULT_PYTHON),
            )
        )
    # Batching has its own questions above; the rest wait behind one gate, unless all were given.
    knobs = [k.key for k in catalog.INT_KNOBS if k.needs != catalog.BATCHING]
    advanced = [*knobs, "apt", "pip", "env", "base", "uv_sync", "snapshot"]
    if tune is None and any(key not in raw for key in advanced):
        tune = _ask(questionary.confirm("Tune scaling, image and start-up options?", default=False))
    if tune:
        _ask_advanced(raw, workloads, was)
    return raw


def _ask_schedule(raw: dict[str, Any], was: dict[str, Any]) -> None:
    if "cron" not in raw and "period" not in raw:
        kind = _ask(
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
            raw["period"] = _text("Every", fields.check_period, _typed(was, "period", "1d"))
            return
    if raw.get("period"):
        return
    if "cron" not in raw:
        raw["cron"] = _text(
            "Cron schedule (minute hour day month weekday)",
            fields.check_cron,
            _typed(was, "cron", catalog.DEFAULT_CRON),
        )
    if "timezone" not in raw:
        raw["timezone"] = _text(
            "Time zone of the schedule",
            fields.check_timezone,
            _typed(was, "timezone", catalog.DEFAULT_TIMEZONE),
        )
    print("  next runs: " + "; ".join(next_runs(raw["cron"], raw["timezone"])))


def _ask_advanced(raw: dict[str, Any], workloads: tuple[str, ...], was: dict[str, Any]) -> None:
    for knob in catalog.INT_KNOBS:
        if knob.needs != catalog.BATCHING and _applies(knob.needs, workloads):
            _ask_int(raw, knob, was)
    if "single_use_containers" not in raw and _applies(catalog.SINGLE_USE, workloads):
        raw["single_use_containers"] = _ask(
            questionary.confirm(
                "A fresh container for every input (jobs)?", default=bool(was.get("single_use_containers"))
            )
        )
    if "base" not in raw:
        raw["base"] = _ask(
            questionary.select(
                "Image base",
                choices=[questionary.Choice(f"{k:<12} {v}", value=k) for k, v in catalog.BASES.items()],
                default=_one_of(was.get("base"), list(catalog.BASES), catalog.DEFAULT_BASE),
            )
        )
    _ask_list(raw, "apt", "Debian packages (comma-separated)", fields.parse_apt, was)
    _ask_list(
        raw,
        "pip",
        "Python packages, pinned NAME==VERSION (comma-separated)",
        lambda v: fields.parse_pip(v, bool(raw.get("allow_unpinned"))),
        was,
    )
    _ask_list(raw, "env", "Environment variables KEY=VALUE (comma-separated)", fields.parse_env, was)
    if "uv_sync" not in raw:
        raw["uv_sync"] = _ask(
            questionary.confirm(
                "Install this project's runtime dependencies from uv.lock?", default=bool(was.get("uv_sync"))
            )
        )
    if "snapshot" not in raw:
        raw["snapshot"] = _ask(
            questionary.confirm(
                "Memory snapshots for faster cold starts (deployed apps)?", default=bool(was.get("snapshot"))
            )
        )


# Which answers one "change" re-asks together (a schedule is one answer; so is a web endpoint).
GROUPS: dict[str, tuple[str, ...]] = {
    "name": ("name",),
    "description": ("description",),
    "stack": ("stack", "hf_model", "workload", "model_params", "dtype", "max_model_len"),
    "gpu": ("gpu",),
    "workload": (
        "workload",
        "web_style",
        "public",
        "cron",
        "timezone",
        "period",
        "batch_size",
        "batch_wait_ms",
    ),
    "schedule": ("cron", "timezone", "period"),
    "web endpoint": ("web_style", "public"),
    "volume": ("volume",),
    "secret": ("secret",),
    "hf_model": ("hf_model",),
    "python": ("python",),
    "scaling and image": tuple(k.key for k in catalog.INT_KNOBS if k.needs != catalog.BATCHING)
    + ("single_use_containers", "base", "apt", "pip", "env", "uv_sync", "snapshot"),
}


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
        if _ask(questionary.confirm("Create the project?", default=True)):
            return spec
        raw = _change(raw, "Change an answer, or quit")
        if raw is None:
            return None


def _change(raw: dict[str, Any], message: str) -> dict[str, Any] | None:
    """Forget one group of answers and ask it again; the others are kept. None: quit."""
    choices = [
        questionary.Choice(f"{group:<18} {_describe(raw, keys)}", value=group)
        for group, keys in GROUPS.items()
    ]
    choices.append(questionary.Choice("quit               nothing is written", value=QUIT))
    group = _ask(questionary.select(message, choices=choices))
    if group == QUIT:
        return None
    kept = {k: v for k, v in raw.items() if k not in GROUPS[group]}
    return ask_missing(kept, tune=group == "scaling and image", current=raw)


def confirm_growth(summary: str, question: str) -> bool:
    """`add` in a terminal: the project as it will be, then one confirmation."""
    print(summary)
    return bool(_ask(questionary.confirm(question, default=True)))
