"""A fake engine for `make test`: the interface of core.Embedder, no torch, no model."""

import hashlib
import math


class FakeEmbedder:
    dimension = 8

    def __init__(self):
        self.device = "cpu"

    def to(self, device: str) -> "FakeEmbedder":
        self.device = device
        return self

    def embed(self, texts: list[str]) -> list[list[float]]:
        vectors = []
        for text in texts:  # the same vector for the same text, unit length like the real one
            digest = hashlib.sha256(text.encode()).digest()
            raw = [byte - 127.5 for byte in digest[: self.dimension]]
            norm = math.sqrt(sum(x * x for x in raw))
            vectors.append([x / norm for x in raw])
        return vectors


def load_engine(device: str, target: str | None = None) -> FakeEmbedder:
    return FakeEmbedder().to(device)
