"""The pins each release wrote, so that `modalgen update` moves them.

The base of an update's 3-way merge is the project rendered as its release made it. Its code comes
from that release's template (`templates/releases/<version>/`), but the pins come from the
catalogue of the modalgen running now: without a record of the release's own pins, a pin the
release wrote would look like one the user chose, and the merge would keep it. Each release
records its pins in `templates/releases/<version>/pins.json` (`python -m modalgen.render.pins
VERSION` writes it when a release is cut); the base's pins are rewritten to those before the merge,
so a pin the user left as it was moves to this modalgen's, and one they changed stays theirs (or
conflicts, where this modalgen changed it too).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from modalgen import catalog

PINS_FILE = "pins.json"
# A pin as the image and pyproject.toml write it: name, [extras], operator, version.
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?(==|~=)([0-9][^\s\"',;]*)$")


def modal_pin() -> str:
    """The modal requirement a project's pyproject.toml gets: the minor the templates were checked with."""
    return f"modal~={catalog.MODAL_MINOR}.0"


def pin_name(pin: str) -> str:
    """The package a pin names, normalized (lower case, `-`); "" for what is no pin."""
    match = PIN.match(pin)
    return match[1].lower().replace("_", "-") if match else ""


def current_pins() -> list[str]:
    """Every requirement with a version this modalgen can write into a project."""
    pins = [modal_pin(), *catalog.PINS.values()]
    for stack in catalog.STACKS:
        pins += [*stack.packages, *stack.test_packages]
    return sorted({p for p in pins if PIN.match(p)})


def recorded_pins(release_dir: Path) -> list[str] | None:
    """The pins a release recorded (None: it recorded none, and its base keeps today's)."""
    path = release_dir / PINS_FILE
    return json.loads(path.read_text(encoding="utf-8"))["pins"] if path.is_file() else None


def rewrite_to(tree: dict[str, str], recorded: list[str]) -> dict[str, str]:
    """`tree` (the base, rendered today) with today's pins put back to the ones the release wrote."""
    then = {pin_name(p): p for p in recorded}
    swaps = {
        now: then[pin_name(now)]
        for now in current_pins()
        if pin_name(now) in then and then[pin_name(now)] != now
    }
    if not swaps:
        return tree
    pattern = re.compile("|".join(re.escape(now) for now in sorted(swaps, key=len, reverse=True)))
    return {rel: pattern.sub(lambda m: swaps[m[0]], text) for rel, text in tree.items()}


def main(argv: list[str]) -> int:
    """`python -m modalgen.render.pins VERSION`: record today's pins for a release being cut."""
    from modalgen.render.template import template_dir

    (version,) = argv
    folder = template_dir().parent / "releases" / version
    folder.mkdir(parents=True, exist_ok=True)
    record = {"release": version, "pins": current_pins()}
    (folder / PINS_FILE).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {folder / PINS_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
