"""`modalgen bench`: load-test an endpoint; latency, throughput and what each request costs.

Requests go out at a fixed concurrency (a closed loop: a new one leaves when one comes back).
Warm-up requests come first, may meet a cold container, and are reported apart, never in the
statistics. Modal's ways of answering a cold or long request are not failures: a web function
answers 303 to a request still running after 150 s (followed here), and a Server with no live
container answers 503 (retried during warm-up until it is ready, up to --ready-timeout). Once
the endpoint has answered, every non-2xx answer counts as a failure.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

import httpx

from modalgen.tools.target import Target

# Nothing answering at all is not a cold start: Modal answers for a web function while its container
# starts (and a Server with no live container answers 503), so a refused connection is given up on
# sooner than --ready-timeout.
NO_ANSWER_GRACE = 15.0
WAITING_NOTE_EVERY = 10.0  # seconds between "still waiting" lines on stderr


@dataclass(frozen=True)
class Settings:
    requests: int = 50
    concurrency: int = 4
    duration: float | None = None
    warmup: int = 1
    ready_timeout: float = 900
    timeout: float = 600


@dataclass
class Sample:
    """One request as the client saw it."""

    status: int | str  # the HTTP status, or the error's name when no answer came
    seconds: float
    redirects: int = 0
    error: str = ""  # what went wrong when no answer came
    tokens: int = 0  # output tokens
    first_token: float | None = None  # seconds until the first streamed text

    @property
    def ok(self) -> bool:
        return isinstance(self.status, int) and 200 <= self.status < 300


class NotReady(Exception):
    """The endpoint never became ready during warm-up: there is nothing to measure."""


def describe(error: BaseException) -> str:
    """An error in the words of what happened: for a refused connection httpx says only "All
    connection attempts failed"; the OS's ConnectionRefusedError is further down its causes."""
    causes: list[BaseException] = []
    cause: BaseException | None = error
    while cause is not None and cause not in causes:
        causes.append(cause)
        cause = cause.__cause__ or cause.__context__
    if any(isinstance(cause, ConnectionRefusedError) for cause in causes):
        return "connection refused (nothing listens there)"
    return str(error) or type(error).__name__


async def _streamed(client: httpx.AsyncClient, target: Target, start: float) -> Sample:
    """A streamed chat completion: the time to the first text, and the tokens its usage counts."""
    first_token, tokens = None, 0
    async with client.stream("POST", target.url, json=target.body) as response:
        if response.status_code != 200:
            await response.aread()
        else:
            async for line in response.aiter_lines():
                if not line.startswith("data: ") or line == "data: [DONE]":
                    continue
                event = json.loads(line[len("data: ") :])
                if event.get("usage"):
                    tokens = event["usage"]["completion_tokens"]
                choices = event.get("choices") or [{}]
                if first_token is None and choices[0].get("delta", {}).get("content"):
                    first_token = time.perf_counter() - start
    seconds = time.perf_counter() - start
    return Sample(
        response.status_code, seconds, len(response.history), tokens=tokens, first_token=first_token
    )


def _answer_tokens(response: httpx.Response) -> int:
    try:
        answer = response.json()
    except ValueError:
        return 0
    tokens = answer.get("tokens", 0) if isinstance(answer, dict) else 0
    return tokens if isinstance(tokens, int) else 0


async def send(client: httpx.AsyncClient, target: Target) -> Sample:
    """One request; redirects (Modal's 303 for a long request) are followed and counted."""
    start = time.perf_counter()
    try:
        if target.stream:
            return await _streamed(client, target, start)
        response = await client.post(target.url, json=target.body)
        tokens = _answer_tokens(response) if target.tokens and response.status_code == 200 else 0
        return Sample(response.status_code, time.perf_counter() - start, len(response.history), tokens=tokens)
    except httpx.HTTPError as error:
        return Sample(type(error).__name__, time.perf_counter() - start, error=describe(error))


