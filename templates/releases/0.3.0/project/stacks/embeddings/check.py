def check_answer(result: dict, text: str) -> None:
    """What every answer of the core must hold: a unit-length vector of its dimension, the device."""
    import math

    vector = result["embedding"]
    assert len(vector) == result["dimension"] >= 1, result["dimension"]
    assert all(isinstance(x, float) for x in vector)
    assert math.isclose(math.sqrt(sum(x * x for x in vector)), 1, abs_tol=1e-3)
    assert result["device"]["count"] == len(result["device"]["gpus"])
