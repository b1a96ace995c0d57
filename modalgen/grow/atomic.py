"""Signal handling for the few moments when modalgen changes what the user sees.

Everything before those moments happens in scratch folders, so an interruption there is harmless;
the moments themselves (a rename, a batch of renames) are short, and Ctrl-C or SIGTERM arriving
during them is held back until they are over, so that a project is never half placed.
"""

from __future__ import annotations

import signal
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
