"""A fake engine for `make test`: the interface of core.CausalLM, no torch, no model."""


class FakeCausalLM:
    def __init__(self):
        self.device = "cpu"

    def to(self, device: str) -> "FakeCausalLM":
        self.device = device
        return self

    def generate(self, prompt: str, max_new_tokens: int = 128) -> dict:
        words = f"echo: {prompt}".split()[:max_new_tokens]
        return {"text": " ".join(words), "tokens": len(words)}


def load_engine(device: str, target: str | None = None) -> FakeCausalLM:
    return FakeCausalLM().to(device)
