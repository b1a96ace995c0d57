"""`modalgen bench` and `modalgen coldstart`: parse, call the tools, print, exit codes.

Inside a project (or with --project DIR) they measure its endpoint, as its plan describes it;
with --url and --openai or --request FILE, any HTTP endpoint. Exit codes: 0 every request
succeeded, 1 some failed (or the endpoint never answered), 2 bad input.
"""

from __future__ import annotations

import sys
from typing import Any

import click

# pathlib and datetime load inside the commands: `modalgen --help` stays fast.

PROJECT_HELP = "The project whose endpoint is measured (default: the one this folder is in)."
URL_HELP = "The deployed endpoint (`make deploy` prints it)."
EXAMPLES_BENCH = """
\b
Examples:
  modalgen bench                                   # the project's endpoint, served here
  modalgen bench --url https://...modal.run --requests 200 --concurrency 8 --json
  modalgen bench --url http://host:8000 --openai   # any OpenAI-compatible server
  modalgen bench --url http://host/predict --request body.json
"""
EXAMPLES_COLDSTART = """
\b
Examples:
  modalgen coldstart --url https://...modal.run    # in the project: its app's containers
  modalgen coldstart --url https://...modal.run --json
  modalgen coldstart --url https://host --openai --model llm --app my-llm
"""


def _check(name: str, value: float | None, low: float, allowed: str, strict: bool = False) -> None:
    from modalgen.answers.fields import SpecError

    if value is not None and (value <= low if strict else value < low):
        raise SpecError(name, value, allowed)


def _any_endpoint(url: str | None, openai: bool, request: str | None, model: str | None, text: str):
    """The target of --openai or --request FILE (both need --url), or None for a project's."""
    from modalgen.answers.fields import SpecError
    from modalgen.tools import target

    if openai and request:
        raise SpecError("request", str(request), "--openai or --request FILE, not both")
    if model and not openai:
        raise SpecError("model", model, "only with --openai (the model named in each chat completion)")
    if not (openai or request):
        return None
    from pathlib import Path

    if not url:
        raise SpecError("url", SpecError.NO_VALUE, "--openai and --request need --url URL (the endpoint)")
    return target.openai_target(url, model, text) if openai else target.request_target(url, Path(request))


def _project(given: str | None):
    from pathlib import Path

    from modalgen import catalog
    from modalgen.answers.fields import SpecError
    from modalgen.tools import target

    root = target.find_project(Path(given) if given else None)
    if root is None:
        raise SpecError(
            "project", str(Path.cwd()),
            f"a folder made by modalgen (with {catalog.ANSWERS_FILE}): use --project DIR, or measure any "
            "endpoint with --url URL and --openai or --request FILE",
        )  # fmt: skip
    project = target.open_project(root)
    if project.plan.bench is None:
        raise SpecError("project", str(root), "a project with an HTTP endpoint (a web or server workload)")
    return project


def _print(report: dict, as_json: bool, text) -> None:
    import json

    click.echo(json.dumps(report, indent=2) if as_json else text(report))


def _common(command):
    for option in reversed([
        click.option("--project", type=click.Path(file_okay=False), help=PROJECT_HELP),
        click.option("--openai", is_flag=True,
                     help="Any OpenAI-compatible endpoint (streamed chat completions)."),
        click.option("--request", "request_file", type=click.Path(dir_okay=False),
                     help="Any JSON endpoint: POST the JSON object in FILE to --url as it is."),
        click.option("--model", help="With --openai: the model to ask (default: the first one listed)."),
        click.option("--json", "as_json", is_flag=True, help="Print one JSON object."),
    ]):  # fmt: skip
        command = option(command)
    return command


