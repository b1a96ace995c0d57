"""The model the answers name: what it needs on a GPU, and the revision a branch is pinned to.

The answers stage asks it of the catalogue's sizing (modalgen/catalog/sizing.py) so that a model
that does not fit, or that the stack does not run, is refused with the other answers, before a
plan exists. The Hub is asked only when HUB_LOOKUPS is on (the CLI turns it on; tests and imports
stay offline), and never for longer than two seconds.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from typing import TYPE_CHECKING, Any

from modalgen import catalog
from modalgen.answers.fields import SpecError
from modalgen.catalog import hub, models, sizing

if TYPE_CHECKING:
    from modalgen.answers.spec import Spec

HUB_LOOKUPS = False  # the CLI turns on Hub look-ups for parameter counts; tests and imports stay offline
SIZING_KEYS = ("model_params", "dtype", "max_model_len")
PINNED_REVISION = re.compile(r"[0-9a-f]{40}")


@functools.lru_cache(maxsize=64)
def _shape(model: str, params: str | None, hub_allowed: bool) -> sizing.ModelShape:
    return sizing.model_shape(model, params=params, hub=hub_allowed)


def model_need(spec: Spec) -> sizing.Need | None:
    """What the model needs on a GPU, for stacks sized before rendering; None for the others."""
    stack = catalog.STACK_BY_NAME[spec.stack]
    if not spec.hf_model or not stack.sizing:
        return None
    try:
        shape = _shape(spec.hf_model, spec.model_params, HUB_LOOKUPS)
        refusal = models.kind_refusal(shape, stack)
        if refusal:
            raise SpecError("hf_model", spec.hf_model, refusal)
        return sizing.memory_need(shape, stack=stack, dtype=spec.dtype, max_model_len=spec.max_model_len)
    except sizing.SizingError as exc:
        raise SpecError(exc.field.lstrip("-").replace("-", "_"), exc.value, exc.allowed) from None


def model_shape(spec: Spec) -> sizing.ModelShape:
    """The answers' model as sizing sees it (parameters, architecture), the Hub asked as for inference."""
    try:
        return _shape(spec.hf_model, spec.model_params, HUB_LOOKUPS)
    except sizing.SizingError as exc:
        raise SpecError(exc.field.lstrip("-").replace("-", "_"), exc.value, exc.allowed) from None


def pin_params(spec: Spec) -> Spec:
    """Record a parameter count the Hub gave as an answer, so that re-planning (`set`, `add`,
    `update`) gives the same sizing without asking the Hub again."""
    if not spec.hf_model or spec.model_params or not catalog.STACK_BY_NAME[spec.stack].sizing:
        return spec
    shape = _shape(spec.hf_model, None, HUB_LOOKUPS)
    if shape.source != "hub":
        return spec
    return dataclasses.replace(spec, model_params=f"{shape.params / 1e9:.4g}B")


# How each model revision came to be what it is, as pin_revision found it: "REPO@<sha>" -> the branch it
# was the commit of; "REPO" or "REPO@BRANCH" left as it was -> why. The summary says it (revision_note).
_PIN_NOTES: dict[str, str] = {}


@functools.lru_cache(maxsize=64)
def _branch_commit(repo: str, branch: str) -> str | None:
    return hub.hub_commit(repo, branch)


def pin_revision(spec: Spec) -> Spec:
    """A branch becomes the commit it is at on the Hub when the Hub answers (2 s at most): REPO alone
    (its main) and REPO@BRANCH (with --allow-unpinned) alike, so the project serves that commit until
    the user changes it. Otherwise the branch is kept, and revision_note says why it is not pinned."""
    if not spec.hf_model:
        return spec
    repo, _, branch = spec.hf_model.partition("@")
    if PINNED_REVISION.fullmatch(branch) or not HUB_LOOKUPS:
        return spec
    branch = branch or "main"
    switch = hub.offline_switch()
    if switch:
        _PIN_NOTES[spec.hf_model] = f"{switch} is set, so the Hub was not asked for {branch}'s commit"
        return spec
    sha = _branch_commit(repo, branch)
    if sha is None:
        _PIN_NOTES[spec.hf_model] = (
            f"the Hub gave no commit for {branch} (no answer within 2 s, or no such repo or branch)"
        )
        return spec
    _PIN_NOTES[f"{repo}@{sha}"] = f"{branch}'s commit on the Hub now"
    return dataclasses.replace(spec, hf_model=f"{repo}@{sha}")


def revision_note(hf_model: str) -> str | None:
    """Why a revision is what it is: the branch a pinned commit came from, or why a branch is not pinned
    (None for a commit the user gave)."""
    if hf_model in _PIN_NOTES:
        return _PIN_NOTES[hf_model]
    branch = hf_model.partition("@")[2]
    if PINNED_REVISION.fullmatch(branch):
        return None
    return f"modalgen did not ask the Hub for {branch or 'main'}'s commit"


def tensor_parallel(stack: str) -> bool:
    """Whether a stack splits one model over the GPUs of a container (its catalogue record says)."""
    return catalog.STACK_BY_NAME[stack].gpu_use == catalog.SPLIT_GPUS


def fitting_shapes(spec: Spec, need: sizing.Need) -> list[dict[str, Any]]:
    """The GPU shapes the model fits on, cheapest per hour first (what `modalgen gpus --model` lists)."""
    split = tensor_parallel(spec.stack)
    gpus = [(g.name, g.vram_gb, g.max_count if split else 1, g.price_per_hour) for g in catalog.GPUS]
    return sizing.shapes(need, gpus)


def shape_text(row: dict[str, Any]) -> str:
    """One GPU shape with its price: "H200:2 ($9.08/hr)"."""
    name = row["gpu"] if row["count"] == 1 else f"{row['gpu']}:{row['count']}"
    price = "price unknown" if row["price_per_hour"] is None else f"${row['price_per_hour']:.2f}/hr"
    return f"{name} ({price})"
