"""What one request costs: the $/hr of each container that serves it, from the project's plan.

Cost = $/hr of each container a request passes through (its GPUs, CPU and memory as the plan
configures them, priced by `modal billing rates` when the deployed app is measured and a Modal
token works, else by modalgen's catalogue) x the containers that served the run x the run's wall
time, divided by the requests that succeeded. It is the steady-state cost: containers that wait out
their `scaledown_window` after the last request are billed for that idle time too.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
from datetime import datetime
from typing import Any

from modalgen import catalog
from modalgen.tools.target import Project

GPU_PRICES = {gpu.name.upper(): gpu.price_per_hour for gpu in catalog.GPUS}


def token_configured() -> bool:
    """A Modal token in the environment or in the config file (`modal setup` writes it): only then
    is `modal billing rates` asked (without one it would fail, slowly)."""
    import os
    import tomllib
    from pathlib import Path

    if os.environ.get("MODAL_TOKEN_ID") and os.environ.get("MODAL_TOKEN_SECRET"):
        return True
    path = Path(os.environ.get("MODAL_CONFIG_PATH") or Path.home() / ".modal.toml")
    try:
        profiles = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return any(isinstance(p, dict) and p.get("token_id") and p.get("token_secret") for p in profiles.values())


def modal_rates(project: Project) -> dict | None:
    """`modal billing rates --json` (needs a token): the workspace's own prices, or None."""
    try:
        done = subprocess.run(
            project.command("modal", "billing", "rates", "--json"),
            cwd=project.root, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        rates = json.loads(done.stdout) if done.returncode == 0 else None
        return rates if isinstance(rates, dict) else None
    except (OSError, ValueError, subprocess.TimeoutExpired):
        return None


def words(text: str) -> list[str]:
    return [word for word in re.split(r"[^a-z0-9]+", text.lower()) if word]


def hourly_rate(rates: dict | None, resource: str, fallback: float | None) -> tuple[float | None, str]:
    """A resource's USD per hour from Modal's rates, else the catalogue's, with where it came from.

    A rate's key must hold the resource's name as whole words ("L4" is not "L40S"); per-second
    rates are turned into per-hour ones.
    """
    wanted = words(resource)
    for key, value in (rates or {}).items():
        found = words(key)
        spans = (found[i : i + len(wanted)] for i in range(len(found)))
        if wanted in spans and (resource in ("cpu", "memory") or "gpu" in found):
            rate = float(value)
            per_second = "sec" in key.lower() or ("hour" not in key.lower() and rate < 0.05)
            return (rate * 3600 if per_second else rate), f"modal billing rates ({key})"
    return fallback, "catalogue"


def per_hour(fn: Any, rates: dict | None) -> tuple[float | None, list[str]]:
    """USD per hour while one container of the plan's function `fn` runs: GPUs + CPU + memory."""
    sources, total = [], 0.0
    if fn.gpu:
        name, _, count = fn.gpu[0].partition(":")  # fallbacks cost what they cost: the first is priced
        gpu = name.upper().rstrip("!")
        price, source = hourly_rate(rates, gpu, GPU_PRICES.get(gpu))
        if price is None:
            return None, [f"no price known for {gpu}"]
        total += price * int(count or 1)
        sources.append(source)
    cpu, cpu_source = hourly_rate(rates, "cpu", catalog.CPU_PRICE_PER_CORE_HOUR)
    memory, memory_source = hourly_rate(rates, "memory", catalog.MEMORY_PRICE_PER_GIB_HOUR)
    total += (fn.cpu or catalog.DEFAULT_CPU) * (cpu or 0.0)
    total += (fn.memory or catalog.DEFAULT_MEMORY_MIB) / 1024 * (memory or 0.0)
    return total, [*sources, cpu_source, memory_source]


def planned_containers(fn: Any, concurrency: int) -> int:
    """The containers Modal scales to for `concurrency` requests in flight, from the plan."""
    if fn.server:
        return 1  # a Server: one container's HTTP server takes requests concurrently
    per_container = (fn.batching or {}).get("size") or fn.max_inputs or 1
    return max(1, math.ceil(concurrency / per_container))


# Run in the project's environment (it has the pinned modal): each function's containers during
# the run, from Modal's stats API; a class's are those of its service function.
OBSERVED = """
import json, sys
from datetime import datetime
import modal
app, since, until, names = sys.argv[1], *map(datetime.fromisoformat, sys.argv[2:4]), sys.argv[4:]
found = {}
for name in names:
    try:
        if name[:1].isupper():
            try:
                stats = modal.Server.from_name(app, name).stats(since=since, until=until)
            except Exception:
                stats = modal.Function.from_name(app, name + ".*").stats(since=since, until=until)
        else:
            stats = modal.Function.from_name(app, name).stats(since=since, until=until)
        found[name] = stats.container_total_count or None
    except Exception:
        found[name] = None
print(json.dumps(found))
"""


def observed_containers(project: Project, names: list[str], since: datetime, until: datetime) -> dict:
    """Containers Modal ran for each deployed function during the run ({} when unknown)."""
    args = [project.plan.name, since.isoformat(), until.isoformat(), *names]
    try:
        done = subprocess.run(
            project.command("python", "-c", OBSERVED, *args),
            cwd=project.root, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        return json.loads(done.stdout.strip().splitlines()[-1]) if done.returncode == 0 else {}
    except (OSError, ValueError, IndexError, subprocess.TimeoutExpired):
        return {}


PLANNED = "planned: concurrency / inputs per container"


def significant(usd: float) -> float:
    """Four significant digits: a fraction of a cent per request still reads."""
    return float(f"{usd:.4g}")


def cost(project: Project | None, report: dict, deployed: bool, since: datetime, until: datetime) -> dict:
    """The report's "cost": per request, per 1,000, per 1M output tokens, and how it was reached."""
    if project is None:
        return {"per_request_usd": None, "prices": None, "note": "no project to price (run it inside one)"}
    rates = modal_rates(project) if deployed else None
    serving = [_by_name(project, holder["obj"]) for holder in project.plan.bench["holders"]]
    observed = observed_containers(project, [fn.name for fn in serving], since, until) if rates else {}
    total, sources, containers = 0.0, set(), {}
    for fn in serving:
        rate, rate_sources = per_hour(fn, rates)
        if rate is None:
            return {"per_request_usd": None, "prices": "catalogue", "note": "; ".join(rate_sources)}
        count, how = observed.get(fn.name), "observed: Modal's stats for the run"
        if not count:
            count, how = planned_containers(fn, report["concurrency"]), PLANNED
        containers[fn.name] = {"count": count, "how": how, "usd_per_hour": round(rate, 4)}
        total += rate * count
        sources.update(rate_sources)
    ok, run_cost = report["ok"], total * report["duration_s"] / 3600
    result = {
        "usd_per_hour": round(total, 4),
        "per_request_usd": significant(run_cost / ok) if ok else None,
        "per_1k_requests_usd": significant(run_cost / ok * 1000) if ok else None,
        "run_usd": significant(run_cost),
        "containers": containers,
        "prices": "modal billing rates" if any("modal" in s for s in sources) else "catalogue",
        "price_sources": sorted(sources),
    }
    if "tokens" in report:
        per_s = report["tokens"].get("per_s")
        result["per_1m_tokens_usd"] = significant(total / 3600 / per_s * 1e6) if per_s else None
    return result


def _by_name(project: Project, name: str) -> Any:
    return next(fn for fn in project.plan.functions if fn.name == name)
