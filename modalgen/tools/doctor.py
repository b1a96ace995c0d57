"""`modalgen doctor`: is this machine (and this project) ready for Modal? No network call, unless
`--online` asks Modal whether each environment the project deploys to holds its Secrets.

Each check says what it found and, when something is wrong, the fix, as the seed's setup and
troubleshooting sections give it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from modalgen import catalog
from modalgen.tools.modal_auth import auth_state


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str | None = None
    informational: bool = False  # reported, never a failure


def template_modal_minor() -> str:
    return catalog.MODAL_MINOR


def _minor(version: str) -> str:
    return ".".join(version.split(".")[:2])


def check_python() -> Check:
    version = ".".join(map(str, sys.version_info[:3]))
    ok = sys.version_info >= (3, 11)
    return Check("python", ok, f"Python {version} at {sys.executable}",
                 None if ok else "install Python 3.11 or newer (uv python install 3.12)")  # fmt: skip


def check_uv() -> Check:
    uv = shutil.which("uv")
    if uv is None:
        fix = "install uv: curl -LsSf https://astral.sh/uv/install.sh | sh (or pip install uv)"
        return Check("uv", False, "uv not found on PATH", fix)
    try:
        version = subprocess.run([uv, "--version"], capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.TimeoutExpired) as exc:
        fix = "reinstall uv: curl -LsSf https://astral.sh/uv/install.sh | sh"
        return Check("uv", False, f"{uv} does not run ({exc.__class__.__name__})", fix)
    return Check("uv", True, f"{version} at {uv}")


def _installed_modal(site_packages: Path) -> str | None:
    for dist in site_packages.glob("modal-*.dist-info"):
        found = re.match(r"modal-([0-9][^-]*)\.dist-info", dist.name)
        if found:
            return found.group(1)
    return None


def check_modal_outside(pinned: str) -> Check:
    """Outside a project there is no environment that matters: modal lives in each project's .venv.

    modalgen's own environment (uv tool, pipx, a checkout's .venv) says nothing about a project, so
    the verdict never depends on how modalgen was installed.
    """
    detail = (f"checked in each project's own .venv (run `modalgen doctor` inside a project); "
              f"new projects pin modal~={pinned}.0")  # fmt: skip
    return Check("modal", True, detail, informational=True)


def _modal_command() -> str:
    """How to run the `modal` CLI from any folder: a token is the machine's, not a project's, and outside
    a project `uv run modal` finds no modal to run, so uvx runs it from its own cache."""
    return "uvx modal" if shutil.which("uv") else "pip install modal && modal"


def check_token() -> list[Check]:
    state = auth_state()
    checks = []
    modal = _modal_command()
    token_set = f"{modal} token set --token-id <ID> --token-secret <SECRET>"
    if state.problem:
        fix = f"mv {state.config_path} {state.config_path}.bak, then {token_set}"
        checks.append(Check("modal config", False, state.problem, fix))
    if state.configured:
        checks.append(Check("token", True, f"a Modal token from {state.source}"))
    else:
        where = f"environment, or profile {state.profile or 'default'} in {state.config_path}"
        fix = (
            f"{modal} token new (a browser login makes one), or with a token from Modal's dashboard: "
            f"{token_set} (or: export MODAL_TOKEN_ID=<ID> MODAL_TOKEN_SECRET=<SECRET>)"
        )
        checks.append(Check("token", False, f"no Modal token ({where})", fix))
    environment = os.environ.get("MODAL_ENVIRONMENT") or "(the workspace's default)"
    checks.append(Check("profile", True, f"profile {state.profile or 'default'}, environment {environment}",
                        informational=True))  # fmt: skip
    return checks


def find_project(start: Path) -> Path | None:
    """The project `start` is in: the nearest folder, `start` or above it, that holds the answers file."""
    here = start.resolve()
    return next(
        (folder for folder in (here, *here.parents) if (folder / catalog.ANSWERS_FILE).is_file()), None
    )


def _in(root: Path, command: str, option: str) -> str:
    """`command` as run from the current folder on the project at `root` (`make -C ../.. install`)."""
    where = os.path.relpath(root, Path.cwd())
    if where == ".":
        return command
    tool, rest = command.split(" ", 1)
    return f"{tool} {option} {where} {rest}"


def check_project(root: Path, pinned: str) -> list[Check]:
    from modalgen.answers.fields import SpecError
    from modalgen.grow import commands as grow

    checks = []
    try:
        project = grow.open_project(root)
        project.spec  # noqa: B018 -- validates the recorded answers
        checks.append(
            Check("answers", True, f"{root / catalog.ANSWERS_FILE}: made by modalgen {project.version}")
        )
    except SpecError as exc:
        committed = any((folder / ".git").exists() for folder in (root, *root.parents))
        fix = (
            _in(root, f"git checkout -- {catalog.ANSWERS_FILE}", "-C") + " (the answers as last committed)"
            if committed
            else f"correct what the message names in {root / catalog.ANSWERS_FILE}"
        )
        checks.append(Check("answers", False, str(exc), fix))
    pyproject = root / "pyproject.toml"
    pin = re.search(r'"modal~=([0-9]+\.[0-9]+)', pyproject.read_text()) if pyproject.is_file() else None
    if pin is None:
        fix = _in(root, f"uv add 'modal~={pinned}.0'", "--project")
        checks.append(Check("modal", False, f"{pyproject} pins no modal minor", fix))
        return checks
    venv = next(iter(sorted((root / ".venv/lib").glob("python*/site-packages"))), None)
    installed = _installed_modal(venv) if venv else None
    pinned_text = f"the project pins modal~={pin.group(1)}.0"
    install = _in(root, "make install", "-C")
    if installed is None:
        checks.append(Check("modal", False, f"{pinned_text}; .venv has no modal", install))
    elif _minor(installed) != pin.group(1):
        checks.append(Check("modal", False, f"{pinned_text}, .venv has {installed}", f"{install} (uv sync)"))
    else:
        checks.append(Check("modal", True, f"modal~={pin.group(1)}.0 pinned, {installed} in .venv"))
    return checks


def check_environments(root: Path) -> list[Check]:
    """With a token: each environment the project deploys to (or the workspace's default) holds the
    Secrets its functions receive (by name: the client lists no keys). Secrets belong to one
    environment on Modal; Volumes are created on first use, so only Secrets can be missing."""
    from modalgen.grow import commands as grow

    if not auth_state().configured:
        return [Check("environments", True, "not checked: no Modal token", informational=True)]
    import modal

    spec = grow.open_project(root).spec
    checks = []
    for env in spec.environments or ("",):
        name, shown = f"env {env or 'default'}", env or "the default environment"
        try:
            held = {secret.name for secret in modal.Secret.objects.list(environment_name=env)}
        except Exception as exc:  # the network, the token, an environment Modal does not have
            fix = f"uv run modal environment create {env}" if env else "uv run modal token info"
            said = (str(exc).strip().splitlines() or [""])[0]
            checks.append(Check(name, False, f"Modal did not list {shown}'s Secrets: "
                                f"{exc.__class__.__name__}: {said}", fix))  # fmt: skip
            continue
        wanting = [s for s in spec.secrets if s.name not in held]
        if not wanting:
            names = ", ".join(s.name for s in spec.secrets) or "none needed"
            checks.append(Check(name, True, f"{shown} holds the Secrets: {names}"))
            continue
        flag = f" --env {env}" if env else ""
        fixes = "; ".join(f"uv run modal secret create {s.name} {' '.join(k + '=...' for k in s.keys)}{flag}"
                          for s in wanting)  # fmt: skip
        lacking = ", ".join(s.name for s in wanting)
        checks.append(Check(name, False, f"{shown} lacks the Secrets {lacking}", fixes))
    return checks


def run_checks(start: Path, online: bool = False) -> list[Check]:
    """Every check; the project ones for the project `start` is in (its root, or any folder inside it)."""
    pinned = template_modal_minor()
    checks = [check_python(), check_uv(), *check_token()]
    root = find_project(start)
    if root is not None:
        checks += check_project(root, pinned)
        if online:
            checks += check_environments(root)
    else:
        checks.append(check_modal_outside(pinned))
    return checks


def as_json(checks: list[Check]) -> dict:
    return {"ok": all(c.ok for c in checks), "checks": [asdict(c) for c in checks]}
