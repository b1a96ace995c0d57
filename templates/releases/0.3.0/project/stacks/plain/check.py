def check_answer(result: dict, text: str) -> None:
    """What every answer of the core must hold, for this text."""
    assert (result["input"], result["chars"]) == (text, len(text))
    assert result["words"] == len(text.split())
    assert result["device"]["count"] == len(result["device"]["gpus"])
