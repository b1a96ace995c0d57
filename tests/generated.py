"""Checks of a generated project, shared by the matrix and the command-line tests.

`check_settings` imports the generated app with the real `modal` package and compares every
function's settings, as the client reports them, with the answers the project records.
"""

from __future__ import annotations

import importlib
import re
import sys
import warnings
from pathlib import Path

import yaml

from modalgen.spec import package_name

JINJA_RESIDUE = re.compile(r"\{\{|\}\}|\{%|%\}|\{#|#\}")

# Workload kind -> (module, the Modal functions it defines, their timeouts in seconds).
FUNCTIONS = {
    "batch": ("batch", {"batch_job": 30 * 60}),
    "map": ("fanout", {"process_item": 10 * 60}),
    "web": ("web", {"api": 5 * 60}),
    "cron": ("cron", {"scheduled_job": 30 * 60}),
}


def read_answers(project: Path) -> dict:
    return yaml.safe_load((project / ".modalgen-answers.yml").read_text())


def check_text(project: Path) -> None:
    """No Jinja residue, no doubled blank lines in code, every file ends with one newline."""
    description = read_answers(project)["description"]
    # The user's own text may hold braces; it must appear as typed, and is not residue.
    typed = (description, description.replace("\\", "\\\\").replace('"', '\\"'))
    for path in project.rglob("*"):
        if not path.is_file() or ".git" in path.parts or ".venv" in path.parts:
            continue
        text = path.read_text()
        rel = path.relative_to(project)
        assert not JINJA_RESIDUE.search(text.replace(typed[1], "").replace(typed[0], "")), (
            f"{rel}: Jinja residue"
        )
        assert text.endswith("\n") and not text.endswith("\n\n"), f"{rel}: must end with one newline"
        if path.suffix in {".toml", ".yml", ".md"} or path.name == "Makefile":
            assert "\n\n\n" not in text, f"{rel}: doubled blank line"


def import_app(project: Path, package: str):
    """Import `<package>.app` from the project with warnings as errors, and return the module."""
    sys.path.insert(0, str(project))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            return importlib.import_module(f"{package}.app")
    finally:
        sys.path.remove(str(project))


def check_settings(project: Path) -> int:
    """Every function's settings against the answers; returns how many functions were checked."""
    answers = read_answers(project)
    package = package_name(answers["project_name"])
    app_module = import_app(project, package)
    assert app_module.app.name == answers["project_name"]
    gpus = [(g.partition(":")[0], int(g.partition(":")[2] or 1)) for g in answers["gpu"]]
    volumes = {v["mount"]: v["name"] for v in answers["volumes"]}

    common = importlib.import_module(f"{package}.common")
    functions = [(common.run_core, 5 * 60, None)]
    for kind in answers["workloads"]:
        module_name, timeouts = FUNCTIONS[kind]
        module = importlib.import_module(f"{package}.{module_name}")
        for fn_name, timeout in timeouts.items():
            functions.append((getattr(module, fn_name), timeout, kind))
    for kind in set(FUNCTIONS) - set(answers["workloads"]):
        assert not (project / package / f"{FUNCTIONS[kind][0]}.py").exists(), f"{kind} rendered unasked"

    for fn, timeout, kind in functions:
        info = fn.info()
        assert info.gpus == gpus, (fn, info.gpus, gpus)
        assert {m: v.name for m, v in info.volumes.items()} == volumes, (fn, info.volumes)
        assert info.timeout == timeout, (fn, info.timeout)
        if kind == "cron":
            assert info.schedule == f"Cron('{answers['cron']}', {answers['timezone']})"
        else:
            assert info.schedule is None
        if kind == "web":
            assert info.web_info is not None and info.web_info.unauthenticated is False
        else:
            assert info.web_info is None
    return len(functions)
