"""Fakes of vLLM for the tests, standard library only.

`load_engine` gives `make test` the interface of core.VLLMServer without a server. Run as a
program, this file is a stand-in for `vllm serve` (`python fake_engine.py serve MODEL --port N ...`):
the OpenAI-compatible routes on a CPU, for the client path in `make test-model`. Both echo the
prompt word by word, a word a token.
"""

import argparse
import json
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def echo(prompt: str, max_tokens: int) -> list[str]:
    words = f"echo: {prompt}".split()[:max_tokens]
    return [word if i == 0 else " " + word for i, word in enumerate(words)]


class FakeVLLMServer:
    def __init__(self):
        self.device = "cpu"

    def to(self, device: str) -> "FakeVLLMServer":
        self.device = device
        return self

    def chat(self, prompt: str, max_tokens: int = 128) -> dict:
        pieces = echo(prompt, max_tokens)
        return {"text": "".join(pieces), "tokens": len(pieces)}

    def close(self) -> None:
        pass


def load_engine(device: str, target: str | None = None) -> FakeVLLMServer:
    return FakeVLLMServer().to(device)


def chunk(delta: dict, **extra) -> dict:
    """One event of a streamed reply (an OpenAI chat.completion.chunk)."""
    return {"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": delta, **extra}]}


def handler(served_name: str, ready_at: float) -> type[BaseHTTPRequestHandler]:
    class OpenAICompatible(BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path == "/health":  # vLLM: 200 once the engine is up
                self.send_json(200 if time.monotonic() >= ready_at else 503, {})
            elif self.path == "/v1/models":
                self.send_json(200, {"object": "list", "data": [{"id": served_name}]})
            else:
                self.send_error_json(404, f"no route {self.path}")

        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            if self.path != "/v1/chat/completions" or body.get("model") != served_name:
                return self.send_error_json(404, f"no model {body.get('model')} at {self.path}")
            pieces = echo(body["messages"][-1]["content"], body.get("max_tokens") or 128)
            usage = {"completion_tokens": len(pieces)}
            if not body.get("stream"):
                message = {"role": "assistant", "content": "".join(pieces)}
                return self.send_json(200, {"choices": [{"message": message}], "usage": usage})
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            # The role first, then the text, the finish reason, and the usage if the client asked.
            events = [chunk({"role": "assistant"})]
            events += [chunk({"content": piece}) for piece in pieces]
            events.append(chunk({}, finish_reason="stop"))
            if (body.get("stream_options") or {}).get("include_usage"):
                events.append({"choices": [], "usage": usage})
            for event in events:
                self.wfile.write(f"data: {json.dumps(event)}\n\n".encode())
            self.wfile.write(b"data: [DONE]\n\n")

        def send_json(self, status: int, payload: dict) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def send_error_json(self, status: int, message: str) -> None:
            error = {"message": message}
            self.send_json(status, {"error": error})

        def log_message(self, *args):
            pass  # no access log in the tests' output

    return OpenAICompatible


def main() -> None:
    """`vllm serve MODEL --served-model-name ... --host ... --port ...`; other flags are ignored."""
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["serve"])
    parser.add_argument("model")
    parser.add_argument("--served-model-name")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--startup-delay", type=float, default=0.0)  # answer 503 until then
    args, _ = parser.parse_known_args()
    served_name = args.served_model_name or args.model
    ready_at = time.monotonic() + args.startup_delay
    ThreadingHTTPServer((args.host, args.port), handler(served_name, ready_at)).serve_forever()


if __name__ == "__main__":
    main()
