"""One pipeline you can see in the folder tree: small modules, short functions, imports one way.

The stages, from the bottom: catalog (the facts as records, sizing) -> answers (answers -> Spec,
where each function runs, the checks) -> plan (Spec -> Plan) -> render (files) -> grow (place,
merge, add/set/update) -> cli (the commands, the wizard). A module imports its own stage or one
below it; tools (what users run inside a project) may import anything below cli, and cli may
import tools. Lazy imports inside functions count: they run too. Imports under `if TYPE_CHECKING:`
do not (they never run); the package root (`modalgen/__init__.py`: the version every stage may
read, and the console entry that imports the CLI) and `__main__.py` stand outside the stages.
"""

from __future__ import annotations

import ast
from pathlib import Path

import modalgen

PACKAGE = Path(modalgen.__file__).parent
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60
STAGES = ("catalog", "answers", "plan", "render", "grow", "tools", "cli")
OUTSIDE = ("modalgen", "modalgen.__main__")


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


MODULES = _modules()


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _import_nodes(tree: ast.AST):
    """Every import that runs: module level and inside functions, not under TYPE_CHECKING."""
    stack = [tree]
    while stack:
        node = stack.pop()
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                stack.extend(child.orelse)
                continue
            if isinstance(child, ast.Import | ast.ImportFrom):
                yield child
            stack.append(child)


def _resolve(module: str, path: Path, node: ast.Import | ast.ImportFrom) -> set[str]:
    """The modalgen modules an import statement loads."""
    if isinstance(node, ast.Import):
        return {a.name for a in node.names if a.name in MODULES}
    base = node.module or ""
    if node.level:  # relative: from the importing module's package
        package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
        for _ in range(node.level - 1):
            package = package.rsplit(".", 1)[0]
        base = f"{package}.{base}" if base else package
    targets = set()
    for alias in node.names:
        if f"{base}.{alias.name}" in MODULES:
            targets.add(f"{base}.{alias.name}")
        elif base in MODULES:
            targets.add(base)
    return targets


def _graph() -> dict[str, set[str]]:
    graph = {}
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        edges = set()
        for node in _import_nodes(tree):
            edges |= _resolve(module, path, node)
        graph[module] = {e for e in edges if e != module and e not in OUTSIDE}
    return graph


def _stage(module: str) -> str:
    return module.split(".")[1]


def test_every_module_is_in_a_stage():
    assert {_stage(m) for m in MODULES if m not in OUTSIDE} == set(STAGES)


def test_no_module_is_over_400_lines():
    long = {
        str(path.relative_to(PACKAGE.parent)): n
        for path in MODULES.values()
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}, f"split these by purpose: {long}"


def test_no_function_is_over_60_lines():
    long = []
    for path in MODULES.values():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = node.end_lineno - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    long.append(
                        f"{path.relative_to(PACKAGE.parent)}:{node.lineno} {node.name} ({lines} lines)"
                    )
    assert long == [], "split these: " + "; ".join(long)


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle, as the modules it runs through, or None."""
    done: set[str] = set()
    for start in sorted(graph):
        path: list[str] = []
        on_path: set[str] = set()
        stack = [(start, iter(sorted(graph[start])))]
        if start in done:
            continue
        path.append(start)
        on_path.add(start)
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                path.pop()
                on_path.discard(node)
                done.add(node)
            elif child in on_path:
                return [*path[path.index(child) :], child]
            elif child not in done:
                stack.append((child, iter(sorted(graph[child]))))
                path.append(child)
                on_path.add(child)
    return None


def test_no_module_imports_one_that_imports_it_back():
    cycle = _cycle(_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def _may_import(importer: str, imported: str) -> bool:
    low, high = _stage(imported), _stage(importer)
    if high == "tools":
        return low != "cli"
    if low == "tools":
        return high in ("tools", "cli")
    return STAGES.index(low) <= STAGES.index(high)


def test_imports_run_one_way_in_stage_order():
    upward = sorted(
        f"{importer} -> {imported}"
        for importer, imported_set in _graph().items()
        if importer not in OUTSIDE
        for imported in imported_set
        if not _may_import(importer, imported)
    )
    assert upward == [], f"stages import only their own or those below ({' -> '.join(STAGES)}): {upward}"


def test_the_checks_find_what_they_look_for():
    """The checks see a cycle, an upward import and a lazy import when there is one."""
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None
    assert not _may_import("modalgen.catalog.x", "modalgen.plan.y")
    assert _may_import("modalgen.cli.x", "modalgen.tools.y") and not _may_import(
        "modalgen.grow.x", "modalgen.tools.y"
    )
    tree = ast.parse("def f():\n    from modalgen.plan import build\n")
    assert [n.module for n in _import_nodes(tree)] == ["modalgen.plan"]
    assert _resolve("modalgen.x", PACKAGE / "x.py", next(_import_nodes(tree))) == {"modalgen.plan.build"}
