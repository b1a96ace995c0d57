"""copier and modalgen render the same bytes: every structure of the matrix, and every release's base.

modalgen renders the template with jinja2 directly (modalgen/render/engine.py); `copier copy --trust
--defaults --data-file .modalgen-answers.yml` stays a supported way to render it, computing the plan
through modalgen's extension. copier runs in this process (one import, no subprocess per project),
without its git probes, which only ever find that the bundled template is no repository, and with
jinja2's compiled code kept between its runs (the same source compiled by the same kind of
environment gives the same code; copier would compile it again for every project).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest

from modalgen import catalog
from modalgen.answers.spec import parse_spec
from modalgen.plan.build import make_plan
from modalgen.render.template import answers_for, release_template, render, render_data, template_dir
from tests.combinations import STRUCTURES, build
from tests.releases import RELEASES, recorded_cases, v010_answers

PROJECTS, _ = build()
STRUCTURED = PROJECTS[: len(STRUCTURES)]  # one project per structure, each with its options


@contextmanager
def _no_git_probes() -> Iterator[None]:
    import copier._main as copier_main
    import copier._template as copier_template

    patched = [m for m in (copier_main, copier_template) if hasattr(m, "is_git_available")]
    originals = [m.is_git_available for m in patched]
    for module in patched:
        module.is_git_available = lambda: False
    try:
        yield
    finally:
        for module, original in zip(patched, originals, strict=True):
            module.is_git_available = original


_COMPILED: dict = {}


@contextmanager
def _compiled_once() -> Iterator[None]:
    import jinja2

    original = jinja2.Environment.compile

    def compile(env, source, name=None, filename=None, raw=False, defer_init=False):
        options = ("trim_blocks", "lstrip_blocks", "keep_trailing_newline", "block_start_string")
        config = (type(env), tuple(sorted(env.extensions)), *(getattr(env, o) for o in options))
        key = (str(source), name, filename, raw, defer_init, config)
        if key not in _COMPILED:
            _COMPILED[key] = original(env, source, name, filename, raw, defer_init)
        return _COMPILED[key]

    jinja2.Environment.compile = compile
    try:
        yield
    finally:
        jinja2.Environment.compile = original


def copier_copy(template: Path, data: dict, destination: Path, *, trust: bool) -> None:
    import copier

    with _no_git_probes(), _compiled_once():
        copier.run_copy(str(template), str(destination), data=data, defaults=True, overwrite=False,
                        quiet=True, unsafe=trust, skip_tasks=True, settings=copier.Settings())  # fmt: skip


def tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _both(job: tuple[dict, Path]) -> None:
    """One project rendered by modalgen (the plan it computed, passed on) and by copier (its answers file)."""
    raw, root = job
    spec = parse_spec(raw)
    plan = make_plan(spec)
    render(spec, root / "modalgen" / spec.name, plan)
    copier_copy(template_dir(), answers_for(spec, plan), root / "copier" / spec.name, trust=True)


@pytest.fixture(scope="session")
def rendered(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("identity")
    jobs = [(raw, root) for raw in (*STRUCTURED, *STACK_PROJECTS)]
    with ProcessPoolExecutor(max_workers=min(2, os.cpu_count() or 1)) as pool:
        list(pool.map(_both, jobs, chunksize=max(1, len(jobs) // 4)))
    return root


def test_copier_renders_every_structure_byte_for_byte_as_modalgen(rendered):
    differ = []
    for raw in STRUCTURED:
        ours, theirs = tree(rendered / "modalgen" / raw["name"]), tree(rendered / "copier" / raw["name"])
        if ours != theirs:
            files = sorted(set(ours) ^ set(theirs)) or [f for f in ours if ours[f] != theirs.get(f)]
            differ.append((raw["name"], files[:5]))
    assert not differ, differ
    assert {tuple(p["workload"]) for p in STRUCTURED} == {kinds for kinds, _ in STRUCTURES}


# Every stack with the workloads a new project of it gets, on a GPU: its fragments go through
# copier's Jinja too (the kinds' own templates are the matrix's, above).
STACK_PROJECTS = [
    {"name": f"stk-{s.name}", "stack": s.name, "gpu": ["L4"], "workload": list(catalog.default_kinds(s))}
    for s in catalog.STACKS
]


def test_copier_renders_every_stack_byte_for_byte_as_modalgen(rendered):
    for raw in STACK_PROJECTS:
        ours, theirs = tree(rendered / "modalgen" / raw["name"]), tree(rendered / "copier" / raw["name"])
        differ = sorted(f for f in {*ours, *theirs} if ours.get(f) != theirs.get(f))
        assert not differ, (raw["name"], differ)


def _release_cases() -> list[tuple[str, str, dict]]:
    cases = [("0.1.0", "default", v010_answers("legacy"))]
    cases.append(("0.1.0", "web-cron", v010_answers("legacy", workloads=["web", "cron"], secrets=["openai"])))
    for version in RELEASES[1:]:
        cases += [(version, case, data) for case, data in recorded_cases(version).items()]
    return cases


@pytest.mark.parametrize("version,case,data", _release_cases(), ids=lambda v: v if isinstance(v, str) else "")
def test_a_release_base_renders_as_copier_rendered_it(tmp_path, version, case, data):
    """The base of add/set/update: a project exactly as the release's template made it."""
    template = release_template(version)
    render_data(data, tmp_path / "modalgen" / "legacy", template)
    given = {k: v for k, v in data.items() if not k.startswith("_")}
    copier_copy(template, given, tmp_path / "copier" / "legacy", trust=False)
    assert tree(tmp_path / "modalgen" / "legacy") == tree(tmp_path / "copier" / "legacy")


def test_a_project_of_this_release_bases_on_its_answers_alone(tmp_path):
    """A 0.4.0 answers file has no plan: the base computes it from the answers, as copier does."""
    spec = parse_spec({"name": "again", "workload": ["web", "cron"], "volume": [{"name": "v"}]})
    made = render(spec, tmp_path / "made" / "again")
    recorded = answers_for(spec)
    assert "plan" not in recorded
    render_data(recorded, tmp_path / "base" / "again", template_dir())
    assert tree(made) == tree(tmp_path / "base" / "again")


def test_plain_exclusions_match_as_gitignore_patterns_do():
    """The renderer matches plain `_exclude` paths itself (pathspec loads only for wildcards)."""
    import pathspec

    from modalgen.render.engine import _pattern_matcher

    patterns = ["pkg/batch.py", "tests/test_batch.py", ".env.example", "", "/top.txt", "docs"]
    paths = ["pkg/batch.py", "pkg/batch.pyc", "x/pkg/batch.py", ".env.example", "sub/.env.example", "top.txt",
             "a/top.txt", "docs", "docs/index.md", "x/docs/a.md", "tests/test_batch.py", "tests"]  # fmt: skip
    ours = _pattern_matcher(patterns)
    theirs = pathspec.PathSpec.from_lines("gitignore", patterns).match_file
    for path in paths:
        assert ours(Path(path)) == theirs(path), path
