"""A fake engine for `make test`: the interface of core.TextToImage, no torch, no model.

It answers a real PNG (solid grey) of the size asked for, so callers can decode it.
"""

import struct
import zlib


def solid_png(width: int, height: int, rgb: tuple[int, int, int] = (128, 128, 128)) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + bytes(rgb) * width  # each row: filter type 0, then RGB pixels
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


class FakeTextToImage:
    def __init__(self):
        self.device = "cpu"

    def to(self, device: str) -> "FakeTextToImage":
        self.device = device
        return self

    def generate(self, prompt: str, size: int, steps: int) -> dict:
        return {"png": solid_png(size, size), "width": size, "height": size}


def load_engine(device: str, target: str | None = None) -> FakeTextToImage:
    return FakeTextToImage().to(device)
