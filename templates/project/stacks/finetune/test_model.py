{% include "stacks/transformers/test_model.py" %}
{% if "train" in plan.kinds %}


def test_serves_what_a_training_run_left_in_the_volume(tiny, monkeypatch, tmp_path):
    """A few LoRA steps on the tiny model, then the inference code loads the adapter the run exported
    (the base model's revision recorded beside it) and answers with it merged in."""
    from {{ plan.package }} import train

    monkeypatch.setattr(core, "RUNS_DIR", str(tmp_path / "runs"))
    monkeypatch.setattr(core, "ADAPTER_RUN", "tuned")
    base = core.load_model(device="cpu")  # no run yet: the base model
    summary = train.train_loop(tmp_path / "runs" / "tuned", 6, 3)
    exported = tmp_path / "runs" / "tuned" / summary["result"]
    assert TINY_REVISION in (exported / "base_model.json").read_text()
    core.model.cache_clear()
    tuned = core.load_model(device="cpu")
    check_answer(tuned("Hello"), "Hello")
    prompt = base.engine.tokenizer("Hello there", return_tensors="pt")
    before = base.engine.model(**prompt).logits
    after = tuned.engine.model(**prompt).logits
    assert not torch_equal(before, after)  # the adapter changed what the model says


def torch_equal(a, b) -> bool:
    import torch

    return bool(torch.equal(a, b))
{% endif %}
