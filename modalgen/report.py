"""What modalgen prints about a Spec: the summary of answers and the GPU table."""

from __future__ import annotations

from modalgen import catalog
from modalgen.spec import Spec


def gpu_line(spec: Spec) -> str:
    if not spec.gpus:
        return "CPU only"
    parts = [f"{g} (${g.price_per_hour:.2f}/hr)" for g in spec.gpus]
    return parts[0] + "".join(f", then {p}" for p in parts[1:])


def summary(spec: Spec, *, next_runs: list[str] | None = None) -> str:
    rows = [
        ("name", f"{spec.name} (package {spec.package})"),
        ("description", spec.description),
        ("gpu", gpu_line(spec)),
        ("workloads", ", ".join(spec.workloads)),
    ]
    if "cron" in spec.workloads:
        rows.append(("schedule", f"{spec.cron} ({spec.timezone})"))
        if next_runs:
            rows.append(("next runs", "; ".join(next_runs)))
    volumes = ", ".join(f"{v.name} at {v.mount}" for v in spec.volumes) or "none"
    rows += [("volumes", volumes), ("python", spec.python)]
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
