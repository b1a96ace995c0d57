"""Spec -> answers -> copier, into a folder nobody else sees yet.

copier is imported here, lazily, so that `modalgen --help` and input errors never pay for it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from modalgen import __version__, catalog
from modalgen.answers.spec import Spec


def template_dir() -> Path:
    """The bundled template: inside the wheel (`modalgen/templates`), or the checkout's `templates/`."""
    here = Path(__file__).resolve().parents[1]  # modalgen/
    for candidate in (here / "templates", here.parent / "templates"):
        if (candidate / catalog.TEMPLATE_NAME / "copier.yml").is_file():
            return candidate / catalog.TEMPLATE_NAME
    raise FileNotFoundError("modalgen's project template is missing from this installation")


def answers_for(spec: Spec, version: str = __version__) -> dict[str, Any]:
    """What a project records: its answers, this modalgen's version and the plan they make."""
    from modalgen.plan.build import make_plan

    plan = make_plan(spec)
    answers = spec.to_answers(set(plan.applies))
    return {**answers, "modalgen_version": version, "plan": {**plan.to_data(), "answered": list(answers)}}


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


@contextmanager
def _no_git_probes() -> Iterator[None]:
    """Spare copier's git subprocesses, which can only find "no git" for modalgen's renders.

    copier asks git whether the template is a repository or a bundle (three subprocesses: the
    bundled template is a plain folder, so the answer is always no), and runs `git config
    core.fileMode` once per rendered file to mirror executable bits into the destination's git
    index (the staging folder is new, so no index tracks it). Together they cost about a quarter
    of a render. copier then does exactly what it does for a plain folder when git is missing.
    Restored afterwards; a copier without these hooks (another major version) is left alone.
    """
    import copier._main as copier_main
    import copier._template as copier_template

    patched = [m for m in (copier_main, copier_template) if hasattr(m, "is_git_available")]
    originals = [m.is_git_available for m in patched]
    for module in patched:
        module.is_git_available = lambda: False
    try:
        yield
    finally:
        for module, original in zip(patched, originals, strict=True):
            module.is_git_available = original


def render(spec: Spec, destination: Path) -> Path:
    """Render the project for `spec` into `destination` (which must not exist yet)."""
    return render_data(answers_for(spec), destination, template_dir())


def render_data(data: dict[str, Any], destination: Path, template: Path) -> Path:
    """Render `template` with recorded answers as they are, e.g. a project as an earlier release made it.

    The answers a project records are exactly the data it was rendered with (plus copier's
    `_src_path`), so this reproduces the project as it was made: the base of a 3-way merge.
    """
    import copier

    data = {key: value for key, value in data.items() if not key.startswith("_")}
    with _no_git_probes():
        copier.run_copy(
            str(template),
            str(destination),
            data=data,
            defaults=True,
            overwrite=False,
            quiet=True,
            unsafe=False,
            skip_tasks=True,
            # Empty settings: the user's own copier defaults must not change what modalgen writes.
            settings=copier.Settings(),
        )
    return destination
