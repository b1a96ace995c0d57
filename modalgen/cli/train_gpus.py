"""`modalgen gpus --train-method`: the GPU shapes that hold fine-tuning a model, cheapest first.

The arithmetic is modalgen/catalog/train_sizing.py's; this prints it, as `modalgen gpus --model` prints
inference sizing: what was assumed, the sum on one line, a table, and what would fit when nothing does.
"""

from __future__ import annotations

import sys

import click

from modalgen.cli.main import UserError


def refuse_inference_flags(stack_name: str | None, dtype: str | None, max_model_len: str | None) -> None:
    """--stack, --dtype and --max-model-len size serving; a training run has its own (no flag is ignored)."""
    for option, value in (("--stack", stack_name), ("--dtype", dtype), ("--max-model-len", max_model_len)):
        if value is not None:
            raise UserError(f'{option}: "{value}" sizes serving a model, not --train-method, which trains in '
                            "bf16 (NF4 for qlora) with --seq-len and --batch-size")  # fmt: skip


def gpus_for_training(model: str | None, model_params: str | None, options: dict, gpus_asked: tuple[str, ...],
                      hours: float | None, as_json: bool) -> None:  # fmt: skip
    """`modalgen gpus --train-method`: the shapes that hold the run, cheapest first; with --gpu, whether
    each of those does, and what would when none does."""

    from modalgen.answers.fields import SpecError, parse_gpus
    from modalgen.catalog import train_sizing
    from modalgen.catalog.sizing import SizingError

    options = {k: v for k, v in options.items() if v is not None}
    choices = parse_gpus(list(gpus_asked)) if gpus_asked else ()
    try:  # the method is checked before the Hub is asked about the model
        train_sizing.check_choice("--train-method", options["method"], train_sizing.METHODS)
    except SizingError as exc:
        raise SpecError(exc.field, exc.value, exc.allowed) from None
    shape = _train_shape(model, model_params)
    try:
        needs = [train_sizing.train_need(shape, gpu=c.gpu, count=c.count, **options) for c in choices]
        rows = [train_sizing.row_of(n) for n in needs] or train_sizing.train_shapes(shape, **options)
        need = needs[0] if needs else _need_of(shape, rows[0] if rows else None, options)
    except SizingError as exc:
        raise SpecError(exc.field, exc.value, exc.allowed) from None
    sized = {"model": shape.repo, "params": shape.params, "trainable_params": need.trainable,
             "train_method": need.method, "seq_len": need.seq_len, "batch_size": need.batch_size,
             "gradient_checkpointing": need.gradient_checkpointing, "lora_rank": need.lora_rank}  # fmt: skip
    from modalgen.cli.gpu_rows import print_json, with_sizing

    if print_json(with_sizing(rows, sized, hours), as_json):
        return
    click.echo(f"sized {_train_assumptions(need)}")
    click.echo(need.arithmetic())
    if rows:
        _train_table(rows, hours, "fits" if gpus_asked else "(cheapest first)")
    if not any(row["fits"] for row in rows):
        _would_fit(need, shape, "None of these holds it" if gpus_asked else "No GPU shape on Modal holds it")
        sys.exit(1)


def _train_shape(model: str | None, model_params: str | None):
    """The model to train: --model (checked as `new` checks --hf-model) or a bare --model-params."""
    from modalgen.answers.fields import SpecError, check_hf_model, check_model_params
    from modalgen.catalog import sizing

    model_params = check_model_params(model_params)
    if model is None and model_params is None:
        raise UserError("--train-method sizes a model; give --model REPO or --model-params N with it")
    if model is None:
        return sizing.ModelShape(f"a {model_params} model", sizing.parse_params(model_params), "flag",
                                 None, None, None)  # fmt: skip
    try:
        check_hf_model(model, allow_unpinned=True)
        return sizing.model_shape(model, params=model_params)
    except SpecError as exc:
        raise SpecError("--model", exc.value, exc.allowed) from None
    except sizing.SizingError as exc:  # `gpus` calls the model --model (`new` calls it --hf-model)
        raise SpecError(
            "--model" if exc.field == "--hf-model" else exc.field, exc.value, exc.allowed
        ) from None


