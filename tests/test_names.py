"""modalgen.grow.names: what a merge broke in a Python file, and nothing the user's version had already."""

from __future__ import annotations

from modalgen.grow.names import broken_by_merge, undefined_names


def test_undefined_names_are_found_with_their_line():
    assert undefined_names("import os\n\n\ndef f():\n    return core.x, os.sep\n") == [("core", 5)]
    assert undefined_names("def f(:\n") is None


def test_only_what_the_merge_broke_is_reported():
    ours = "from . import core\n\n\ndef f():\n    return core.x + mine\n"
    merged = "\n\ndef f():\n    return core.x + mine\n"
    assert broken_by_merge(ours, merged) == [
        "line 4: undefined name 'core' (your version defines it; the merged file no longer does)"
    ]
    assert broken_by_merge(ours, ours) == []  # `mine` was undefined before: the user's own


def test_a_merge_that_leaves_invalid_syntax_is_reported_and_a_broken_original_is_not():
    assert broken_by_merge("x = (1)\n", "x = (1\n")[0].startswith("line 1: invalid syntax after the merge")
    assert broken_by_merge("x = (\n", "x = (1\n") == []
