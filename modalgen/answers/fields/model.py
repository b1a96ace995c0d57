"""Answers about the model: the Hugging Face repo and revision, and what sizing is told of it."""

from __future__ import annotations

import re
from typing import Any

from modalgen import catalog
from modalgen.answers.fields.basic import check_choice
from modalgen.answers.fields.errors import SpecError


def check_model_params(value: Any) -> str | None:
    """A parameter count as people write it: 8B, 0.5B, 350M, 8x7B."""
    if value is None:
        return None
    from modalgen.catalog.sizing import SizingError, parse_params

    try:
        parse_params(str(value))
    except SizingError as exc:
        raise SpecError("model_params", value, exc.allowed) from None
    return str(value)


def check_dtype(value: Any) -> str | None:
    if value is None:
        return None
    return check_choice("dtype", value, catalog.DTYPES)


def check_max_model_len(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    low, high = catalog.MAX_MODEL_LEN
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise SpecError("max_model_len", value, f"a whole number of tokens from {low:,} to {high:,}")
    return value


_HF_REPO_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$")


_HF_PINNED_REVISION_RE = re.compile(r"^[0-9a-f]{40}$")


_HF_ANY_REVISION_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,99}$")


def check_hf_model(value: Any, allow_unpinned: bool) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise SpecError("hf_model", value, "REPO@REVISION, e.g. org/model@<40-hex commit>")
    repo, sep, revision = value.partition("@")
    if not _HF_REPO_RE.match(repo):
        raise SpecError("hf_model", value, "REPO@REVISION with REPO like org/model")
    if not sep:
        # REPO alone is REPO@main: plan.pin_revision pins the commit main is at when the Hub answers;
        # otherwise the model follows main, and the summary says why it is not pinned.
        return repo
    if _HF_PINNED_REVISION_RE.match(revision) or (allow_unpinned and _HF_ANY_REVISION_RE.match(revision)):
        return value
    allowed = (
        "REPO@REVISION with a pinned revision (a 40-hex commit); --allow-unpinned accepts a branch or tag, "
        f"and {repo} alone is its main, pinned to its commit when the Hub answers"
    )
    raise SpecError("hf_model", value, allowed)


def check_dataset(value: Any, allow_unpinned: bool) -> str | None:
    """A Hugging Face dataset, REPO@REVISION: a 40-hex commit, or a branch or tag (REPO alone: its
    main) with --allow-unpinned, so that a run resumed next week trains on the same examples."""
    if value is None:
        return None
    repo, sep, revision = str(value).partition("@")
    if not isinstance(value, str) or not _HF_REPO_RE.match(repo):
        raise SpecError("dataset", value, "REPO@REVISION with REPO like org/dataset")
    if _HF_PINNED_REVISION_RE.match(revision) or (
        allow_unpinned and (not sep or _HF_ANY_REVISION_RE.match(revision))
    ):
        return value if sep else f"{repo}@main"
    raise SpecError("dataset", value, "REPO@REVISION with a pinned revision (a 40-hex commit); "
                    "--allow-unpinned accepts a branch or tag, or REPO alone for its main")  # fmt: skip