def not_ready_reason(sample: Sample) -> str | None:
    """Why an answer means "not ready yet" (a 503, or no answer at all), or None."""
    if sample.status == 503:
        return "503 Service Unavailable (a Server with no live container yet)"
    if isinstance(sample.status, str):
        return sample.error or sample.status
    return None


def _waiting_note(url: str, reason: str, waited: float, limit: float, noted: float | None) -> str | None:
    if noted is None:
        return f"waiting for {url}: {reason}; retrying for up to {limit:.0f} s"
    if waited - noted >= WAITING_NOTE_EVERY:
        return f"still waiting for {url} ({waited:.0f} s): {reason}"
    return None


async def warm_up(client: httpx.AsyncClient, target: Target, count: int, ready_timeout: float) -> dict:
    """Requests before the measured run, one at a time, until the endpoint answers: a cold start
    (or a Server with no live container, which answers 503) is waited out here, not measured.
    Raises NotReady when it is still not ready at the end of the wait, saying why."""
    started, retries, samples = time.perf_counter(), 0, []
    noted = None
    while len(samples) < count:
        sample = await send(client, target)
        reason = not_ready_reason(sample)
        if reason is not None:
            waited = time.perf_counter() - started
            limit = ready_timeout if sample.status == 503 else min(ready_timeout, NO_ANSWER_GRACE)
            if waited >= limit:
                raise NotReady(f"gave up on {target.url} after {waited:.0f} s: {reason}")
            note = _waiting_note(target.url, reason, waited, limit, noted)
            if note:
                print(note, file=sys.stderr, flush=True)
                noted = waited
            retries += 1
            await asyncio.sleep(min(2.0, 0.1 * 2**retries))
            continue
        samples.append(sample)
        if not sample.ok:
            break  # a real error: the report says which
    return {
        "requests": len(samples),
        "ok": sum(s.ok for s in samples),
        "status": [s.status for s in samples],
        "first_answer_s": round(time.perf_counter() - started, 3) if samples else None,
        "latency_ms": [round(s.seconds * 1000, 1) for s in samples],
        "retries_while_not_ready": retries,
    }


async def load(
    client: httpx.AsyncClient, target: Target, settings: Settings, progress
) -> tuple[list[Sample], float]:
    """`requests` requests, `concurrency` in flight at a time (fewer if `duration` runs out first)."""
    samples: list[Sample] = []
    started = time.perf_counter()
    remaining = iter(range(settings.requests))

    async def worker():
        for _ in remaining:
            if settings.duration is not None and time.perf_counter() - started >= settings.duration:
                return
            samples.append(await send(client, target))
            progress(len(samples), settings.requests)

    await asyncio.gather(*(worker() for _ in range(settings.concurrency)))
    return samples, time.perf_counter() - started


def percentiles(values: list[float]) -> dict:
    """p50, p95, p99 and max in milliseconds (`statistics.quantiles`, inclusive method)."""
    if not values:
        return {"p50": None, "p95": None, "p99": None, "max": None}
    if len(values) == 1:
        values = values * 2  # quantiles needs two points; one value is every percentile
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    ms = {"p50": cuts[49], "p95": cuts[94], "p99": cuts[98], "max": max(values)}
    return {name: round(value * 1000, 1) for name, value in ms.items()}


def summarize(samples: list[Sample], seconds: float, target: Target | None = None) -> dict:
    ok = [s for s in samples if s.ok]
    failed = Counter(str(s.status) for s in samples if not s.ok)
    report: dict[str, Any] = {
        "requests": len(samples),
        "ok": len(ok),
        "failed": sum(failed.values()),
        "failed_by_status": dict(sorted(failed.items())),
        "redirects_followed": sum(s.redirects for s in samples),
        "duration_s": round(seconds, 3),
        "latency_ms": percentiles([s.seconds for s in ok]),
        "throughput_rps": round(len(ok) / seconds, 2) if seconds else None,
    }
    if target is not None and target.tokens:
        output_tokens = sum(s.tokens for s in ok)
        report["tokens"] = {
            "output": output_tokens,
            "per_s": round(output_tokens / seconds, 1) if seconds else None,
        }
        if target.stream:
            report["tokens"]["time_to_first_token_ms"] = percentiles(
                [s.first_token for s in ok if s.first_token]
            )
    return report


