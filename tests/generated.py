"""Checks of a generated project, shared by the matrix and the command-line tests.

`check_settings` imports the generated app with the real `modal` package and compares every
function's settings, as the client reports them, with the answers the project records.
"""

from __future__ import annotations

import ast
import importlib
import re
import sys
import tomllib
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import modal
import yaml

from modalgen import catalog
from modalgen.fields import package_name

JINJA_RESIDUE = re.compile(r"\{\{|\}\}|\{%|%\}|\{#|#\}")
GITHUB_EXPRESSION = re.compile(r"\$\{\{ [a-z_.A-Z]+ \}\}")

# Workload kind -> (module, the Modal object it defines, how to reach its function).
FUNCTIONS = {
    "batch": ("batch", "batch_job", None),
    "map": ("fanout", "process_item", None),
    "web": ("web", "api", None),
    "cron": ("cron", "scheduled_job", None),
    "service": ("service", "Service", "predict"),
    "batched": ("batched", "Embedder", "embed"),
    "spawn": ("jobs", "background_job", None),
}


def read_answers(project: Path) -> dict:
    return yaml.safe_load((project / ".modalgen-answers.yml").read_text())


def check_text(project: Path) -> None:
    """No Jinja residue, no doubled blank lines in code, every file ends with one newline."""
    answers = read_answers(project)
    description = answers["description"]
    # The user's own text may hold braces; it must appear as typed (or escaped as a string literal),
    # and is not residue. The answers file is data written by a YAML dumper, checked by loading it.
    typed = set()
    for text in [description, *answers["env"].values()]:
        escaped = text.replace("\\", "\\\\")
        typed |= {escaped.replace('"', '\\"'), escaped.replace("'", "\\'"), text}
    for path in project.rglob("*"):
        if not path.is_file() or ".git" in path.parts or ".venv" in path.parts:
            continue
        text = path.read_text()
        rel = path.relative_to(project)
        bare = text
        for form in sorted(typed, key=len, reverse=True):
            bare = bare.replace(form, "")
        if path.name != ".modalgen-answers.yml":
            assert not JINJA_RESIDUE.search(GITHUB_EXPRESSION.sub("", bare)), f"{rel}: Jinja residue"
        assert text.endswith("\n") and not text.endswith("\n\n"), f"{rel}: must end with one newline"
        if path.suffix in {".toml", ".yml", ".md", ".example"} or path.name == "Makefile":
            assert "\n\n\n" not in text, f"{rel}: doubled blank line"
        if path.suffix == ".yml":
            yaml.safe_load(text)
        if path.suffix == ".py":
            ast.parse(text)
    # Free text lands in files and must mean what was typed.
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    assert pyproject["project"]["description"] == description


@contextmanager
def recording_decorators() -> Iterator[dict[int, dict]]:
    """Record the keyword arguments every @app.function / @app.cls receives, by the object made.

    The client reports autoscaler and snapshot settings only after a deploy; this shows what the
    generated code passes to modal, at decoration time, with the real package.
    """
    calls: dict[int, dict] = {}
    originals = {"function": modal.App.function, "cls": modal.App.cls}

    def recorder(original):
        def decorator_factory(self, *args, **kwargs):
            decorator = original(self, *args, **kwargs)

            def decorate(target):
                made = decorator(target)
                calls[id(made)] = kwargs
                return made

            return decorate

        return decorator_factory

    for name, original in originals.items():
        setattr(modal.App, name, recorder(original))
    try:
        yield calls
    finally:
        for name, original in originals.items():
            setattr(modal.App, name, original)


def import_app(project: Path, package: str):
    """Import `<package>.app` from the project with warnings as errors, and return the module."""
    sys.path.insert(0, str(project))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            return importlib.import_module(f"{package}.app")
    finally:
        sys.path.remove(str(project))


