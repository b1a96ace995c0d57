"""What modalgen prints: the summary of a project's answers and plan, the GPU table, merges."""

from __future__ import annotations

from typing import TYPE_CHECKING

from modalgen import catalog
from modalgen.answers import fields
from modalgen.answers.spec import Spec, knob_options

if TYPE_CHECKING:
    from pathlib import Path

    from modalgen.grow.merge import MergePlan
    from modalgen.plan.build import Function, Plan


def money(value: float | None) -> str:
    if value is None:
        return "unknown"
    return f"${value:,.2f}" if value < 1000 else f"${value:,.0f}"


def gpu_line(specs: tuple[str, ...] | list[str]) -> str:
    from modalgen.answers.fields import parse_gpu

    if not specs:
        return "CPU only"
    parts = []
    for spec in specs:
        choice = parse_gpu(spec)
        price = (
            "price unknown offline" if choice.price_per_hour is None else f"${choice.price_per_hour:.2f}/hr"
        )
        parts.append(f"{choice} ({price})")
    return parts[0] + "".join(f", then {p}" for p in parts[1:])


def _runs_on(fn: Function) -> str:
    return ", then ".join(fn.gpu) if fn.gpu else "CPU"


def plan_table(plan: Plan) -> str:
    """Each function: where it runs, its warm containers and what it costs."""
    rows = [("function", "kind", "runs on", "warm", "$/hr running", "$/month warm")]
    for fn in plan.functions:
        kind = fn.kind + (f" -> {fn.calls['obj']}" if fn.calls else "")
        monthly = money(fn.monthly_warm_cost) if fn.warm else "$0"
        rows.append((fn.name, kind, _runs_on(fn), str(fn.warm), money(fn.price_per_hour), monthly))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [
        "  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows
    ]
    warm = [fn for fn in plan.functions if fn.warm]
    if warm:
        total = [fn.monthly_warm_cost for fn in warm]
        total_text = "unknown" if None in total else money(sum(total))
        lines.append(f"  warm containers bill {total_text}/month, idle or not")
    return "\n".join(lines)


def revision_note(hf_model: str) -> str | None:
    from modalgen.plan.build import revision_note

    return revision_note(hf_model)


def unpinned_line(spec: Spec, plan: Plan) -> str:
    """Why the model follows a branch, what that means, and how to pin it."""
    model = plan.model
    return (f"not pinned: {revision_note(spec.hf_model)}; `make download` takes {model['revision']}'s newest "
            f"commit. Pin one: modalgen set --hf-model {model['repo']}@<commit>")  # fmt: skip


def summary(spec: Spec, plan: Plan, *, next_runs: list[str] | None = None) -> str:
    rows = [
        ("name", f"{spec.name} (package {spec.package})"),
        ("description", spec.description),
        ("stack", f"{spec.stack}: {catalog.STACK_BY_NAME[spec.stack].summary}"),
        ("workloads", ", ".join(spec.workloads)),
        (
            "gpu",
            gpu_line([str(g) for g in spec.gpus])
            + (" for the functions that run the core" if spec.gpus else ""),
        ),
    ]
    web = next((fn for fn in plan.functions if fn.web), None)
    if web:
        auth = "public" if web.web["public"] else "Modal proxy auth"
        rows.append(("web", f"{web.web['style']} ({catalog.WEB_STYLES[web.web['style']]}), {auth}"))
    cron = next((fn for fn in plan.functions if fn.schedule), None)
    if cron:
        schedule = cron.schedule
        rows.append(("schedule", f"every {schedule['period']}" if "period" in schedule
                     else f"{schedule['cron']} ({schedule['timezone']})"))  # fmt: skip
        if next_runs:
            rows.append(("next runs", "; ".join(next_runs)))
    volumes = ", ".join(f"{v.name} at {v.mount}" for v in spec.mounted_volumes) or "none"
    rows.append(("volumes", volumes))
    if spec.secrets:
        rows.append(("secrets", ", ".join(f"{s.name} ({', '.join(s.keys)})" for s in spec.secrets)))
    rows += _model_rows(spec, plan)
    train = next((fn for fn in plan.functions if dict(fn.settings).get("parallel") and fn.gpu), None)
    if train and fields.parse_gpu(train.gpu[0]).count > 1:  # how a fine-tune's GPUs share its run
        sharded = dict(train.settings)["parallel"] == "fsdp"
        rows.append(("training", "FSDP: each GPU holds a share of the run, which no one GPU holds whole"
                     if sharded else "DDP: each GPU holds the whole run"))  # fmt: skip
    stack = catalog.STACK_BY_NAME[spec.stack]
    if stack.licence and plan.model and spec.hf_model == stack.model:
        rows.append(("licence", stack.licence))
    rows += _image_and_option_rows(spec)
    width = max(len(k) for k, _ in rows)
    head = "\n".join(f"  {k:<{width}}  {v}" for k, v in rows)
    return head + "\n\n" + plan_table(plan)


def _model_rows(spec: Spec, plan: Plan) -> list[tuple[str, str]]:
    """The model: where it comes from, its revision, its memory and its licence gate."""
    rows: list[tuple[str, str]] = []
    if not plan.model:
        return rows
    model = plan.model
    note = revision_note(spec.hf_model) if model["pinned"] else None  # "main's commit on the Hub now"
    rows.append(("model", f"{model['repo']} at {model['revision']} ({f'{note}; ' if note else ''}"
                 f"`make download`, on CPU, into the {catalog.HF_CACHE_VOLUME} Volume)"))  # fmt: skip
    if not model["pinned"]:
        rows.append(("revision", unpinned_line(spec, plan)))
    if model.get("arithmetic"):
        rows.append(("memory", model["arithmetic"]))
    if model["gated"]:
        rows.append(("gated", f"the model needs an accepted licence and a token: the {catalog.HF_SECRET} "
                     "Secret (HF_TOKEN) is added"))  # fmt: skip
    return rows


