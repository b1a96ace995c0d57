"""A fake engine for `make test`: the interface of core.Classifier, no torch, no weights."""


class FakeClassifier:
    labels = ["negative", "positive"]

    def __init__(self):
        self.device = "cpu"

    def to(self, device: str) -> "FakeClassifier":
        self.device = device
        return self

    def predict(self, texts: list[str]) -> list[dict]:
        results = []
        for text in texts:
            positive = 0.9 if {"good", "great"} & set(text.lower().split()) else 0.1
            scores = {"negative": 1 - positive, "positive": positive}
            results.append({"label": max(scores, key=scores.__getitem__), "scores": scores})
        return results


def load_engine(device: str, target: str | None = None) -> FakeClassifier:
    return FakeClassifier().to(device)
