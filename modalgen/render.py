"""Spec -> answers -> copier, into a folder nobody else sees yet.

copier is imported here, lazily, so that `modalgen --help` and input errors never pay for it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
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


@contextmanager
def _no_git_index_sync() -> Iterator[None]:
    """Skip copier's per-file `git config` probe while rendering into a fresh staging folder.

    copier runs `git config core.fileMode` once per rendered file, to mirror executable bits into
    the destination's git index. No index tracks a brand-new staging folder, so the probe is always
    a no-op there, yet its 15-odd subprocesses cost about a fifth of a render. Restored afterwards;
    a copier without the hook (another major version) is left alone.
    """
    import copier._main as copier_main

    original = getattr(copier_main, "is_git_available", None)
    if original is None:
        yield
        return
    copier_main.is_git_available = lambda: False
    try:
        yield
    finally:
        copier_main.is_git_available = original


def render(spec: Spec, destination: Path) -> Path:
    """Render the project for `spec` into `destination` (which must not exist yet)."""
    import copier

    # An empty settings file: the user's own copier defaults must not change what modalgen writes.
    os.environ.setdefault("COPIER_SETTINGS_PATH", os.devnull)
    with _no_git_index_sync():
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