@click.command("bench", epilog=EXAMPLES_BENCH)
@click.option("--url", help="The endpoint; without it, the project's endpoint is served on this machine.")
@click.option("--requests", type=int, default=50, show_default=True, help="Measured requests.")
@click.option("--concurrency", type=int, default=4, show_default=True, help="Requests in flight.")
@click.option("--duration", type=float, help="Stop sending after this many seconds.")
@click.option("--warmup", type=int, default=1, show_default=True, help="Requests before the measured run.")
@click.option(
    "--ready-timeout",
    type=float,
    default=900,
    show_default=True,
    help="Seconds to wait for a cold endpoint (for one that does not answer at all: 15 s at most).",
)
@click.option("--timeout", type=float, default=600, show_default=True, help="Seconds per request.")
@click.option(
    "--python", "python", help="The project's interpreter for a local run (default: its .venv, else uv run)."
)
@_common
def bench(url, requests, concurrency, duration, warmup, ready_timeout, timeout, python, project,
          openai, request_file, model, as_json) -> int:  # fmt: skip
    """Load-test an endpoint: latency, throughput, tokens, $/request.

    Exit codes: 0 every request succeeded, 1 one failed or the endpoint never got ready, 2 bad input.
    """
    from datetime import UTC, datetime

    from modalgen.tools import bench as tool
    from modalgen.tools import local, pricing, target

    _check("requests", requests, 1, "use 1 or more")
    _check("concurrency", concurrency, 1, "use 1 or more")
    _check("warmup", warmup, 0, "use 0 or more")
    _check("duration", duration, 0, "use a number of seconds above 0", strict=True)
    _check("ready_timeout", ready_timeout, 0, "use 0 or more seconds")
    _check("timeout", timeout, 0, "use a number of seconds above 0", strict=True)
    settings = tool.Settings(requests, concurrency, duration, warmup, ready_timeout, timeout)
    show = tool.progress_bar(sys.stderr.isatty() and not as_json)
    chosen = _any_endpoint(url, openai, request_file, model, "Say hello in one sentence.")
    since = datetime.now(UTC)
    proj = None
    try:
        if chosen is not None:
            report = tool.run(chosen, settings, url, show)
        else:
            proj = _project(project)
            if url:
                report = tool.run(target.project_target(proj, url), settings, url, show)
            else:
                with local.serving(proj, python) as (base_url, label):
                    found = target.project_target(proj, base_url)
                    report = tool.run(found, settings, f"{base_url} ({label})", show)
    except (tool.NotReady, local.LocalServeFailed) as error:
        click.echo(str(error), err=True)  # no figures: nothing was measured
        return 1
    deployed = bool(url) and pricing.token_configured()
    report["cost"] = pricing.cost(proj, report, deployed, since, datetime.now(UTC))
    _print(report, as_json, tool.text_report)
    return 0 if report["ok"] and not report["failed"] else 1


@click.command("coldstart", epilog=EXAMPLES_COLDSTART)
@click.option("--url", help=URL_HELP)
@click.option("--app", help="The deployed app's name (default: the project's).")
@click.option("--keep-warm", is_flag=True, help="Do not stop running containers first.")
@click.option(
    "--timeout",
    type=float,
    default=1800,
    show_default=True,
    help="Seconds to wait for the first byte (a cold start included).",
)
@_common
def coldstart(url, app, keep_warm, timeout, project, openai, request_file, model, as_json) -> int:
    """Cold-start the deployed endpoint: time to first byte, split by the container's timestamps.

    Stops the app's running containers (`modal container stop`), sends one request, reads the
    MODALGEN_TIMING lines of `modal app logs`.
    """
    from modalgen.answers.fields import SpecError
    from modalgen.tools import coldstart as tool
    from modalgen.tools import target

    if not url:
        needs = "coldstart measures the deployed endpoint: --url https://<your app>.modal.run"
        raise SpecError("url", SpecError.NO_VALUE, needs)
    _check("timeout", timeout, 0, "use a number of seconds above 0", strict=True)
    if openai and not model:  # asking the server for its models would start a container first
        raise SpecError("model", SpecError.NO_VALUE, "with --openai, the model to ask: --model NAME")
    chosen = _any_endpoint(url, openai, request_file, model, "Say hello in one sentence.")
    proj = _project(project) if chosen is None or (app is None and project) else None
    if chosen is None:
        chosen = target.project_target(proj, url)
    if app is None and proj is None:
        raise SpecError("app", SpecError.NO_VALUE, "the deployed app's name (--app NAME) outside a project")
    modal = tool.Modal(proj.command if proj else _modal_on_path, proj.root if proj else None)
    try:
        report = tool.measure(modal, app or proj.plan.name, chosen, keep_warm, timeout)
    except tool.ModalFailed as error:
        click.echo(str(error), err=True)
        return 1
    _print(report, as_json, tool.text_report)
    return 0 if 200 <= report["status"] < 300 else 1


def _modal_on_path(program: str, *args: Any) -> list[str]:
    return [program, *args]


EXAMPLES_CHECK = """\b
Examples:
  modalgen check                      # in a project: the release that made it, what changed since
  modalgen check --json --project p   # for CI: exit 10 when an update exists
"""


@click.command("check", epilog=EXAMPLES_CHECK)
@click.option("--project", default=".", type=click.Path(file_okay=False), help="The project to check.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def check(project: str, as_json: bool) -> None:
    """Is this project current: the release that made it, what changed since, pins behind, and
    Modal APIs its code uses that modal has renamed, deprecated or removed.

    The modalgen release its answers file records, the CHANGELOG's entries since, the pins (modal,
    the image's packages) older than this modalgen writes, and each line of the project's Python
    that uses a changed Modal API (the client's own deprecation messages, with the minor that
    removes it; `modalgen update` rewrites the plain renames). No network call.

    Exit codes: 0 current; 10 an update exists (`modalgen update`); 11 no update, but the code uses
    a deprecated or removed Modal API (fix the lines listed); 2 not a modalgen project.
    """
    from pathlib import Path

    from modalgen.tools import check as checking

    report = checking.check(Path(project))
    _print(report.to_data(), as_json, lambda data: checking.render_text(report))
    sys.exit(report.exit_code)
