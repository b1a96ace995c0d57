"""modalgen's own test suite: nothing it runs asks the network."""

import functools
import os

import pytest

# Model sizing asks the Hugging Face Hub for parameter counts when it can; tests never do (and the
# projects and CLI processes they start inherit this).
os.environ["MODALGEN_OFFLINE"] = "1"

# `control_plane`: a local Modal control plane the real `modal` client and CLI talk to (tests/controlplane).
from tests.controlplane.plugin import control_plane  # noqa: E402, F401

WIDE = {"module", "package", "session"}
# Tests of a minute or so each under load (measured with --durations): handed out first among the
# tests without a group, so that none of them starts last while the other worker idles.
LONG_FIRST = (
    "tests/test_generated_projects.py::",
    "tests/test_text_properties.py::",
    "tests/test_faults.py::test_add_interrupted_at_every_staged_file_changes_nothing",
    "tests/test_faults.py::test_real_signals_at_many_moments",
    "tests/test_template_contract.py::test_a_new_kind_is_one_record_and_two_templates",
)


def _shared_fixtures(item: pytest.Item) -> set[str]:
    """The module-, package- or session-scoped fixtures of the test's own module that it uses."""
    module = item.nodeid.split("::", 1)[0]
    info = getattr(item, "_fixtureinfo", None)
    names = set()
    for name, defs in info.name2fixturedefs.items() if info else ():
        if defs and defs[-1].scope in WIDE and defs[-1].baseid == module:
            names.add(name)
    return names


def _find(parent: dict[str, str], name: str) -> str:
    while parent.setdefault(name, name) != name:
        name = parent[name]
    return name


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Tests that share a costly fixture run on one xdist worker; every other test on whichever is free.

    With `--dist loadgroup` (pyproject), a test without an `xdist_group` mark is a unit of its own,
    so the long files (the growth and update cases, the fault points) spread over both workers.
    Tests of one module joined by a module- or session-scoped fixture of that module (a rendered
    matrix, the stacks' suite runs) form one group, so that fixture is made once, on one worker;
    tests joined by none stay free. xdist hands out the biggest groups first, then the other tests
    in collection order, which starts with the long ones (LONG_FIRST).
    """
    items.sort(key=lambda item: not item.nodeid.startswith(LONG_FIRST))
    by_module: dict[str, list[tuple[pytest.Item, set[str]]]] = {}
    for item in items:
        shared = _shared_fixtures(item)
        if shared:
            by_module.setdefault(item.nodeid.split("::", 1)[0], []).append((item, shared))
    for module, members in by_module.items():
        # Connected components over "uses the same fixture": union-find on fixture names.
        parent: dict[str, str] = {}
        find = functools.partial(_find, parent)
        for _, shared in members:
            first, *rest = sorted(shared)
            for other in rest:
                parent[find(other)] = find(first)
        names = {n for _, shared in members for n in shared}
        label = {root: min(n for n in names if find(n) == root) for root in {find(n) for n in names}}
        for item, shared in members:
            item.add_marker(pytest.mark.xdist_group(f"{module}::{label[find(next(iter(shared)))]}"))
