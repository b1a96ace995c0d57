"""The images: the model image's packages and environment, the fronts' light image, the test packages."""

from __future__ import annotations

from typing import Any

from modalgen import catalog
from modalgen.answers.spec import Spec
from modalgen.plan.functions import Function


def kind_packages(spec: Spec, fns: tuple[Function, ...]) -> tuple[list[str], list[str]]:
    """What the project's kinds need: pins for the model image (a front's go to its own image),
    requirements for the offline tests."""
    image: list[str] = []
    dev: list[str] = []
    stack = catalog.STACK_BY_NAME[spec.stack]
    fronts = {fn.kind for fn in fns if fn.image == "front_image"}
    for name in spec.workloads:
        kind = catalog.KIND_BY_NAME[name]
        packages, dev_packages = kind.packages, kind.dev_packages
        if kind.decorator == "server" and stack.own_server:
            packages = ()  # the stack's server brings its own web framework, at the versions it pins
        if catalog.WEB in kind.knobs:
            style_packages, style_dev = catalog.WEB_STYLE_PACKAGES[spec.web_style]
            packages, dev_packages = (*packages, *style_packages), (*dev_packages, *style_dev)
        if name in fronts:
            packages = ()
        image += [p for p in packages if p not in image]
        dev += [p for p in dev_packages if p not in dev]
    for fn in fns:  # a function that takes --train-method: what that method needs, and its dataset
        image += catalog.TRAIN_METHOD_PACKAGES.get(dict(fn.settings).get("train_method"), ())
        image += ["pyarrow"] if dict(fn.settings).get("dataset") else []
    if spec.hf_model:
        image.append("huggingface_hub")
        dev.append("huggingface-hub>=1.0")
    return [catalog.PINS[p] for p in sorted(image, key=list(catalog.PINS).index)], sorted(dev)


def _package_name(requirement: str) -> str:
    import re

    return re.split(r"[\[<>=!~ ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def front_image(spec: Spec, fns: tuple[Function, ...]) -> dict[str, Any] | None:
    """The light image of the fronts: the web framework they serve with, and nothing of the model's."""
    fronts = [fn for fn in fns if fn.image == "front_image"]
    if not fronts:
        return None
    web = any(catalog.WEB in catalog.KIND_BY_NAME[fn.kind].knobs for fn in fronts)
    packages = catalog.WEB_STYLE_PACKAGES[spec.web_style][0] if web else ()
    return {"packages": [catalog.PINS[p] for p in packages], "for": [fn.name for fn in fronts]}


def image(spec: Spec, fns: tuple[Function, ...]) -> dict[str, Any]:
    stack = catalog.STACK_BY_NAME[spec.stack]
    pins, _ = kind_packages(spec, fns)
    packages: list[str] = []
    for requirement in [*stack.packages, *pins]:  # the stack's pins win over modalgen's own
        if _package_name(requirement) not in {_package_name(p) for p in packages}:
            packages.append(requirement)
    env = {**dict(stack.env), **dict(spec.env)}
    if spec.hf_model:
        env.setdefault("HF_XET_HIGH_PERFORMANCE", "1")
    return {
        "base": spec.base,
        "cuda_image": catalog.cuda_image(stack) if spec.base == "cuda" else None,
        "apt": list(spec.apt),
        # With --uv-sync the runtime packages are the project's own dependencies (pyproject.toml):
        # the image installs them from uv.lock, and no pip layer installs anything twice.
        "packages": [] if spec.uv_sync else [*packages, *spec.pip],
        "dependencies": [*packages, *spec.pip] if spec.uv_sync else [],
        "env": dict(sorted(env.items())),
        "uv_sync": spec.uv_sync,
        "front": front_image(spec, fns),
    }
