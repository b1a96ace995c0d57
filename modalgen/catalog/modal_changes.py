"""Modal's breaking changes and deprecations, as data: what `modalgen check` finds in a project's
code and what `modalgen update` rewrites in the files modalgen wrote.

Each record is what the `modal` client itself says, read from its source (modal 1.6.4, the minor
the templates pin): the date it gives in its `deprecation_error` / `deprecation_warning`, the
minor that removes the name where the message names one, and the replacement it names. A record
with a `rewrite` is a rename the message spells out (same arguments, same meaning), applied by
`update`; the others need a person's judgement, so they are reported with the message and left
as they are. A new minor of `modal` adds its records here when the templates move to it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class ModalChange:
    pattern: str  # a regular expression over a line of Python
    message: str  # what changed, in the client's words
    deprecated_on: str | None  # the date the client gives (None: it gives none)
    removed_in: str | None  # "1.6": the pinned client raises already; "1.7": its message names 1.7.0
    source: str  # where in the modal client the message lives
    rewrite: str | None = None  # the replacement (re.sub syntax) where it is a plain rename

    def find(self, line: str) -> bool:
        return re.search(self.pattern, line) is not None


MODAL_CHANGES: tuple[ModalChange, ...] = (
    ModalChange(r"\bkeep_warm\s*=", "`keep_warm` was renamed `min_containers`", "2025-02-24", "1.6",
                "modal/_utils/deprecation.py (renamed_parameter)", r"min_containers="),
    ModalChange(r"\bconcurrency_limit\s*=", "`concurrency_limit` was renamed `max_containers`", "2025-02-24",
                "1.6", "modal/_utils/deprecation.py (renamed_parameter)", r"max_containers="),
    ModalChange(r"\bcontainer_idle_timeout\s*=", "`container_idle_timeout` was renamed `scaledown_window`",
                "2025-02-24", "1.6", "modal/_utils/deprecation.py (renamed_parameter)", r"scaledown_window="),
    ModalChange(r"\ballow_concurrent_inputs\s*=", "`allow_concurrent_inputs` is gone: decorate with "
                "`@modal.concurrent(max_inputs=N)` under `@app.function`", "2025-04-09", "1.6",
                "modal/_utils/deprecation.py"),
    ModalChange(r"\bmodal\.web_endpoint\b", "`@modal.web_endpoint` was renamed `@modal.fastapi_endpoint`",
                "2025-03-05", "1.6", "modal/_partial_function.py", r"modal.fastapi_endpoint"),
    ModalChange(r"\bmodal\.Stub\b", "`modal.Stub` is `modal.App` (a simple name change)", None, "1.6",
                "modal/__init__.py", r"modal.App"),
    ModalChange(r"\bmodal\.experimental\.clustered\(", "`modal.experimental.clustered` is now "
                "`modal.clustered(size=..., rdma=...)`", "2026-09-14", None,
                "modal/experimental/__init__.py"),
    ModalChange(r"\.update_autoscaler\(", "`update_autoscaler()` is deprecated: use `.autoscaler.update()`",
                "2026-10-16", None, "modal/_functions.py, modal/_server.py", r".autoscaler.update("),
    ModalChange(r"\.registered_(functions|classes)\b", "`App.registered_functions` and `registered_classes` "
                "are removed in modal 1.7.0", "2026-08-26", "1.7", "modal/app.py"),
    ModalChange(r"\bmodal\.experimental\.stop_app\(", "`modal.experimental.stop_app` is deprecated: use "
                "`modal.App.lookup(name).stop()`", "2026-09-24", None, "modal/experimental/__init__.py"),
    ModalChange(r"\bNetworkFileSystem\b", "`modal.NetworkFileSystem` is deprecated: use `modal.Volume`",
                "2026-09-16", None, "modal/network_file_system.py"),
    ModalChange(r"\bwrap_returned_exceptions\s*=", "`wrap_returned_exceptions` has no effect any more: "
                "remove it", "2026-03-24", None, "modal/parallel_map.py"),
    ModalChange(r"""(python_version|add_python|PYTHON_VERSION)\s*=\s*["']3\.10["']""",
                "modal 1.7.0 will not run or deploy Images with Python 3.10 (EOL): "
                "`modalgen set --python 3.12`", "2026-11-04", "1.7",
                "modal/_image.py"),
)  # fmt: skip


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    text: str
    change: ModalChange

    def to_data(self) -> dict:
        c = self.change
        return {"path": self.path, "line": self.line, "text": self.text, "message": c.message,
                "deprecated_on": c.deprecated_on, "removed_in": c.removed_in,
                "update_rewrites": c.rewrite is not None}  # fmt: skip


def _code_lines(text: str):
    """Each line with its number, where it is code: not a comment line (a comment may name the old API)."""
    for number, line in enumerate(text.splitlines(), 1):
        if not line.lstrip().startswith("#"):
            yield number, line


def findings(rel: str, text: str) -> list[Finding]:
    """Every use of a changed Modal API in one Python file."""
    return [
        Finding(rel, number, line.strip(), change)
        for number, line in _code_lines(text)
        for change in MODAL_CHANGES
        if change.find(line)
    ]


def migrated(text: str) -> str:
    """`text` with every rename of MODAL_CHANGES applied to its code lines."""
    lines = text.splitlines(keepends=True)
    for index, line in enumerate(lines):
        if line.lstrip().startswith("#"):
            continue
        for change in MODAL_CHANGES:
            if change.rewrite is not None:
                line = re.sub(change.pattern, change.rewrite, line)
        lines[index] = line
    return "".join(lines)
