"""Did a merge break a Python file? Names the user's lines use that the merged file no longer defines.

A 3-way merge can apply cleanly and still break code: the new render drops an import (`core`, once
the web front hands its work to a Service) that a route the user added goes on using. The file
merges without a marker and then fails at run time. pyflakes finds such names (ruff's F821) in
process, from the text alone: no binary to find, no subprocess, no project environment needed.
"""

from __future__ import annotations

import ast


def undefined_names(text: str) -> list[tuple[str, int]] | None:
    """(name, line) of each use of a name the module never defines; None when it does not parse."""
    from pyflakes import checker, messages

    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return None
    found = checker.Checker(tree).messages
    return sorted({(m.message_args[0], m.lineno) for m in found if isinstance(m, messages.UndefinedName)})


def broken_by_merge(ours: str, merged: str) -> list[str]:
    """What the merge broke in a Python file, one line each; nothing for what the user's own version
    already had (an undefined name of theirs is theirs, as is a file that did not parse before)."""
    before = undefined_names(ours)
    if before is None:
        return []
    after = undefined_names(merged)
    if after is None:
        try:
            ast.parse(merged)
        except SyntaxError as exc:
            return [f"line {exc.lineno}: invalid syntax after the merge ({exc.msg})"]
        return ["invalid Python after the merge"]
    already = {name for name, _ in before}
    return [
        f"line {line}: undefined name {name!r} (your version defines it; the merged file no longer does)"
        for name, line in after
        if name not in already
    ]
