"""A local Modal control plane (placeholder docstring)."""

from .plane import ControlPlane

__all__ = ["ControlPlane"]
