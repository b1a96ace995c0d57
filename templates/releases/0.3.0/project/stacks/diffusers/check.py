def check_answer(result: dict, text: str) -> None:
    """What every answer of the core must hold: a PNG whose header gives its size, the device.

    Over HTTP the answer is the PNG and the device only: then the size is read, not compared.
    """
    import struct

    png = result["png"]
    assert png[:8] == b"\x89PNG\r\n\x1a\n", png[:16]
    length, kind, width, height = struct.unpack(">I4sII", png[8:24])  # IHDR comes first
    assert (length, kind) == (13, b"IHDR") and width >= 1 and height >= 1
    if "width" in result:
        assert (width, height) == (result["width"], result["height"])
    assert result["device"]["count"] == len(result["device"]["gpus"])
