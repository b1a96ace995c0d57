"""The wizard's questions, one answer each, each checked by the function `parse_spec` uses.

Defaults are shown greyed out and taken on Enter; typing replaces them. Ctrl-C raises
KeyboardInterrupt (the CLI exits 130, nothing written).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import questionary

from modalgen import catalog
from modalgen.answers import fields

CPU_ONLY = "cpu"


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


def ask_now(question) -> Any:
    return question.unsafe_ask()  # raises KeyboardInterrupt instead of returning None


def typed_default(current: dict[str, Any], key: str, fallback: str = "") -> str:
    """The current answer to `key` as the user typed it: the default when it is asked again."""
    return fields.as_typed(key, current[key]) if current.get(key) not in (None, "", [], {}) else fallback


def one_of(value: Any, values: list[Any], fallback: Any) -> Any:
    """A select's default: the current answer when it is still a choice, else the usual default."""
    return value if value in values else fallback


def ask_text(message: str, check, default: str = "") -> str:
    """A text answer; the default is a placeholder that typing replaces and Enter takes."""
    answer = ask_now(
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
        name = ask_now(
            questionary.select(
                label,
                choices=offered,
                default=one_of(was.split(":")[0] if was else usual, [c.value for c in offered], None),
            )
        )
        if name == CPU_ONLY:
            return []
        gpu = catalog.GPU_BY_NAME[name.upper()]
        count_now = was.split(":")[1] if was and ":" in was and was.split(":")[0] == gpu.name else "1"
        count = ask_text(
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
        if len(picked) == len(catalog.GPUS) or not ask_now(
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
    while ask_now(questionary.confirm("Mount a Volume?" if not volumes else "Another Volume?",
                                   default=len(now) > len(volumes))):  # fmt: skip
        was = now[len(volumes)] if len(volumes) < len(now) else None
        name = ask_text("Volume name", fields.parse_volume, was.name if was else "")
        mount = ask_text(
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
    while ask_now(questionary.confirm(question, default=len(now) > len(secrets))):
        was = now[len(secrets)] if len(secrets) < len(now) else ""
        answer = ask_text(
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


def ask_list(raw: dict[str, Any], key: str, message: str, parse, current: dict[str, Any]) -> None:
    """A comma-separated list; an error names the item (`--apt 2: "a b" is not allowed ...`)."""
    if key not in raw:
        raw[key] = _split(ask_text(message, lambda v: parse(_split(v)), typed_default(current, key)))


# What `--max-containers default` is to the flag: Modal's own default, in place of a number.
MODALS_DEFAULT = "default"


def ask_int(raw: dict[str, Any], knob: catalog.IntKnob, current: dict[str, Any]) -> None:
    if knob.key in raw:
        return
    usual = "" if knob.default is None else str(knob.default)
    default = typed_default(current, knob.key, usual)
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

    answer = ask_text(
        f"{knob.help[0].upper()}{knob.help[1:]} ({knob.low}-{knob.high}){hint}", number, default
    )
    raw[knob.key] = number(answer)


def ask_record(raw: dict[str, Any], option: catalog.Option, was: dict[str, Any]) -> None:
    """One option record's question, by its value type."""
    if option.type == catalog.BOOL:
        raw[option.key] = ask_now(
            questionary.confirm(option.ask, default=bool(was.get(option.key, option.default)))
        )
    else:
        usual = "" if option.default is None else str(option.default)
        check = lambda v: fields.check_value(option, v or option.default)  # noqa: E731
        raw[option.key] = fields.check_value(
            option, ask_text(option.ask, check, typed_default(was, option.key, usual)) or None
        )
