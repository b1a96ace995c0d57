"""Sizing is part of the catalogue stage now (modalgen/catalog/sizing.py): this name is that module,
so `from modalgen.plan import sizing` still reads and patches the one module. Import the new path."""

import sys

from modalgen.catalog import sizing

sys.modules[__name__] = sizing
