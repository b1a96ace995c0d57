"""`modalgen coldstart`: a cold start of the deployed endpoint, split by the container's timestamps.

The project's serving functions log one line per event and container as they start,
`MODALGEN_TIMING {...}`, with the wall-clock time, the container's ID and when its Python process
started ("load_start", "ready"). This stops the app's running containers, so that the next request
meets a cold one, sends one request, reads the app's logs, and reports the time to first byte as
the client saw it, split by those timestamps:

    queued + boot   request sent -> the container's Python process started (scheduling, image)
    imports         process started -> load started
    load            load started -> ready (model load; a restore, with memory snapshots)
    first output    ready -> first byte at the client (the request's own work, and the network)

Client and container clocks are both NTP-synchronised; splits under ~50 ms are within their skew.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from modalgen.tools.target import Target

PREFIX = "MODALGEN_TIMING "
FIELDS = {"function", "event", "t", "process_start", "container"}  # each line holds these
SPLIT_LABELS = {
    "queued_and_boot_s": "queued + boot",
    "imports_s": "imports",
    "load_s": "load",
    "first_output_s": "first output",
}


class ModalFailed(Exception):
    """A `modal` command failed: its words, for one line on stderr."""


def parse(log_text: str) -> list[dict]:
    """Every timing line in `modal app logs` output (other lines, and broken ones, are skipped)."""
    found = []
    for line in log_text.splitlines():
        _, sep, payload = line.partition(PREFIX)
        if not sep:
            continue
        try:
            parsed = json.loads(payload)
        except ValueError:
            continue
        if isinstance(parsed, dict) and FIELDS <= set(parsed):
            found.append(parsed)
    return found


def split(sent: float, first_byte: float, lines: list[dict]) -> dict:
    """The client's time to first byte, split by the timestamps of the container(s) it started.

    `sent` and `first_byte` are wall-clock times at the client; `lines` are the parsed timing
    lines. A container counts when its process started after the request was sent.
    """
    fresh = [line for line in lines if sent - 1.0 <= line["process_start"] <= first_byte]
    report: dict = {"ttfb_s": round(first_byte - sent, 3), "cold": bool(fresh), "containers": {}}
    by_container: dict[str, dict] = {}
    for line in fresh:
        first = {"function": line["function"], "process_start": line["process_start"]}
        events = by_container.setdefault(line["container"], first)
        events[line["event"]] = line["t"]
    for container, events in by_container.items():
        start = events["process_start"]
        load_start = events.get("load_start", start)
        ready = events.get("ready")
        report["containers"][container] = {
            "function": events["function"],
            "queued_and_boot_s": round(start - sent, 3),
            "imports_s": round(load_start - start, 3),
            "load_s": round(ready - load_start, 3) if ready else None,
            "first_output_s": round(first_byte - ready, 3) if ready else None,
        }
    return report


class Modal:
    """The `modal` CLI, its output captured. Its stdin is empty, never a terminal: a command that
    would ask a question fails at once rather than wait for an answer nobody sees."""

    def __init__(self, command: Callable[..., list[str]], cwd=None):
        self.command, self.cwd = command, cwd

    def run(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            self.command("modal", *args), cwd=self.cwd, stdin=subprocess.DEVNULL,
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip

    def output(self, *args: str) -> str:
        done = self.run(*args)
        if done.returncode != 0:
            why = " ".join((done.stderr.strip() or done.stdout.strip()).split())
            raise ModalFailed(f"modal {' '.join(args)} failed: {why}")
        return done.stdout


def running_containers(modal: Modal, app: str) -> list[str]:
    """The app's running containers. `modal container list --json` names its keys after the
    table's columns in snake_case: `container_id`, `app_name` (the app's name)."""
    listing = json.loads(modal.output("container", "list", "--json") or "[]")
    return [row["container_id"] for row in listing if row.get("app_name") == app]


def stop_containers(modal: Modal, app: str, wait: float = 180) -> int:
    """Stop every running container of the deployed app; wait until none is left."""
    stopped = running_containers(modal, app)
    if stopped:
        print(f"stopping {len(stopped)} container(s) of {app}", file=sys.stderr, flush=True)
    # `modal container stop` takes one container and asks for confirmation unless given --yes.
    with ThreadPoolExecutor(max_workers=8) as pool:
        done = list(pool.map(lambda container: modal.run("container", "stop", "--yes", container), stopped))
    for container, answer in zip(stopped, done, strict=True):
        output = answer.stdout + answer.stderr
        if answer.returncode != 0 and "already stopped" not in output:  # it went by itself meanwhile
            raise ModalFailed(f"modal container stop {container} failed: {' '.join(output.split())}")
    deadline = time.monotonic() + wait
    while stopped and running_containers(modal, app):
        if time.monotonic() > deadline:
            why = "min_containers keeps some warm?"
            raise ModalFailed(f"{app} still has containers after {wait:.0f} s ({why})")
        time.sleep(1)
    return len(stopped)


def first_byte(target: Target, timeout: float = 1800) -> tuple[float, float, int]:
    """Send one request; (sent, first byte, status) in wall-clock seconds. Follows Modal's 303s and
    retries the 503 a Server answers while it has no live container."""
    import httpx

    sent = time.time()
    with httpx.Client(headers=target.headers, timeout=timeout, follow_redirects=True) as client:
        while True:
            with client.stream("POST", target.url, json=target.body) as response:
                for _ in response.iter_raw():
                    break
                arrived = time.time()
                if response.status_code != 503 or arrived - sent > timeout:
                    return sent, arrived, response.status_code
            time.sleep(1)


def measure(modal: Modal, app: str, target: Target, keep_warm: bool, timeout: float = 1800) -> dict:
    """Stop the app's containers (unless `keep_warm`), send one request, split its first byte."""
    stopped = 0 if keep_warm else stop_containers(modal, app)
    sent, arrived, status = first_byte(target, timeout)
    deadline = time.monotonic() + LOG_DELAY
    while True:  # logs reach Modal's log store a moment after they are printed
        report = split(sent, arrived, parse(modal.output("app", "logs", app, "--since", "30m")))
        ready = all(parts["load_s"] is not None for parts in report["containers"].values())
        if (report["cold"] and ready) or time.monotonic() > deadline:
            return {**report, "status": status, "stopped": stopped}
        time.sleep(1)


LOG_DELAY = 10.0  # seconds to wait for the new container's lines to reach the logs


def text_report(report: dict) -> str:
    lines = [
        f"time to first byte  {report['ttfb_s']} s (status {report['status']}),"
        f" {report['stopped']} container(s) stopped first"
    ]
    if not report["cold"]:
        lines.append("no container started for this request: it met a warm one (min_containers?)")
    for container, parts in report["containers"].items():
        lines.append(f"{parts['function']} ({container})")
        for key, label in SPLIT_LABELS.items():
            lines.append(f"  {label:<14} {parts[key]} s")
    return "\n".join(lines)
