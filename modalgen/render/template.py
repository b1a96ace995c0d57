"""Answers -> files: the bundled template (or an earlier release's), rendered by `engine`.

The stages before this one hand over what they computed: the Spec (answers, checked) and its Plan.
What a project records is `answers_for` (its answers and the modalgen version); the templates
print `plan_data`, which is passed to them as data (copier computes the same itself, through
`copier_ext`). Nothing here imports copier.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from modalgen import __version__, catalog

if TYPE_CHECKING:
    from modalgen.answers.spec import Spec
    from modalgen.plan.build import Plan
    from modalgen.render.engine import Template

SRC_PATH = "modalgen:project"  # what the answers file records as copier's `_src_path`


def template_dir() -> Path:
    """The bundled template: inside the wheel (`modalgen/templates`), or the checkout's `templates/`."""
    here = Path(__file__).resolve().parents[1]  # modalgen/
    for candidate in (here / "templates", here.parent / "templates"):
        if (candidate / catalog.TEMPLATE_NAME / "copier.yml").is_file():
            return candidate / catalog.TEMPLATE_NAME
    raise FileNotFoundError("modalgen's project template is missing from this installation")


def release_template(version: str) -> Path | None:
    """The template as modalgen `version` shipped it: the current one, or a bundled earlier release.

    Every released template ships in the wheel under `templates/releases/<version>/` (they are
    small), so that `modalgen add` and `modalgen update` can render a project exactly as it was
    made, the base of their 3-way merge.
    """
    if version == __version__:
        return template_dir()
    candidate = template_dir().parent / "releases" / version / catalog.TEMPLATE_NAME
    return candidate if (candidate / "copier.yml").is_file() else None


def _plan_of(spec: Spec) -> Plan:
    from modalgen.plan.build import make_plan

    return make_plan(spec)


def answers_for(spec: Spec, plan: Plan | None = None, version: str = __version__) -> dict[str, Any]:
    """What a project records: its answers (those that apply to its plan) and this modalgen's version."""
    plan = _plan_of(spec) if plan is None else plan
    return {**spec.to_answers(set(plan.applies)), "modalgen_version": version}


def plan_data(spec: Spec, plan: Plan) -> dict[str, Any]:
    """The plan as the templates read it: plain data, and which answers the project records."""
    return {**plan.to_data(), "answered": list(spec.to_answers(set(plan.applies)))}


_LOADED: dict[Path, Template] = {}


def load(template: Path) -> Template:
    """A template folder, read once per process."""
    from modalgen.render.engine import Template

    key = Path(template)
    if key not in _LOADED:
        _LOADED[key] = Template(key)
    return _LOADED[key]


def render(spec: Spec, destination: Path, plan: Plan | None = None) -> Path:
    """Render the project for `spec` and its `plan` into `destination` (which must not exist yet)."""
    plan = _plan_of(spec) if plan is None else plan
    data = {**answers_for(spec, plan), "plan": plan_data(spec, plan)}
    return render_data(data, destination, template_dir())


def render_data(data: dict[str, Any], destination: Path, template: Path) -> Path:
    """Render `template` with recorded answers as they are, e.g. a project as an earlier release made it.

    Releases up to 0.3.0 recorded their plan in the answers file: with their template, the recorded
    data is exactly what the project was rendered with (copier's `_src_path` aside).
    """
    from modalgen.render import engine

    data = {key: value for key, value in data.items() if not key.startswith("_")}
    return engine.render(load(template), data, destination)
