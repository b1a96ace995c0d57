"""What modalgen prints about a Spec: the summary of answers and the GPU table."""

from __future__ import annotations

from typing import TYPE_CHECKING

from modalgen import catalog
from modalgen.spec import Spec

if TYPE_CHECKING:
    from modalgen.merge import Plan


def gpu_line(spec: Spec) -> str:
    if not spec.gpus:
        return "CPU only"
    parts = [f"{g} (${g.price_per_hour:.2f}/hr)" for g in spec.gpus]
    return parts[0] + "".join(f", then {p}" for p in parts[1:])


HOURS_PER_MONTH = 730


def warm_functions(spec: Spec) -> list[str]:
    """The workloads whose functions keep `min_containers` warm."""
    return [k for k in spec.workloads if k in catalog.kinds_taking(catalog.WARM)]


def monthly_idle_cost(spec: Spec) -> float | None:
    """What the warm pool costs per month on the first GPU choice, idle or not (None: no pool)."""
    warm = spec.knob("min_containers") * len(warm_functions(spec))
    if not warm or not spec.gpus:
        return None
    return spec.gpus[0].price_per_hour * warm * HOURS_PER_MONTH


def summary(spec: Spec, *, next_runs: list[str] | None = None) -> str:
    rows = [
        ("name", f"{spec.name} (package {spec.package})"),
        ("description", spec.description),
        ("gpu", gpu_line(spec)),
        ("workloads", ", ".join(spec.workloads)),
    ]
    if "web" in spec.workloads:
        auth = "public" if spec.public else "Modal proxy auth"
        rows.append(("web", f"{spec.web_style} ({catalog.WEB_STYLES[spec.web_style]}), {auth}"))
    if "cron" in spec.workloads:
        rows.append(("schedule", f"every {spec.period}" if spec.period else f"{spec.cron} ({spec.timezone})"))
        if next_runs:
            rows.append(("next runs", "; ".join(next_runs)))
    volumes = ", ".join(f"{v.name} at {v.mount}" for v in spec.volumes) or "none"
    rows.append(("volumes", volumes))
    if spec.secrets:
        rows.append(("secrets", ", ".join(spec.secrets)))
    if spec.hf_model:
        rows.append(("model", f"{spec.hf_model} (cached in the {catalog.HF_CACHE_VOLUME} Volume)"))
    image = [spec.base, f"python {spec.python}"]
    image += [f"apt {' '.join(spec.apt)}"] if spec.apt else []
    image += [f"pip {' '.join(spec.pip)}"] if spec.pip else []
    image += [f"env {', '.join(k for k, _ in spec.env)}"] if spec.env else []
    image += ["uv sync"] if spec.uv_sync else []
    rows.append(("image", ", ".join(image)))
    scaling = [f"timeout {spec.knob('timeout')} s"]
    for knob in catalog.INT_KNOBS:
        if knob.key == "timeout" or knob.needs == "batched":  # said above / in the line below
            continue
        if spec.knob(knob.key) != knob.default:
            scaling.append(f"{knob.key} {spec.knob(knob.key)}")
    if "batched" in spec.workloads:
        scaling.append(f"batches of {spec.knob('batch_size')} within {spec.knob('batch_wait_ms')} ms")
    if spec.single_use_containers:
        scaling.append("single-use containers")
    if spec.snapshot:
        scaling.append("memory snapshots (deployed apps only)")
    rows.append(("scaling", ", ".join(scaling)))
    idle = monthly_idle_cost(spec)
    if idle is not None:
        rows.append(("warm pool", f"${idle:,.0f}/month on {spec.gpus[0]}, idle or not"))
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"  {k:<{width}}  {v}" for k, v in rows)


def gpu_table() -> str:
    header = f"{'GPU':<10} {'VRAM':>6} {'$/hr':>6} {'max':>4}  best for"
    lines = [header, "-" * len(header)]
    for g in catalog.GPUS:
        aliases = f" (also {', '.join(g.aliases)})" if g.aliases else ""
        lines.append(
            f"{g.name:<10} {g.vram_gb:>3} GB {g.price_per_hour:>6.2f} {g.max_count:>4}  {g.best_for}{aliases}"
        )
    return "\n".join(lines)


def growth(plan: Plan) -> str:
    """What a merge did (or would do), file by file."""
    groups = [
        ("created", plan.created),
        ("replaced", plan.replaced),
        ("merged", plan.merged),
        ("conflict", plan.conflicts),
        ("deleted", plan.deletes),
        ("kept", plan.kept_edited),
        ("skipped", plan.deleted_by_user),
    ]
    lines = [f"  {label:<9} {rel}" for label, files in groups for rel in files]
    if plan.deleted_by_user:
        lines.append("  (skipped: you deleted these files; the template changed them, they stay deleted)")
    if plan.kept_edited:
        lines.append("  (kept: the template no longer has these files, but you edited them)")
    return "\n".join(lines)
