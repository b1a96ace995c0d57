"""modalgen's own test suite: nothing it runs asks the network."""

import os

# Model sizing asks the Hugging Face Hub for parameter counts when it can; tests never do (and the
# projects and CLI processes they start inherit this).
os.environ["MODALGEN_OFFLINE"] = "1"
# The suite runs generated projects' torch code in many processes at once on CI's two cores: one
# OpenMP thread each (the processes they start inherit it). torch's default, a thread per core,
# oversubscribes the cores and its threads spin waiting for each other: beside two busy processes,
# the tiny model's 40 LoRA steps took 9.7 s instead of 1.8 s.
os.environ.setdefault("OMP_NUM_THREADS", "1")

# `control_plane`: a local Modal control plane the real `modal` client and CLI talk to (tests/controlplane).
from tests.controlplane.plugin import control_plane  # noqa: E402, F401

# xdist (`--dist loadfile`) hands out whole files as each worker frees up, the files with the most
# tests first. Test counts are not times: the longest files go first here (measured: each takes
# 20-65 s of a worker, the rest under 20 s), so that the two workers end together instead of one
# waiting on the other's last long file.
LONGEST_FIRST = (
    "test_stacks.py", "test_train.py", "test_generated_projects.py", "test_finetune.py",
    "test_wizard_pty.py", "test_faults.py", "test_grow_update.py", "test_matrix_suites.py",
    "test_cli.py", "test_modal_cli.py", "test_copier_identity.py",
)  # fmt: skip


def _longest_first(scope: str) -> int:
    name = scope.rpartition("/")[2]
    return LONGEST_FIRST.index(name) if name in LONGEST_FIRST else len(LONGEST_FIRST)


def pytest_xdist_make_scheduler(config, log):
    from collections import OrderedDict

    from xdist.scheduler import LoadFileScheduling

    class LongestFirst(LoadFileScheduling):
        def _assign_work_unit(self, node):
            # The queue is whole once `schedule` starts handing it out: ordered before each unit
            # leaves it (sorting an ordered queue changes nothing).
            queue = getattr(self, "workqueue", None)  # xdist's own: if it changes, its order stays
            if isinstance(queue, OrderedDict):
                for scope in sorted(queue, key=_longest_first):
                    queue.move_to_end(scope)
            super()._assign_work_unit(node)

    return LongestFirst(config, log) if config.getvalue("dist") == "loadfile" else None
