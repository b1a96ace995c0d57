"""The questionary wizard: asks, in a terminal, for every answer not given as a flag.

Each answer is checked by the same function `parse_spec` uses, so the wizard accepts exactly what
flags and answers files accept. Ctrl-C raises KeyboardInterrupt (the CLI exits 130, nothing written).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import questionary

from modalgen import catalog, fields

CPU_ONLY = "cpu"


def _validator(check):
    """questionary wants True or an error message; spec's checks raise SpecError."""

    def validate(value: str) -> bool | str:
        try:
            check(value)
        except fields.SpecError as exc:
            return exc.allowed
        return True

    return validate


def gpu_choice_title(gpu: catalog.Gpu) -> str:
    price = f"${gpu.price_per_hour:.2f}/hr"
    return f"{gpu.name:<10} {gpu.vram_gb:>4} GB  {price}  max {gpu.max_count}  {gpu.best_for}"


def next_runs(cron: str, timezone: str, count: int = 3) -> list[str]:
    """The next times a schedule fires, in its own time zone: the plain-words check of a cron string."""
    import zoneinfo

    from croniter import croniter

    zone = zoneinfo.ZoneInfo(timezone)
    it = croniter(cron, datetime.now(zone))
    return [it.get_next(datetime).strftime("%a %Y-%m-%d %H:%M %Z") for _ in range(count)]


def has_cron_string(spec) -> bool:
    return "cron" in spec.workloads and spec.period is None


def _ask(question) -> Any:
    return question.unsafe_ask()  # raises KeyboardInterrupt instead of returning None


def ask_gpus() -> list[str]:
    choices = [questionary.Choice(gpu_choice_title(g), value=g.name) for g in catalog.GPUS]
    choices.append(questionary.Choice("CPU only   no GPU: containers bill by CPU and memory", CPU_ONLY))
    picked: list[str] = []
    while True:
        label = "GPU type" if not picked else "Fallback GPU type (used when the ones above are scarce)"
        name = _ask(
            questionary.select(
                label,
                choices=[c for c in choices if not picked or c.value not in (CPU_ONLY, *picked)],
                default=catalog.DEFAULT_GPU if not picked else None,
            )
        )
        if name == CPU_ONLY:
            return []
        gpu = catalog.GPU_BY_NAME[name.upper()]
        count = _ask(
            questionary.text(
                f"How many {gpu.name} per container (1-{gpu.max_count})",
                default="1",
                validate=_validator(lambda v, g=gpu: fields.parse_gpu(f"{g.name}:{v}")),
            )
        )
        choice = fields.parse_gpu(f"{gpu.name}:{count}")
        picked.append(str(choice))
        print(f"  {choice}: ${choice.price_per_hour:.2f}/hr while a container runs")
        if len(picked) == len(catalog.GPUS) or not _ask(
            questionary.confirm("Add a fallback GPU?", default=False)
        ):
            return picked


def ask_volumes() -> list[dict[str, str]]:
    volumes: list[dict[str, str]] = []
    while _ask(questionary.confirm("Mount a Volume?" if not volumes else "Another Volume?", default=False)):
        name = _ask(questionary.text("Volume name", validate=_validator(fields.parse_volume)))
        mount = _ask(
            questionary.text(
                "Mount path",
                default=f"/{name}",
                validate=_validator(lambda m, n=name: fields.parse_volume({"name": n, "mount": m})),
            )
        )
        candidate = [*volumes, {"name": name, "mount": mount}]
        try:
            fields.parse_volumes(candidate)
        except fields.SpecError as exc:
            print(f"  {exc}")
            continue
        volumes = candidate
    return volumes


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _ask_list(raw: dict[str, Any], key: str, message: str, parse) -> None:
    if key not in raw:
        raw[key] = _split(
            _ask(questionary.text(message, default="", validate=_validator(lambda v: parse(_split(v)))))
        )


def _ask_int(raw: dict[str, Any], knob: catalog.IntKnob) -> None:
    if knob.key in raw:
        return
    default = "" if knob.default is None else str(knob.default)
    hint = "" if knob.default is not None else " (empty: Modal's default)"
    answer = _ask(
        questionary.text(
            f"{knob.help[0].upper()}{knob.help[1:]} ({knob.low}-{knob.high}){hint}",
            default=default,
            validate=_validator(lambda v, k=knob: fields.check_int(k, v or None if k.default is None else v)),
        )
    )
    raw[knob.key] = (int(answer) if answer else None) if knob.default is None else int(answer)


def _applies(knob: str, workloads: tuple[str, ...]) -> bool:
    return any(k in workloads for k in catalog.kinds_taking(knob))


def _ask_text(raw: dict[str, Any], key: str, message: str, check, default: str = "") -> None:
    """Ask for `key` unless given, checked by the same function that checks flags and files."""
    if key not in raw:
        raw[key] = _ask(questionary.text(message, default=default, validate=_validator(check)))


