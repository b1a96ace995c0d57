"""What a run imports: only what it uses. Not timed (benchmarks/bench_new.py times); each run is a
fresh interpreter, as a user's is."""

from __future__ import annotations

import subprocess
import sys

import click
from click.testing import CliRunner

from modalgen.cli import main as cli_main

NEVER = ("copier", "questionary", "prompt_toolkit", "jinja2_ansible_filters", "pathspec")


def imported_by(*lines: str) -> set[str]:
    code = "\n".join(["import sys", *lines, "print('\\n'.join(sorted(sys.modules)))"])
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, stdin=subprocess.DEVNULL
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return set(result.stdout.split())


def _roots(modules: set[str]) -> set[str]:
    return {m.split(".")[0] for m in modules}


def test_new_without_a_terminal_imports_no_prompt_library_and_no_copier(tmp_path):
    modules = imported_by(
        "from modalgen.cli.main import main",
        f"assert main(['new', 'quick', '-y', '--no-git', '--output-dir', {str(tmp_path)!r}]) == 0",
    )
    assert "jinja2" in modules and (tmp_path / "quick/.modalgen-answers.yml").is_file()
    assert not _roots(modules) & set(NEVER), sorted(_roots(modules) & set(NEVER))


def test_add_imports_no_prompt_library_and_no_copier(tmp_path):
    from modalgen.answers.spec import parse_spec
    from modalgen.render.template import render

    project = render(parse_spec({"name": "grows"}), tmp_path / "grows")
    modules = imported_by(
        "from modalgen.cli.main import main",
        f"assert main(['add', 'cron', '--project', {str(project)!r}]) == 0",
    )
    assert not _roots(modules) & set(NEVER), sorted(_roots(modules) & set(NEVER))


def test_help_loads_no_command():
    modules = imported_by(
        "from modalgen.cli.main import main",
        "assert main(['--help']) == 0",
    )
    assert "modalgen.cli.commands" not in modules
    assert not {"jinja2", "yaml", "modalgen.catalog", "modalgen.cli.options"} & modules


def test_the_command_list_shows_each_commands_own_line(monkeypatch):
    """`modalgen --help` lists the commands from a table; loading them all shows the same."""
    lazy = CliRunner().invoke(cli_main.cli, ["--help"]).output
    monkeypatch.setattr(cli_main.LazyGroup, "format_commands", click.Group.format_commands)
    assert CliRunner().invoke(cli_main.cli, ["--help"]).output == lazy
    assert "Create the Modal project NAME." in lazy