def progress_bar(enabled: bool):
    """A one-line bar on a terminal (stderr); nothing in a pipe or with --json."""

    def show(done: int, total: int) -> None:
        if enabled:
            filled = int(30 * done / total) if total else 30
            end = "\n" if done >= total else ""
            bar = "#" * filled + "." * (30 - filled)
            print(f"\r[{bar}] {done}/{total}", end=end, file=sys.stderr, flush=True)

    return show


async def measure(target: Target, settings: Settings, progress) -> tuple[dict | None, list[Sample], float]:
    """The warm-up, then the measured run: (warm-up report, samples, seconds)."""
    limits = httpx.Limits(max_connections=settings.concurrency + 1)
    async with httpx.AsyncClient(
        headers=target.headers, timeout=settings.timeout, follow_redirects=True, limits=limits
    ) as client:
        warmup = None
        if settings.warmup:
            warmup = await warm_up(client, target, settings.warmup, settings.ready_timeout)
        samples, seconds = await load(client, target, settings, progress)
    return warmup, samples, seconds


def run(target: Target, settings: Settings, label: str, progress) -> dict:
    """Measure `target`; the report without its cost. Raises NotReady when nothing answered."""
    warmup, samples, seconds = asyncio.run(measure(target, settings, progress))
    report = {"target": label, "concurrency": settings.concurrency, **summarize(samples, seconds, target)}
    report["warmup"] = warmup or {"requests": 0, "first_answer_s": None, "retries_while_not_ready": 0}
    return report


def text_report(report: dict) -> str:
    lat = report["latency_ms"]
    latency = f"p50 {lat['p50']} ms, p95 {lat['p95']} ms, p99 {lat['p99']} ms, max {lat['max']} ms"
    lines = [
        f"target      {report['target']}",
        f"requests    {report['requests']} sent, {report['ok']} ok, {report['failed']} failed"
        + (f" {report['failed_by_status']}" if report["failed"] else ""),
        f"latency     {latency if report['ok'] else 'none: no request succeeded'}",
        f"throughput  {report['throughput_rps']} requests/s at concurrency {report['concurrency']}"
        f" over {report['duration_s']} s",
    ]
    if report.get("tokens"):
        tokens = report["tokens"]
        line = f"tokens      {tokens['output']} out, {tokens['per_s']} tokens/s"
        ttft = tokens.get("time_to_first_token_ms") or {}
        if ttft.get("p50") is not None:
            line += f", first token p50 {ttft['p50']} ms, p95 {ttft['p95']} ms"
        lines.append(line)
    warm = report["warmup"]
    lines.append(
        f"warm-up     {warm['requests']} request(s), first answer after {warm['first_answer_s']} s"
        f" ({warm['retries_while_not_ready']} retries while not ready); not in the figures above"
    )
    return "\n".join([*lines, *cost_lines(report["cost"])])


def cost_lines(money: dict) -> list[str]:
    if money.get("per_request_usd") is None:
        return [f"cost        unknown: {money.get('note', 'no request succeeded')}"]
    held = ", ".join(
        f"{name} x{c['count']} ({c['how'].split(':')[0]})" for name, c in money["containers"].items()
    )
    line = f"cost        ${money['per_1k_requests_usd']:.4g} per 1,000 requests"
    line += f" at ${money['usd_per_hour']}/hr ({held})"
    if money.get("per_1m_tokens_usd") is not None:
        line += f", ${money['per_1m_tokens_usd']}/1M output tokens"
    return [line, f"prices      {money['prices']}; the run cost ${money['run_usd']:.4g}"]
