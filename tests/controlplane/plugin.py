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
    # A handler that crashed answered the client with an internal error: a bug here, not Modal's.
    assert not plane.server.errors, "\n".join(plane.server.errors)
