def check_answer(result: dict, text: str) -> None:
    """What every answer of the core must hold: generated text, a token count, the device."""
    assert isinstance(result["text"], str) and result["tokens"] >= 1, result
    assert result["device"]["count"] == len(result["device"]["gpus"])
