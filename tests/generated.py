"""Checks of a generated project against its plan, shared by the matrix and the command-line tests.

This is where "the rendered code equals what was answered" is proven: in modalgen's own CI, not in
the user's project (whose tests check that the code is valid on Modal, whatever the user tunes).
`check_settings` imports the generated app with the real `modal` package and compares every
function's settings, as the client reports them and as the decorators receive them, with the plan
recorded in the project's answers file.
"""

from __future__ import annotations

import ast
import atexit
import importlib
import json
import pkgutil
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import modal
import yaml

from modalgen import catalog

JINJA_RESIDUE = re.compile(r"\{\{|\}\}|\{%|%\}|\{#|#\}")
GITHUB_EXPRESSION = re.compile(r"\$\{\{ [^{}]+ \}\}")


_RENDERED: dict[tuple[str, str], Path] = {}
_RENDERED_ROOT: list[Path] = []  # this process's folder of renders, removed when it exits


def rendered(raw: dict, destination: Path) -> Path:
    """`render(parse_spec(raw), destination)`, each distinct (answers, folder name) rendered once per
    test process and copied from then on: the same bytes and modes, without rendering them again.

    The growth tests start many cases from the same few projects (and an edited copy of each):
    what they test is `add`, `set` and `update` on a project as `new` makes it, which a copy is.
    """
    from modalgen.answers.spec import parse_spec
    from modalgen.render.template import render

    key = (destination.name, json.dumps(raw, sort_keys=True, default=repr))
    if not _RENDERED_ROOT:
        _RENDERED_ROOT.append(Path(tempfile.mkdtemp(prefix="modalgen-rendered-")))
        atexit.register(shutil.rmtree, _RENDERED_ROOT[0], ignore_errors=True)
    if key not in _RENDERED:
        made = _RENDERED_ROOT[0] / str(len(_RENDERED)) / destination.name
        made.parent.mkdir()
        render(parse_spec(raw), made)
        _RENDERED[key] = made
    destination.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(_RENDERED[key], destination, symlinks=True)
    return destination


def read_answers(project: Path) -> dict:
    return yaml.safe_load((project / catalog.ANSWERS_FILE).read_text())


def read_plan(project: Path) -> dict:
    """The plan the project was rendered from: recorded up to 0.3.0, computed from the answers since."""
    answers = read_answers(project)
    if "plan" in answers:
        return answers["plan"]
    return plan_of(answers)


def plan_of(answers: dict) -> dict:
    from modalgen.answers.spec import BOOKKEEPING, migrate, parse_spec
    from modalgen.plan.build import make_plan
    from modalgen.render.template import plan_data

    spec = parse_spec(migrate({k: v for k, v in answers.items() if k not in BOOKKEEPING}))
    return plan_data(spec, make_plan(spec))


def check_text(project: Path) -> None:
    """No Jinja residue, no doubled blank lines, every file ends with one newline, files parse."""
    plan = read_plan(project)
    description = plan["description"]
    # The user's own text may hold braces; it must appear as typed (or escaped as a string literal),
    # and is not residue. The answers file is data written by a YAML dumper, checked by loading it.
    typed = set()
    for text in [description, *plan["image"]["env"].values()]:
        escaped = text.replace("\\", "\\\\")
        typed |= {escaped.replace('"', '\\"'), escaped.replace("'", "\\'"), text}
    for path in project.rglob("*"):
        if not path.is_file() or ".git" in path.parts or ".venv" in path.parts or "__pycache__" in path.parts:
            continue
        text = path.read_text()
        rel = path.relative_to(project)
        bare = text
        for form in sorted(typed, key=len, reverse=True):
            bare = bare.replace(form, "")
        if path.name != catalog.ANSWERS_FILE:
            assert not JINJA_RESIDUE.search(GITHUB_EXPRESSION.sub("", bare)), f"{rel}: Jinja residue"
        assert text.endswith("\n") and not text.endswith("\n\n"), f"{rel}: must end with one newline"
        assert "\n\n\n" not in text or path.suffix == ".py", f"{rel}: doubled blank line"
        if path.suffix == ".yml":
            yaml.safe_load(text)
        if path.suffix == ".py":
            ast.parse(text)
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    assert pyproject["project"]["description"] == description
    makefile = (project / "Makefile").read_text()
    for target in plan["make"]:
        assert f"\n{target['name']}:  ## " in makefile, target["name"]
    if not any(fn["gpu"] for fn in plan["functions"]):  # a CPU-only project never mentions a GPU
        for rel in ("README.md", "Makefile", f"{plan['package']}/common.py", "AGENTS.md"):
            assert "GPU" not in (project / rel).read_text(), rel


