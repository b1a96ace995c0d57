"""What `modalgen bench` and `modalgen coldstart` measure: a project's endpoint, or any HTTP one.

Inside a project the endpoint comes from its plan, computed again from `.modalgen-answers.yml`
(the answers only: the plan recorded beside them by earlier releases is never read). Without a
project, `--openai` (a streamed chat completion) or `--request FILE` (POST this JSON body) says
what to send.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from modalgen import catalog
from modalgen.answers.fields import SpecError

# Kept in the answers file for the merge, not answers: never given to parse_spec.
NOT_ANSWERS = ("plan", "modalgen_version", "_src_path", "_commit")
CHAT_PATH = "/v1/chat/completions"
SERVED_NAME = "llm"  # the name a vLLM project serves its model as (the vllm stack's core.py)
MAX_TOKENS = 64  # output tokens per streamed request


@dataclass(frozen=True)
class Project:
    """A generated project, as the tools need it: where it is, its plan and its recorded version."""

    root: Path
    plan: Any  # modalgen.plan.build.Plan
    version: str | None

    def command(self, program: str, *args: str, python: str | None = None) -> list[str]:
        """`program` in the project's environment: its .venv when there is one, else `uv run`
        (in the project folder, as its Makefile runs things); `python` overrides the interpreter."""
        if program == "python" and python:
            return [python, *args]
        own = self.root / ".venv" / "bin" / program
        if own.exists():
            return [str(own), *args]
        if program == "modal" and not shutil.which("uv") and shutil.which("modal"):
            return ["modal", *args]
        return ["uv", "run", program, *args]


def find_project(given: Path | None) -> Path | None:
    """`--project DIR`, else the folder (or a parent) holding the answers file, else None."""
    if given is not None:
        if not (given / catalog.ANSWERS_FILE).is_file():
            raise SpecError("project", str(given), f"a folder made by modalgen (with {catalog.ANSWERS_FILE})")
        return given.resolve()
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / catalog.ANSWERS_FILE).is_file():
            return folder
    return None


def open_project(root: Path) -> Project:
    """The project's plan, from its answers: parse_spec, then make_plan."""
    from modalgen.answers.file import load_answers
    from modalgen.answers.spec import parse_spec
    from modalgen.plan.build import make_plan

    path = root / catalog.ANSWERS_FILE
    recorded = load_answers(path, field="answers_file")
    answers = {key: value for key, value in recorded.items() if key not in NOT_ANSWERS}
    try:
        plan = make_plan(parse_spec(answers))
    except SpecError as exc:
        raise SpecError("answers_file", str(path), f"valid answers ({exc})") from None
    version = recorded.get("modalgen_version")
    return Project(root, plan, version if isinstance(version, str) else None)


@dataclass(frozen=True)
class Target:
    """Where each request goes and what it carries."""

    url: str  # the full URL one request is POSTed to
    body: dict[str, Any]
    stream: bool = False  # an OpenAI-compatible stream: text deltas, then the usage
    tokens: bool = False  # count output tokens (the usage, or "tokens" in a JSON answer)
    headers: dict[str, str] = field(default_factory=dict)


def proxy_auth_headers() -> dict[str, str]:
    """Modal proxy auth (`Modal-Key`, `Modal-Secret`) from MODAL_KEY and MODAL_SECRET, when set."""
    key, secret = os.environ.get("MODAL_KEY"), os.environ.get("MODAL_SECRET")
    return {"Modal-Key": key, "Modal-Secret": secret} if key and secret else {}


def chat_body(model: str, text: str) -> dict[str, Any]:
    return {
        "model": model,
        "messages": [{"role": "user", "content": text}],
        "max_tokens": MAX_TOKENS,
        "stream": True,
        "stream_options": {"include_usage": True},  # the last event counts the tokens
    }


def project_target(project: Project, base_url: str) -> Target:
    """The project's endpoint: the stack's own kind of request, at the path its plan gives."""
    bench = project.plan.bench
    example = project.plan.stack["example"]
    url = base_url.rstrip("/") + bench["path"]
    if bench["stream"]:
        return Target(url, chat_body(SERVED_NAME, example), True, True, proxy_auth_headers())
    return Target(url, {"text": example}, False, bench["tokens"], proxy_auth_headers())


def openai_url(url: str) -> str:
    return url if url.rstrip("/").endswith(CHAT_PATH) else url.rstrip("/") + CHAT_PATH


def served_model(url: str, timeout: float = 10) -> str:
    """The first model an OpenAI-compatible server lists (GET /v1/models); --model names another."""
    import httpx

    models_url = openai_url(url).removesuffix("/chat/completions") + "/models"
    try:
        answer = httpx.get(models_url, headers=proxy_auth_headers(), timeout=timeout, follow_redirects=True)
        return answer.json()["data"][0]["id"]
    except (httpx.HTTPError, ValueError, KeyError, IndexError, TypeError):
        raise SpecError(
            "model", None, f"a model name: {models_url} did not list one (pass --model NAME)"
        ) from None


def openai_target(url: str, model: str | None, text: str) -> Target:
    body = chat_body(model or served_model(url), text)
    return Target(openai_url(url), body, True, True, proxy_auth_headers())


def request_target(url: str, path: Path) -> Target:
    """POST the JSON object in `path` to `url` as it is; a "tokens" count in the answer is read."""
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SpecError("request", str(path), "an existing JSON file") from None
    except (OSError, UnicodeDecodeError, ValueError):
        raise SpecError("request", str(path), "a readable file holding one JSON object") from None
    if not isinstance(body, dict):
        raise SpecError("request", str(path), "a file holding one JSON object (the request body)")
    return Target(url, body, False, True, proxy_auth_headers())
