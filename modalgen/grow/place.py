"""Put a rendered project in place, whole or not at all.

The project is rendered into a hidden staging folder beside the target (same filesystem), committed
there when asked, and then moved with one `rename`. An error or a signal at any point before that
leaves the target as it was and removes the staging folder.

Two `new` into one folder at once: exactly one wins. Placing happens under the lock of the folder
that holds the target (`modalgen.lock`), where the target is checked again; a target that was not
there is claimed with `os.mkdir`, which only one process can do, before the rename moves the tree
onto that empty claim. The other process exits 2 with nothing written.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from modalgen.grow.atomic import run_to_the_end, signals_held
from modalgen.grow.lock import held

STAGING_PREFIX = ".modalgen-staging-"


class TargetError(Exception):
    """The target folder cannot take the project (a user mistake: exit 2)."""


def check_target(target: Path, *, force: bool) -> None:
    if target.exists() and not target.is_dir():
        raise TargetError(f"target: {str(target)!r} exists and is not a folder")
    if target.is_dir() and any(target.iterdir()) and not force:
        raise TargetError(
            f"target: {str(target)!r} is not empty; use --force to write into it "
            "(files the template does not have are kept)"
        )


def file_mode(*, executable: bool = False) -> int:
    """The mode of a file modalgen creates: what the user's umask gives any new file (as `touch`
    or an editor would), plus the execute bits for an executable one. The template's own modes,
    which copier copies as they are, never override the umask."""
    umask = os.umask(0o022)  # reading the umask means setting it: put it straight back
    os.umask(umask)
    return (0o777 if executable else 0o666) & ~umask


def follow_umask(tree: Path) -> None:
    """Give every file of a rendered tree the mode `file_mode` says (copier sets the template's)."""
    for path in tree.rglob("*"):
        if path.is_file() and not path.is_symlink():
            path.chmod(file_mode(executable=bool(path.stat().st_mode & 0o100)))


def list_files(root: Path) -> list[str]:
    """The files under `root`, relative to it, outside any `.git` folder of the tree itself."""
    relative = (p.relative_to(root) for p in root.rglob("*") if p.is_file())
    return sorted(str(rel) for rel in relative if ".git" not in rel.parts)


def _missing_parents(path: Path) -> list[Path]:
    missing = []
    for parent in [path, *path.parents]:
        if parent.exists():
            break
        missing.append(parent)
    return missing


def stage_and_place(
    target: Path,
    build: Callable[[Path], None],
    *,
    force: bool = False,
    git: bool = True,
) -> list[str]:
    """Build the project into a staging folder with `build`, then move it to `target`.

    Returns the files written, relative to the target.
    """
    created = _missing_parents(target.parent)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging: Path | None = None
    placed = False
    try:
        with signals_held():  # the folder exists only once `staging` names it, so cleanup finds it
            staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=target.parent))
        tree = staging / target.name
        build(tree)
        follow_umask(tree)
        files = list_files(tree)
        existing = target.exists()
        if git and not existing:
            init_git(tree)  # never in a folder the user had: their files are theirs to commit
        busy = f"target: {str(target)!r} is being placed by another modalgen; nothing was written"
        with (
            held(target.parent, busy, in_git=False),
            signals_held(),
        ):  # the project lands whole, or not at all
            if existing:
                _check_still_free(target, force=force)
                _copy_over(tree, target, files)
            else:
                _claim(target)
                try:
                    os.rename(tree, target)  # onto the empty folder just claimed: atomic
                except BaseException:
                    target.rmdir()
                    raise
            placed = True
        return files
    finally:
        with signals_held():  # a signal arriving now must not cut the cleanup short
            if staging is not None:
                shutil.rmtree(staging, ignore_errors=True)
            if not placed:
                for folder in created:  # deepest first: only the folders this call made
                    try:
                        folder.rmdir()
                    except OSError:
                        break


def _taken(target: Path) -> TargetError:
    return TargetError(
        f"target: {str(target)!r} was taken by another process while modalgen rendered; nothing was written"
    )


def _claim(target: Path) -> None:
    """Make the target folder, or fail if anything made it since the check: only one process can."""
    try:
        target.mkdir()
    except FileExistsError:
        raise _taken(target) from None


def _check_still_free(target: Path, *, force: bool) -> None:
    """An existing target, checked again under the lock: a `new` before this one may have filled it."""
    if not target.is_dir() or (not force and any(target.iterdir())):
        raise _taken(target)


def overwritten(target: Path, files: list[str]) -> list[str]:
    """The files of a project that --force would write over in an existing folder."""
    return [rel for rel in files if (target / rel).is_file()] if target.is_dir() else []


def dry_run(build: Callable[[Path], None], name: str) -> list[str]:
    """Build into a scratch folder, list what it holds, delete it: the target is never touched."""
    with tempfile.TemporaryDirectory(prefix=STAGING_PREFIX) as scratch:
        build(Path(scratch) / name)
        return list_files(Path(scratch) / name)


def _copy_over(tree: Path, target: Path, files: list[str]) -> None:
    """--force: replace the template's files in an existing folder, keep every other file."""
    for rel in files:
        dst = target / rel
        if dst.is_dir():
            raise TargetError(f"target: {str(dst)!r} is a folder where the project has a file")
    for rel in files:
        dst = target / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tree / rel, dst)  # same filesystem: each file is swapped whole


def init_git(tree: Path) -> bool:
    """`git init` and a first commit; False (and nothing done) when git is missing."""
    git = shutil.which("git")
    if git is None:
        return False
    run = lambda *args: run_to_the_end([git, *args], cwd=tree)  # noqa: E731
    run("init", "-q")
    identity = []
    if run_to_the_end([git, "config", "user.email"], cwd=tree, check=False).returncode:
        # No identity configured (fresh CI machines): commit as modalgen rather than fail.
        identity = ["-c", "user.name=modalgen", "-c", "user.email=modalgen@localhost"]
    run("add", "-A")
    run(*identity, "commit", "-q", "--no-verify", "-m", "Generate project with modalgen")
    return True