@contextmanager
def recording_decorators() -> Iterator[dict[int, dict]]:
    """Record the keyword arguments every @app.function / @app.cls / @app.server receives.

    The client reports autoscaler and snapshot settings only after a deploy; this shows what the
    generated code passes to modal, at decoration time, with the real package.
    """
    calls: dict[int, dict] = {}
    originals = {"function": modal.App.function, "cls": modal.App.cls, "server": modal.App.server}

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
    """Import `<package>.app` from the project with warnings as errors, and return the module.

    A package of the same name imported earlier (another project) is forgotten first.
    """
    for name in [m for m in sys.modules if m == package or m.startswith(package + ".")]:
        del sys.modules[name]
    sys.path.insert(0, str(project))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            return importlib.import_module(f"{package}.app")
    finally:
        sys.path.remove(str(project))


def modal_objects(package: str) -> dict[str, object]:
    """Every function, class and Server the package defines, by name."""
    pkg = importlib.import_module(package)
    found: dict[str, object] = {}
    for module_info in pkgutil.iter_modules(pkg.__path__):
        module = importlib.import_module(f"{package}.{module_info.name}")
        for attr, obj in vars(module).items():
            if isinstance(obj, modal.Function | modal.Cls | modal.Server):
                found.setdefault(attr, obj)
    return found


def _info(obj):
    if isinstance(obj, modal.Cls):
        return getattr(obj(), next(iter(obj._get_method_names()))).info()
    return obj.info()


def _gpus(specs: list[str]) -> list[tuple[str, int]]:
    return [(s.partition(":")[0], int(s.partition(":")[2] or 1)) for s in specs]


def _image_call_args(common_source: str, method: str, image: str = "image") -> list:
    """The literal arguments of `.method(...)` in the chain that defines `image` in common.py."""
    for node in ast.parse(common_source).body:
        if isinstance(node, ast.Assign) and [t.id for t in node.targets if isinstance(t, ast.Name)] == [
            image
        ]:
            for call in ast.walk(node.value):
                if (
                    isinstance(call, ast.Call)
                    and isinstance(call.func, ast.Attribute)
                    and call.func.attr == method
                ):
                    return [ast.literal_eval(arg) for arg in call.args]
    return []


