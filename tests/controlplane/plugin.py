"""The `control_plane` fixture: a fresh control plane per test, stopped after it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .plane import ControlPlane


@pytest.fixture
def control_plane() -> Iterator[ControlPlane]:
    plane = ControlPlane().start()
    try:
        yield plane
    finally:
        plane.stop()