def _need_of(shape, row: dict | None, options: dict):
    """The need on the cheapest fitting shape, or on the biggest single GPU when none fits."""
    from modalgen import catalog
    from modalgen.catalog import train_sizing

    if row is not None:
        return train_sizing.train_need(shape, gpu=row["gpu"], count=row["count"], **options)
    biggest = max(catalog.GPUS, key=lambda g: (g.vram_gb, -(g.price_per_hour or 0)))
    return train_sizing.train_need(shape, gpu=biggest, **options)


def _train_assumptions(need) -> str:
    """What the sizing assumed, and the flags that change it."""
    from modalgen.catalog import train_sizing

    trained = "all parameters" if need.method == "full" else f"LoRA adapters of rank {need.lora_rank}"
    weights = "NF4 base weights" if need.method == "qlora" else "bf16 weights"
    checkpointing = "gradient checkpointing" if need.gradient_checkpointing else "no gradient checkpointing"
    return (f"{need.repo} for {train_sizing.METHOD_NAMES[need.method]} fine-tuning: {weights}, AdamW on "
            f"{trained} ({_count(need.trainable)}), {need.batch_size} x {need.seq_len:,} tokens per GPU, "
            f"{checkpointing}, {need.usable_fraction:.2f} of each GPU's memory usable (--seq-len, "
            "--batch-size, --gradient-checkpointing, --parallel change these)")  # fmt: skip


def _train_table(rows: list[dict], hours: float | None, last: str) -> None:
    """One line per shape: each GPU's memory and the need on it, $/hr, the cost for --hours, how the
    GPUs share the run, and `last`: whether it fits, or the order."""
    names = [r["gpu"] if r["count"] == 1 else f"{r['gpu']}:{r['count']}" for r in rows]
    width = max(len("shape"), *(len(n) for n in names))
    cost_head = f"  {f'{hours:g} h':>8}" if hours is not None else ""
    head = f"{'shape':<{width}}  {'GPU mem':>7}  {'need/GPU':>8}  {'$/hr':>6}{cost_head}"
    click.echo(f"{head}  {'sharing':<7}  {last}")
    for name, row in zip(names, rows, strict=True):
        price = "n/a" if row["price_per_hour"] is None else f"{row['price_per_hour']:.2f}"
        sharing = row["parallel"].upper() if row["parallel"] else "one GPU"
        line = (
            f"{name:<{width}}  {row['vram_gb_per_gpu']:>4} GB  {row['need_gb_per_gpu']:>5.1f} GB  {price:>6}"
        )
        if hours is not None:
            line += f"  {'n/a' if row['cost'] is None else format(row['cost'], '.2f'):>8}"
        line += f"  {sharing:<7}" + ("  " + ("yes" if row["fits"] else "no") if last == "fits" else "")
        click.echo(line.rstrip())


def _would_fit(need, shape, none: str, shown: int = 5) -> None:
    """What would hold the run instead, cheapest first: a lighter method, checkpointing, FSDP, other GPUs."""
    from modalgen.catalog import train_sizing

    options = train_sizing.alternatives(need, shape)[:shown]
    if not options:
        click.echo(f"{none}, and no lighter method, gradient checkpointing or FSDP would; try a smaller "
                   "--batch-size or --seq-len.")  # fmt: skip
        return
    click.echo(f"{none}; these would, cheapest first:")
    for row in options:
        price = "price unknown" if row["price_per_hour"] is None else f"${row['price_per_hour']:.2f}/hr"
        click.echo(f"  {row['change']}  ({row['need_gb_per_gpu']:.1f} GB per GPU, {price})")


def _count(params: float) -> str:
    """A parameter count as people write it: 8.03B, 41.9M."""
    return f"{params / 1e9:.3g}B" if params >= 1e9 else f"{params / 1e6:.3g}M"
