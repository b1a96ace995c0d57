"""Spec -> answers -> copier, into a folder nobody else sees yet.

copier is imported here, lazily, so that `modalgen --help` and input errors never pay for it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from modalgen import __version__, catalog
from modalgen.spec import Spec


def template_dir() -> Path:
    """The bundled template: inside the wheel (`modalgen/templates`), or the checkout's `templates/`."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "templates", here.parent / "templates"):
        if (candidate / catalog.TEMPLATE_NAME / "copier.yml").is_file():
            return candidate / catalog.TEMPLATE_NAME
    raise FileNotFoundError("modalgen's project template is missing from this installation")


def answers_for(spec: Spec) -> dict[str, Any]:
    return {**spec.to_answers(), "modalgen_version": __version__}


def render(spec: Spec, destination: Path) -> Path:
    """Render the project for `spec` into `destination` (which must not exist yet)."""
    import copier

    # An empty settings file: the user's own copier defaults must not change what modalgen writes.
    os.environ.setdefault("COPIER_SETTINGS_PATH", os.devnull)
    copier.run_copy(
        str(template_dir()),
        str(destination),
        data=answers_for(spec),
        defaults=True,
        overwrite=False,
        quiet=True,
        unsafe=False,
        skip_tasks=True,
        settings=copier.Settings(),
    )
    return destination
