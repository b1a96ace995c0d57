"""`modalgen gpus`: the GPU table, the cost of configurations, and the shapes a model fits on."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from modalgen.catalog import train_sizing
from modalgen.catalog.stacks import SIZING_STACK
from modalgen.cli.main import UserError

if TYPE_CHECKING:
    pass


@click.command()
@click.option("--gpu", "gpus_asked", metavar="TYPE[:COUNT]", multiple=True,
              help="Price these configurations (repeat, or a comma list), e.g. H100:2; with a model, "
                   "whether it fits each.")  # fmt: skip
@click.option("--hours", type=click.FloatRange(min=0), default=None,
              help="Hours of running containers to price; alone, a cost column for the table.")  # fmt: skip
@click.option("--model", metavar="REPO[@REV]", help="List the GPU shapes this model fits on, cheapest first.")
@click.option(
    "--model-params",
    metavar="N",
    help="The parameter count (8B, 0.5B): with --model when the Hub and the name don't tell; alone, "
    "a model of this size.",
)
@click.option(
    "--stack",
    "stack_name",
    metavar="NAME",
    help=f"Size the model as this stack runs it (KV cache, dtype): vllm, transformers, embeddings, "
    f"diffusers [default: {SIZING_STACK}].",
)
@click.option("--dtype", metavar="DTYPE", help="The weights' dtype: bf16, fp16, fp8, int8, int4, fp32.")
@click.option(
    "--max-model-len", metavar="N", help="Tokens of context to size the KV cache for (vllm, transformers)."
)
@click.option("--train-method", metavar="METHOD",
              help="Size fine-tuning the model instead of serving it: lora, qlora or full.")  # fmt: skip
@click.option("--seq-len", metavar="N",
              help=f"Tokens per training sequence [default: {train_sizing.DEFAULT_SEQ_LEN}].")  # fmt: skip
@click.option("--batch-size", metavar="N",
              help=f"Sequences per GPU per step [default: {train_sizing.DEFAULT_BATCH_SIZE}].")  # fmt: skip
@click.option("--gradient-checkpointing/--no-gradient-checkpointing", "checkpointing", default=None,
              help="Recompute activations in the backward pass, not keep them [default: "
                   f"{'on' if train_sizing.DEFAULT_GRADIENT_CHECKPOINTING else 'off'}].")  # fmt: skip
@click.option("--parallel", metavar="HOW",
              help="How several GPUs share a training run: ddp (each holds it all) or fsdp (sharded) "
                   "[default: ddp for lora and qlora, fsdp for full].")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="JSON instead of text.")
def gpus(gpus_asked: tuple[str, ...], hours: float | None, model: str | None, model_params: str | None,
         stack_name: str | None, dtype: str | None, max_model_len: str | None, train_method: str | None,
         seq_len: str | None, batch_size: str | None, checkpointing: bool | None, parallel: str | None,
         as_json: bool) -> None:  # fmt: skip
    """The GPU table: VRAM, $/hr and the most per container; the cost of configurations; or the
    GPU shapes a model fits on.

    With --model, the parameter count comes from the Hub's metadata when it answers (2 s at most;
    never with HF_HUB_OFFLINE=1), else the model's name (7B, 0.5B, 8x7B), else --model-params; the
    need is weights + KV cache for one full context (vllm, transformers) + activations + overhead,
    against each shape's VRAM at the stack's usable fraction (0.90). --model-params alone sizes a
    model of that size, as the vllm stack runs it unless --stack says otherwise. With --gpu, whether
    the model fits each of those; with --hours, what each shape costs for that long.

    With --train-method, the shapes that fit fine-tuning the model instead: bf16 weights (NF4 for
    qlora), gradients and AdamW states for what is trained (all of it, or rank-16 LoRA adapters),
    activations for --batch-size x --seq-len tokens on each GPU; several GPUs only help with FSDP,
    which shards the model's state (--parallel; the default for full).

    \b
    Examples:
      modalgen gpus
      modalgen gpus --hours 10                 # the table with a cost column for 10 hours
      modalgen gpus --gpu H100:2 --hours 3     # prints 23.70
      modalgen gpus --gpu H100 --gpu A100-80GB --hours 10
      modalgen gpus --model Qwen/Qwen2.5-7B-Instruct
      modalgen gpus --model-params 70B --dtype fp8
      modalgen gpus --model meta-llama/Llama-3.1-70B-Instruct --gpu H100:2,H200 --json
      modalgen gpus --model-params 8B --train-method full
      modalgen gpus --model Qwen/Qwen2.5-7B --train-method qlora --gpu L4 --batch-size 1
    """
    checkpointing_flag = "--gradient-checkpointing" if checkpointing else "--no-gradient-checkpointing"
    training = {"--seq-len": seq_len, "--batch-size": batch_size, "--parallel": parallel,
                checkpointing_flag: checkpointing}  # fmt: skip
    if train_method is not None:
        from modalgen.cli.train_gpus import gpus_for_training, refuse_inference_flags

        refuse_inference_flags(stack_name, dtype, max_model_len)
        options = {"method": train_method, "seq_len": seq_len, "batch_size": batch_size,
                   "gradient_checkpointing": checkpointing, "parallel": parallel}  # fmt: skip
        gpus_for_training(model, model_params, options, gpus_asked, hours, as_json)
        return
    for option, value in training.items():  # a training flag sizes nothing without --train-method
        if value is not None:
            given = f'{option}: "{value}"' if isinstance(value, str) else option
            raise UserError(f"{given} sizes a training run; give --train-method lora, qlora or full with it")
    if model is not None or model_params is not None:
        _gpus_for_model(model, model_params, stack_name, dtype, max_model_len, gpus_asked, hours, as_json)
        return
    # Every flag does something or is refused: the sizing flags need a model to size.
    for option, value in (("--stack", stack_name), ("--dtype", dtype), ("--max-model-len", max_model_len)):
        if value is not None:
            raise UserError(
                f'{option}: "{value}" sizes a model; give --model REPO or --model-params N with it'
            )
    if gpus_asked:
        _price_shapes(gpus_asked, hours, as_json)
    else:
        _gpu_table(hours, as_json)


def _gpu_table(hours: float | None, as_json: bool) -> None:
    """Every GPU Modal offers: VRAM, $/hr, the most per container; with --hours, the cost."""
    import json

    from modalgen import catalog
    from modalgen.cli import report

    if not as_json:
        click.echo(report.gpu_table(hours))
        return
    cost = lambda price: None if hours is None or price is None else round(price * hours, 2)  # noqa: E731
    rows = [
        {"gpu": g.name, "aliases": list(g.aliases), "vram_gb": g.vram_gb, "max_count": g.max_count,
         "price_per_hour": g.price_per_hour, "cost": cost(g.price_per_hour)}
        for g in catalog.GPUS
    ]  # fmt: skip
    click.echo(json.dumps(rows, indent=2))


def _price_shapes(gpus_asked: tuple[str, ...], hours: float | None, as_json: bool) -> None:
    """What each configuration costs for --hours (one hour without): one figure for one shape."""
    import json

    from modalgen.answers.fields import parse_gpus

    choices = parse_gpus(list(gpus_asked))
    span = 1.0 if hours is None else hours
    costs = [(c, None if c.price_per_hour is None else round(c.price_per_hour * span, 2)) for c in choices]
    if as_json:
        click.echo(json.dumps([{"gpu": str(c), "count": c.count, "vram_gb": c.vram_gb,
                                "price_per_hour": c.price_per_hour, "hours": span, "cost": cost}
                               for c, cost in costs], indent=2))  # fmt: skip
        return
    if len(costs) == 1:
        click.echo("unknown" if costs[0][1] is None else f"{costs[0][1]:.2f}")
        return
    width = max(len(str(c)) for c, _ in costs)
    for c, cost in costs:
        click.echo(f"{str(c):<{width}}  {'unknown' if cost is None else f'{cost:.2f}'}")


def _gpus_for_model(model: str | None, model_params: str | None, stack_name: str | None, dtype: str | None,
                    max_model_len: str | None, gpus_asked: tuple[str, ...], hours: float | None,
                    as_json: bool) -> None:  # fmt: skip
    """`modalgen gpus --model` (or `--model-params` alone): the need, and the shapes that hold it, cheapest
    per hour first; with --gpu, whether each of those does."""

    from modalgen.answers.model import fitting_shapes

    stack_name = SIZING_STACK if stack_name is None else stack_name
    spec = _sizing_spec(model, model_params, stack_name, dtype, max_model_len)
    need, assumptions = _model_need(spec, model, model_params, stack_name)
    rows = _shapes_asked(need, stack_name, gpus_asked) if gpus_asked else fitting_shapes(spec, need)
    # Each row says what was sized and how, as the text's first two lines do.
    sized = {"model": need.repo, "params": need.params, "stack": stack_name, "dtype": need.dtype,
             "max_model_len": need.max_model_len}  # fmt: skip
    from modalgen.cli.gpu_rows import print_json, with_sizing

    if print_json(with_sizing(rows, sized, hours), as_json):
        return
    click.echo(f"sized {assumptions}")
    click.echo(need.arithmetic())
    if gpus_asked:  # the shapes asked about, each with whether it holds the model
        _shape_table(rows, hours, "fits")
        if not any(row["fits"] for row in rows):
            click.echo("None of these holds it; without --gpu, the shapes that do are listed.")
            sys.exit(1)
        return
    if not rows:
        smaller = " or --max-model-len" if need.max_model_len else ""
        click.echo(f"No GPU shape on Modal fits it: try a smaller --dtype (fp8, int4){smaller}.")
        sys.exit(1)
    _shape_table(rows, hours, "(cheapest first)")


def _sizing_spec(model, model_params, stack_name: str, dtype, max_model_len):
    """The Spec that sizing reads, each flag checked as `new` checks it."""
    from modalgen import catalog
    from modalgen.answers.fields import SpecError, check_dtype, check_max_model_len, check_model_params
    from modalgen.answers.spec import Spec
    from modalgen.catalog import sizing

    stack = catalog.STACK_BY_NAME.get(stack_name)
    if stack is None or not stack.sizing:
        sized = ", ".join(s.name for s in catalog.STACKS if s.sizing)
        raise SpecError("stack", stack_name, f"one of {sized}")
    with_kv = [s.name for s in catalog.STACKS if s.sizing and sizing.STACK_DEFAULTS[s.name]["kv"]]
    if max_model_len is not None and stack_name not in with_kv:
        raise SpecError("max_model_len", max_model_len, f"the {stack_name} stack keeps no KV cache to size: "
                        f"it goes with --stack {' or '.join(with_kv)}")  # fmt: skip
    spec = Spec(name="sizing", stack=stack_name, model_params=check_model_params(model_params),
                dtype=check_dtype(dtype), max_model_len=check_max_model_len(max_model_len))  # fmt: skip
    return spec if model is None else _with_model(spec, model)


def _model_need(spec, model, model_params, stack_name: str):
    """What the model needs in GPU memory, and the words for how it was sized."""
    from modalgen.answers import model as answers_model
    from modalgen.answers.fields import SpecError
    from modalgen.catalog import sizing

    if model is None:
        shape = sizing.ModelShape(f"a {model_params} model", sizing.parse_params(model_params), "flag",
                                  None, None, None)  # fmt: skip
        need = sizing.memory_need(shape, stack=stack_name, dtype=spec.dtype, max_model_len=spec.max_model_len)
        return need, _assumptions(need, stack_name)
    answers_model.HUB_LOOKUPS = True
    try:
        need = answers_model.model_need(spec)
    except SpecError as exc:  # `gpus` calls the model --model (`new` calls it --hf-model)
        raise (SpecError("--model", exc.value, exc.allowed) if exc.field == "hf_model" else exc) from None
    return need, f"as the {stack_name} stack runs it"


def _shapes_asked(need, stack_name: str, gpus_asked: tuple[str, ...]) -> list[dict]:
    """Whether each --gpu shape holds the model (all its GPUs where the stack splits it over them)."""
    from modalgen.answers.fields import parse_gpus
    from modalgen.answers.model import tensor_parallel
    from modalgen.catalog import sizing

    split = tensor_parallel(stack_name)
    return [
        {"gpu": choice.name, "count": choice.count, "vram_gb": choice.vram_gb,
         "need_gb": round(need.total_gb, 1),
         "fits": sizing.fits(need, choice.gpu.vram_gb, choice.count if split else 1),
         "price_per_hour": choice.price_per_hour}
        for choice in parse_gpus(list(gpus_asked))
    ]  # fmt: skip


def _with_model(spec, model: str):
    """The sizing Spec with --model, checked as `new` checks --hf-model but named as `gpus` names it."""
    import dataclasses

    from modalgen.answers.fields import SpecError, check_hf_model

    try:
        return dataclasses.replace(spec, hf_model=check_hf_model(model, allow_unpinned=True))
    except SpecError as exc:
        raise SpecError("--model", exc.value, exc.allowed) from None


def _assumptions(need, stack_name: str) -> str:
    """What sizing a bare parameter count assumes: the stack's dtype, context and usable VRAM."""
    kv = (f", a KV cache for {need.max_model_len:,} tokens (estimated from the size)"
          if need.max_model_len else ", no KV cache")  # fmt: skip
    return (f"as the {stack_name} stack runs a model: {need.dtype} weights{kv}, {need.usable_fraction:.2f} "
            "of each GPU's memory usable (--stack, --dtype, --max-model-len change these)")  # fmt: skip


def _shape_table(rows: list[dict], hours: float | None, last: str) -> None:
    """One line per GPU shape: VRAM, $/hr, the cost for --hours, and `last`: whether it fits, or the order."""
    from modalgen.plan import build as plan

    names = [plan.shape_text(r).split(" (")[0] for r in rows]
    width = max(len("shape"), *(len(n) for n in names))
    cost_head = f"  {f'{hours:g} h':>8}" if hours is not None else ""
    click.echo(f"{'shape':<{width}}  {'VRAM':>7}  {'$/hr':>5}{cost_head}  " + last)
    for name, row in zip(names, rows, strict=True):
        price = "n/a" if row["price_per_hour"] is None else f"{row['price_per_hour']:.2f}"
        line = f"{name:<{width}}  {row['vram_gb']:>4} GB  {price:>5}"
        if hours is not None:
            line += f"  {'n/a' if row['cost'] is None else format(row['cost'], '.2f'):>8}"
        if last == "fits":
            line += "  " + ("yes" if row["fits"] else "no")
        click.echo(line)
