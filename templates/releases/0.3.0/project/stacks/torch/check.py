def check_answer(result: dict, text: str) -> None:
    """What every answer of the core must hold: the likeliest label, a distribution, the device."""
    import math

    scores = result["scores"]
    assert result["label"] == max(scores, key=scores.__getitem__), result
    assert all(0 <= p <= 1 for p in scores.values()), scores
    assert math.isclose(sum(scores.values()), 1, abs_tol=1e-4), scores
    assert result["device"]["count"] == len(result["device"]["gpus"])