def ask_missing(given: dict[str, Any]) -> dict[str, Any]:
    """Ask for every answer missing from `given`; return the completed raw answers."""
    raw = dict(given)
    _ask_text(raw, "project_name", "Project name", fields.check_name)
    _ask_text(raw, "description", "Description", fields.check_description, catalog.DEFAULT_DESCRIPTION)
    if "gpu" not in raw:
        raw["gpu"] = ask_gpus()
    if "workloads" not in raw:
        raw["workloads"] = _ask(
            questionary.checkbox(
                "Workloads (space to select, enter to confirm)",
                choices=[
                    questionary.Choice(
                        f"{w.kind:<8} {w.summary}",
                        value=w.kind,
                        checked=w.kind in catalog.DEFAULT_WORKLOADS,
                    )
                    for w in catalog.WORKLOADS
                ],
                validate=lambda picked: bool(picked) or "choose at least one workload",
            )
        )
    workloads = fields.parse_workloads(raw["workloads"])
    if "web" in workloads:
        if "web_style" not in raw:
            raw["web_style"] = _ask(
                questionary.select(
                    "How is the endpoint served",
                    choices=[
                        questionary.Choice(f"{k:<8} {v}", value=k) for k, v in catalog.WEB_STYLES.items()
                    ],
                    default=catalog.DEFAULT_WEB_STYLE,
                )
            )
        if "public" not in raw:
            raw["public"] = not _ask(
                questionary.confirm("Require Modal proxy auth on the endpoint?", default=True)
            )
    if "cron" in workloads:
        _ask_schedule(raw)
    if "batched" in workloads:
        for key in ("batch_size", "batch_wait_ms"):
            _ask_int(raw, catalog.INT_KNOB_BY_KEY[key])
    if "volumes" not in raw:
        raw["volumes"] = ask_volumes()
    _ask_list(
        raw, "secrets", "Modal Secrets the functions receive (names, comma-separated)", fields.parse_secrets
    )
    if "hf_model" not in raw:
        model = _ask(
            questionary.text(
                "Hugging Face model, REPO@REVISION (empty for none)",
                default="",
                validate=_validator(
                    lambda v: fields.check_hf_model(v or None, bool(raw.get("allow_unpinned")))
                ),
            )
        )
        raw["hf_model"] = model or None
    if "python_version" not in raw:
        raw["python_version"] = _ask(
            questionary.select(
                "Container Python",
                choices=list(catalog.CONTAINER_PYTHONS),
                default=catalog.DEFAULT_PYTHON,
            )
        )
    # Batching has its own questions above; the rest wait behind one gate, unless all were given.
    knobs = [k.key for k in catalog.INT_KNOBS if k.needs != "batched"]
    advanced = [*knobs, "apt", "pip", "env", "base", "uv_sync", "snapshot"]
    if any(key not in raw for key in advanced) and _ask(
        questionary.confirm("Tune scaling, image and start-up options?", default=False)
    ):
        _ask_advanced(raw, workloads)
    return raw


def _ask_schedule(raw: dict[str, Any]) -> None:
    if "cron" not in raw and "period" not in raw:
        kind = _ask(
            questionary.select(
                "Schedule by",
                choices=[
                    questionary.Choice("a cron expression (at set times)", value="cron"),
                    questionary.Choice("a period (every 30m, 6h, 1d ...)", value="period"),
                ],
            )
        )
        if kind == "period":
            _ask_text(raw, "period", "Every", fields.check_period, "1d")
            return
    if raw.get("period"):
        return
    _ask_text(
        raw, "cron", "Cron schedule (minute hour day month weekday)", fields.check_cron, catalog.DEFAULT_CRON
    )
    _ask_text(raw, "timezone", "Time zone of the schedule", fields.check_timezone, catalog.DEFAULT_TIMEZONE)
    print("  next runs: " + "; ".join(next_runs(raw["cron"], raw["timezone"])))


def _ask_advanced(raw: dict[str, Any], workloads: tuple[str, ...]) -> None:
    for knob in catalog.INT_KNOBS:
        if knob.needs is None or (knob.needs != "batched" and _applies(knob.needs, workloads)):
            _ask_int(raw, knob)
    if "single_use_containers" not in raw and _applies(catalog.SINGLE_USE, workloads):
        raw["single_use_containers"] = _ask(
            questionary.confirm("A fresh container for every input (jobs)?", default=False)
        )
    if "base" not in raw:
        raw["base"] = _ask(
            questionary.select(
                "Image base",
                choices=[questionary.Choice(f"{k:<12} {v}", value=k) for k, v in catalog.BASES.items()],
                default=catalog.DEFAULT_BASE,
            )
        )
    _ask_list(raw, "apt", "Debian packages (comma-separated)", fields.parse_apt)
    _ask_list(
        raw,
        "pip",
        "Python packages, pinned NAME==VERSION (comma-separated)",
        lambda v: fields.parse_pip(v, bool(raw.get("allow_unpinned"))),
    )
    _ask_list(raw, "env", "Environment variables KEY=VALUE (comma-separated)", fields.parse_env)
    if "uv_sync" not in raw:
        raw["uv_sync"] = _ask(
            questionary.confirm("Install this project's uv.lock into the image?", default=False)
        )
    if "snapshot" not in raw:
        raw["snapshot"] = _ask(
            questionary.confirm("Memory snapshots for faster cold starts (deployed apps)?", default=False)
        )


def confirm(summary: str) -> bool:
    print(summary)
    return bool(_ask(questionary.confirm("Create the project?", default=True)))