def _image_and_option_rows(spec: Spec) -> list[tuple[str, str]]:
    """The image, and the options that differ from their defaults."""
    rows: list[tuple[str, str]] = []
    image = [spec.base, f"python {spec.python}", f"image builder {spec.image_builder}"]
    image += [f"apt {' '.join(spec.apt)}"] if spec.apt else []
    image += [f"pip {' '.join(spec.pip)}"] if spec.pip else []
    image += [f"env {', '.join(k for k, _ in spec.env)}"] if spec.env else []
    image += ["uv sync (runtime dependencies from uv.lock)"] if spec.uv_sync else []
    rows.append(("image", ", ".join(image)))
    options = [f"timeout {spec.knob('timeout')} s"]
    for knob in catalog.INT_KNOBS:
        if knob.key != "timeout" and spec.knob(knob.key) != knob.default:
            options.append(f"{knob.key.replace('_', ' ')} {spec.knob(knob.key)}")
    if spec.cpu:
        options.append(f"cpu {spec.cpu:g}")
    if spec.single_use_containers:
        options.append("single-use containers")
    if spec.snapshot:
        options.append(
            "memory snapshots" + (" with GPU memory" if spec.gpu_snapshot else "") + " (deployed apps)"
        )
    for option in knob_options():  # an option record with no word of its own above
        if option.key not in catalog.INT_KNOB_BY_KEY and spec.knob(option.key) != option.default:
            options.append(
                f"{option.key.replace('_', ' ')} {fields.as_typed(option.key, spec.knob(option.key))}"
            )
    rows.append(("options", ", ".join(options)))
    return rows


def smoke_checks(plan: Plan) -> str:
    """What `make smoke` checks besides each answer, worded for the plan's shape: one GPU, fallbacks,
    CPU only, or functions on a GPU beside functions on CPU."""
    on_gpu = [fn for fn in plan.functions if fn.gpu]
    if not on_gpu:
        return "each function's answer, and that each ran on CPU"
    notes = ["any of its fallbacks"] if any(len(fn.gpu) > 1 for fn in on_gpu) else []
    if len(on_gpu) < len(plan.functions):
        notes.append("no GPU for those planned on CPU")
    return "each function's answer and its GPU type and count" + (f" ({'; '.join(notes)})" if notes else "")


def next_steps(target: Path, plan: Plan, *, token: bool) -> str:
    """What to run after `modalgen new`, in order."""
    steps = [f"cd {target}"]
    if not token:
        steps.append("uv run modal setup      # no Modal token found yet")
    steps += [
        "make install            # .venv and uv.lock (commit uv.lock)",
        "make test               # offline: the real modal package, no account needed",
        f"make smoke              # on Modal: {smoke_checks(plan)}",
        "make deploy",
    ]
    return "Next steps:\n" + "\n".join(f"  {s}" for s in steps)


def gpu_table(hours: float | None = None) -> str:
    """Every GPU type Modal takes: VRAM, $/hr, the most per container; with `hours`, what they cost."""
    header = ["GPU", "VRAM", "$/hr", "max", *([f"{hours:g} h"] if hours is not None else []), "best for"]
    rows = [header]
    for g in catalog.GPUS:
        aliases = f" (also {', '.join(g.aliases)})" if g.aliases else ""
        note = f"; {g.note}" if g.note else ""
        price = "n/a" if g.price_per_hour is None else f"{g.price_per_hour:.2f}"
        cost = (
            []
            if hours is None
            else ["n/a" if g.price_per_hour is None else f"{g.price_per_hour * hours:.2f}"]
        )
        rows.append([g.name + aliases, f"{g.vram_gb} GB", price, str(g.max_count), *cost, g.best_for + note])
    widths = [max(len(row[i]) for row in rows) for i in range(len(header) - 1)]
    lines = []
    for row in rows:
        cells = [
            cell.ljust(w) if i == 0 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=False))
        ]
        lines.append("  ".join(cells) + "  " + row[-1])
    lines.insert(1, "-" * len(lines[0]))
    lines.append("n/a: no price known offline (modal billing rates --json gives your workspace's)")
    return "\n".join(lines)


def growth(plan: MergePlan) -> str:
    """What a merge did (or would do), file by file."""
    groups = [
        ("created", plan.created),
        ("replaced", plan.replaced),
        ("merged", plan.merged),
        ("conflict", plan.conflicts),
        ("deleted", plan.deletes),
        ("kept", plan.kept_edited),
        ("skipped", plan.deleted_by_user),
        ("migrated", plan.migrated),
    ]
    lines = [f"  {label:<9} {rel}" for label, files in groups for rel in files]
    if plan.deleted_by_user:
        lines.append("  (skipped: you deleted these files; the template changed them, they stay deleted)")
    if plan.kept_edited:
        lines.append("  (kept: the template no longer has these files, but you edited them)")
    if plan.migrated:
        lines.append("  (migrated: Modal APIs renamed since were rewritten, your lines included; "
                     "`modalgen check` lists what needs a person)")  # fmt: skip
    return "\n".join(lines)
