"""One modalgen at a time where it changes things: a project (`add`, `set`, `update`), or the folder
`new` places a project in.

An agent or `make -j` may start two commands at once. Each takes an exclusive `fcntl.flock` on a
lock file before it reads what it will change; the second waits a few seconds for the first, then
gives up with a one-line error, having changed nothing. The kernel drops the lock when its process
ends, however it ends, so a killed modalgen never leaves a stale lock behind.

The lock file stays out of the user's tree: `.git/modalgen.lock` where the folder has a `.git`
folder (git ignores it there, and it is kept), else a hidden `.modalgen.lock`, removed on release.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

GIT_LOCK = "modalgen.lock"  # inside .git/
HIDDEN_LOCK = ".modalgen.lock"
WAIT_S = 10.0  # longer than an `add` takes on a slow machine; short enough for an agent to retry


class Busy(Exception):
    """Another modalgen holds the lock (a user-facing refusal: exit 2, nothing written)."""


def lock_path(folder: Path, *, in_git: bool) -> tuple[Path, bool]:
    """Where the lock of `folder` lives, and whether it is kept after release."""
    git_dir = folder / ".git"
    if in_git and git_dir.is_dir():
        return git_dir / GIT_LOCK, True
    return folder / HIDDEN_LOCK, False


@contextmanager
def held(folder: Path, busy: str, *, in_git: bool = True) -> Iterator[None]:
    """Hold `folder`'s lock inside the block; `busy` is the error line when it stays taken.

    `in_git=False` for a folder that is not a project (where `new` places one): the user's own
    repository there gets nothing, not even in `.git/`."""
    path, keep = lock_path(folder, in_git=in_git)
    fd = _acquire(path, busy, WAIT_S)
    try:
        yield
    finally:
        if not keep:  # removed while still held: a process waiting on this file sees it gone
            path.unlink(missing_ok=True)
        if fd is not None:
            os.close(fd)


def _acquire(path: Path, busy: str, wait_s: float) -> int | None:
    deadline = time.monotonic() + wait_s
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            if time.monotonic() >= deadline:
                raise Busy(busy) from None
            time.sleep(0.05)
            continue
        except OSError:  # a filesystem without flock (some network mounts): go on unlocked, as before
            os.close(fd)
            return None
        if _is_current(fd, path):
            return fd
        os.close(fd)  # the holder before us removed this file on release: lock the one there now


def _is_current(fd: int, path: Path) -> bool:
    try:
        on_disk = os.stat(path)
    except FileNotFoundError:
        return False
    mine = os.fstat(fd)
    return (mine.st_dev, mine.st_ino) == (on_disk.st_dev, on_disk.st_ino)