def check_function(fn: dict, obj, kwargs: dict, plan: dict) -> None:
    """One function's settings, as the client reports them and the decorator received them."""
    name = fn["name"]
    info = _info(obj)
    assert info.gpus == _gpus(fn["gpu"]), (name, info.gpus, fn["gpu"])
    volumes = {v["mount"]: v["name"] for v in plan["volumes"]} if fn["volumes"] else {}
    if fn["model_cache"]:
        volumes[catalog.HF_CACHE_MOUNT] = catalog.HF_CACHE_VOLUME
        volumes.update({c["mount"]: c["name"] for c in plan["caches"]})  # the stack's own caches
    assert {m: v.name for m, v in info.volumes.items()} == volumes, (name, info.volumes)
    secrets = [f"modal.Secret.from_name({s['name']!r})" for s in plan["secrets"]] if fn["secrets"] else []
    assert info.secrets == secrets, (name, info.secrets)
    assert info.cpu == fn["cpu"] and info.memory_mib == fn["memory"], (name, info.cpu, info.memory_mib)
    for key in ("min_containers", "max_containers", "buffer_containers", "scaledown_window"):
        assert kwargs.get(key) == fn[key], (name, key, kwargs.get(key))
    assert kwargs.get("enable_memory_snapshot", False) == fn["snapshot"], name
    gpu_snapshot = (kwargs.get("experimental_options") or {}).get("enable_gpu_snapshot", False)
    assert gpu_snapshot == fn["gpu_snapshot"], name
    if fn["decorator"] == "server":
        server = fn["server"]
        assert (info.port, info.startup_timeout, info.unauthenticated) == (
            server["port"], server["startup_timeout"], server["public"],
        ), name  # fmt: skip
        assert kwargs.get("target_concurrency") == server["target_concurrency"], name
        return
    assert info.timeout == fn["timeout"], (name, info.timeout)
    assert info.max_retries == fn["retries"], (name, info.max_retries)
    assert info.single_use_containers == fn["single_use"], name
    got_inputs = info.concurrency_info.max_inputs if info.concurrency_info else None
    assert got_inputs == fn["max_inputs"], (name, got_inputs)
    schedule = fn["schedule"]
    if schedule is None:
        assert info.schedule is None, name
    elif "period" in schedule:
        assert info.schedule == f"Period({schedule['unit']}={schedule['amount']})", (name, info.schedule)
    else:
        assert info.schedule == f"Cron('{schedule['cron']}', {schedule['timezone']})", (name, info.schedule)
    # A function reports its web settings; a class, for the method that serves the endpoint.
    web_info = info.web_info or (info.method_details or {}).get(fn["method"])
    if fn["web"]:
        assert web_info is not None and web_info.unauthenticated is fn["web"]["public"], name
        assert web_info.method == ("POST" if fn["web"]["style"] == "fastapi" else None), name
    else:
        assert web_info is None, name
    if fn["batching"]:
        got = (info.batching_info.max_batch_size, info.batching_info.wait_ms)
        assert got == (fn["batching"]["size"], fn["batching"]["wait_ms"]), (name, got)
    else:
        assert info.batching_info is None, name


def check_settings(project: Path) -> int:
    """Every function's settings against the plan; returns how many functions were checked."""
    plan = read_plan(project)
    package = plan["package"]
    with recording_decorators() as calls:
        app_module = import_app(project, package)
    assert app_module.app.name == plan["name"]
    sys.path.insert(0, str(project))
    try:
        objects = modal_objects(package)
    finally:
        sys.path.remove(str(project))
    assert set(objects) == {fn["name"] for fn in plan["functions"]}, (sorted(objects), plan["functions"])
    common = sys.modules[f"{package}.common"]
    for fn in plan["functions"]:
        obj = objects[fn["name"]]
        check_function(fn, obj, calls[id(obj)], plan)
        assert calls[id(obj)]["image"] is getattr(common, fn["image"]), (fn["name"], fn["image"])

    source = (project / package / "common.py").read_text()
    image = plan["image"]
    assert (_image_call_args(source, "env") or [{}])[0] == image["env"]
    assert _image_call_args(source, "uv_pip_install") == image["packages"]
    assert _image_call_args(source, "apt_install") == image["apt"]
    front = image["front"]
    assert ("front_image = (" in source) is bool(front)
    if front:  # the fronts' own image: their web framework, nothing of the model's
        assert _image_call_args(source, "uv_pip_install", "front_image") == front["packages"]
        for fn in plan["functions"]:
            assert (fn["image"] == "front_image") is (fn["name"] in front["for"]), fn["name"]
    assert (".uv_sync(" in source) is image["uv_sync"]
    assert ("from_registry(" in source) is (image["base"] == "cuda")
    return len(plan["functions"])


def assert_true_to_its_plan(project: Path) -> None:
    """No template residue, its settings on Modal as planned, and ruff clean (check and format)."""
    check_text(project)
    assert check_settings(project) == len(read_plan(project)["functions"])
    for args in (["check"], ["format", "--check"]):
        result = subprocess.run([sys.executable, "-m", "ruff", *args, "--no-cache", "."], cwd=project,
                                capture_output=True, text=True)  # fmt: skip
        assert result.returncode == 0, result.stdout[-3000:]