def expected_for(answers: dict, kind: str) -> dict:
    """What modalgen's rules (catalog.py) say a function of `kind` must have, from the answers."""
    knobs = catalog.WORKLOAD_BY_KIND[kind].knobs if kind in catalog.WORKLOAD_BY_KIND else frozenset()
    core = kind not in catalog.WORKLOAD_BY_KIND
    kwargs = {}
    if answers["min_containers"] and catalog.WARM in knobs:
        kwargs["min_containers"] = answers["min_containers"]
    if answers["max_containers"] and not core:
        kwargs["max_containers"] = answers["max_containers"]
    if answers["buffer_containers"] is not None and catalog.WARM in knobs:
        kwargs["buffer_containers"] = answers["buffer_containers"]
    if answers["scaledown_window"] and catalog.WARM in knobs:
        kwargs["scaledown_window"] = answers["scaledown_window"]
    if answers["snapshot"] and not core:
        kwargs["enable_memory_snapshot"] = True
    volumes = {v["mount"]: v["name"] for v in answers["volumes"]}
    if answers["hf_model"]:
        volumes[catalog.HF_CACHE_MOUNT] = catalog.HF_CACHE_VOLUME
    return {
        "kwargs": kwargs,
        "gpus": [(g.partition(":")[0], int(g.partition(":")[2] or 1)) for g in answers["gpu"]],
        "volumes": volumes,
        "secrets": [f"modal.Secret.from_name({name!r})" for name in answers["secrets"]],
        "timeout": answers["timeout"],
        "max_retries": (answers["retries"] or None) if catalog.RETRIES in knobs else None,
        "single_use": bool(answers["single_use_containers"] and catalog.SINGLE_USE in knobs),
        "max_inputs": answers["max_inputs"] if catalog.CONCURRENT in knobs else None,
    }


def _image_call_args(common_source: str, method: str) -> list:
    """The literal arguments of `.method(...)` in the image chain of common.py."""
    for node in ast.walk(ast.parse(common_source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == method:
            return [ast.literal_eval(arg) for arg in node.args]
    return []


def check_settings(project: Path) -> int:
    """Every function's settings against the answers; returns how many functions were checked."""
    answers = read_answers(project)
    package = package_name(answers["project_name"])
    with recording_decorators() as calls:
        app_module = import_app(project, package)
    assert app_module.app.name == answers["project_name"]

    common = importlib.import_module(f"{package}.common")
    targets = [(common.run_core, common.run_core, "core")]
    if answers["hf_model"]:
        weights = importlib.import_module(f"{package}.weights")
        targets.append((weights.download_weights, weights.download_weights, "core"))
    for kind in answers["workloads"]:
        module_name, attr, method = FUNCTIONS[kind]
        made = getattr(importlib.import_module(f"{package}.{module_name}"), attr)
        targets.append((made, getattr(made(), method) if method else made, kind))
    for kind in set(FUNCTIONS) - set(answers["workloads"]):
        assert not (project / package / f"{FUNCTIONS[kind][0]}.py").exists(), f"{kind} rendered unasked"

    for made, fn, kind in targets:
        want = expected_for(answers, kind)
        kwargs = calls[id(made)]
        for key in ("min_containers", "max_containers", "buffer_containers", "scaledown_window",
                    "enable_memory_snapshot"):  # fmt: skip
            assert kwargs.get(key) == want["kwargs"].get(key), (kind, key, kwargs.get(key))
        info = fn.info()
        assert info.gpus == want["gpus"], (kind, info.gpus)
        assert {m: v.name for m, v in info.volumes.items()} == want["volumes"], (kind, info.volumes)
        assert info.secrets == want["secrets"], (kind, info.secrets)
        assert info.timeout == want["timeout"], (kind, info.timeout)
        assert info.max_retries == want["max_retries"], (kind, info.max_retries)
        assert info.single_use_containers == want["single_use"], kind
        got_inputs = info.concurrency_info.max_inputs if info.concurrency_info else None
        assert got_inputs == want["max_inputs"], (kind, got_inputs)
        if kind == "cron":
            if answers.get("period"):
                unit = {"m": "minutes", "h": "hours", "d": "days"}[answers["period"][-1]]
                assert info.schedule == f"Period({unit}={int(answers['period'][:-1])})"
            else:
                assert info.schedule == f"Cron('{answers['cron']}', {answers['timezone']})"
        else:
            assert info.schedule is None, kind
        if kind == "web":
            assert info.web_info is not None and info.web_info.unauthenticated is answers["public"]
            assert info.web_info.method == ("POST" if answers["web_style"] == "fastapi" else None)
        else:
            assert info.web_info is None, kind
        if kind == "batched":
            assert (info.batching_info.max_batch_size, info.batching_info.wait_ms) == (
                answers["batch_size"],
                answers["batch_wait_ms"],
            )
        else:
            assert info.batching_info is None, kind

    source = (project / package / "common.py").read_text()
    env = {"HF_XET_HIGH_PERFORMANCE": "1"} if answers["hf_model"] else {}
    env.update(answers["env"])
    assert (_image_call_args(source, "env") or [{}])[0] == env
    pip_args = _image_call_args(source, "uv_pip_install")
    assert pip_args[len(pip_args) - len(answers["pip"]) :] == answers["pip"]  # after modalgen's own pins
    assert _image_call_args(source, "apt_install") == answers["apt"]
    assert ("uv_sync()" in source) is answers["uv_sync"]
    assert ("from_registry(" in source) is (answers["base"] == "cuda")
    return len(targets)
