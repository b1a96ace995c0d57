"""The rows `modalgen gpus` prints, for inference and training alike: what was sized, the cost for
--hours, and the one JSON list of --json."""

from __future__ import annotations

import click


def with_sizing(rows: list[dict], sized: dict, hours: float | None) -> list[dict]:
    """Each row with what was sized, and, with --hours, its cost for that long."""
    for row in rows:
        row.update(sized)
        if hours is not None:
            price = row["price_per_hour"]
            row["hours"], row["cost"] = hours, None if price is None else round(price * hours, 2)
    return rows


def print_json(rows: list[dict], as_json: bool) -> bool:
    """With --json, the rows as one JSON list (True: nothing else is printed)."""
    if as_json:
        import json

        click.echo(json.dumps(rows, indent=2))
    return as_json
