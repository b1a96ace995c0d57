"""Signal handling for the few moments when modalgen changes what the user sees.

Everything before those moments happens in scratch folders, so an interruption there is harmless;
the moments themselves (a rename, a batch of renames) are short, and Ctrl-C or SIGTERM arriving
during them is held back until they are over, so that a project is never half placed.
"""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager

HELD = {signal.SIGINT, signal.SIGTERM}


@contextmanager
def signals_held() -> Iterator[None]:
    """Block SIGINT and SIGTERM inside the block; a signal that came in is delivered after it."""
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, HELD)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def exit_cleanly_on_sigterm() -> None:
    """SIGTERM unwinds like Ctrl-C, so the same cleanup runs (scratch folders removed, exit 130)."""

    def on_sigterm(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_sigterm)


def run_to_the_end(args: list[str], *, cwd, check: bool = True) -> subprocess.CompletedProcess:
    """Run a child to completion; interrupted, kill it and wait until it is gone.

    `subprocess.run` can lose a child to Ctrl-C: while it starts (the child runs, no `Popen` holds
    it) and after (it waits 0.25 s, then lets it run on). A `git commit` still writing into the
    staging folder would race the cleanup that removes it.
    """
    child = None
    try:
        with signals_held():  # started and named as one step
            child = subprocess.Popen(args, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        out, err = child.communicate()
    except BaseException:
        if child is not None:
            with signals_held():  # a second signal must not cut the wait short
                child.kill()
                child.communicate()
        raise
    if check and child.returncode:
        raise subprocess.CalledProcessError(child.returncode, args, out, err)
    return subprocess.CompletedProcess(args, child.returncode, out, err)
