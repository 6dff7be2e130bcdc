"""A small real HTTP server on 127.0.0.1 that answers like an OpenAI-compatible endpoint, as scripted.

Shared by the endpoint backend's tests and the plugin's --endpoint tests: register the `server`
fixture with `pytest_plugins = ["tests.endpoint_helpers"]` or import it by name.
"""
from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


class Scripted:
    """What the loopback server answers: a queue of (status, headers, body) per request, then `default`.

    Completions with echo get a toy model's logprobs: whitespace-led tokens, logprob = -len(token).
    """

    def __init__(self) -> None:
        self.queue: list[tuple[int, dict[str, str], str]] = []
        self.default: tuple[int, dict[str, str], str] | None = None
        self.delay = 0.0
        self.seen: list[dict[str, Any]] = []
        self.models = ["toy"]
        self.late = False  # echo logprobs one position late, as llama-cpp-python 0.3.x does
        self.in_flight = 0
        self.max_in_flight = 0
        self.lock = threading.Lock()

    def answer(self, method: str, path: str, headers: dict[str, str], body: dict[str, Any]) -> tuple[int, dict[str, str], str]:
        with self.lock:
            self.seen.append({"method": method, "path": path, "headers": headers, "body": body})
            scripted = self.queue.pop(0) if self.queue else self.default
        if self.delay:
            time.sleep(self.delay)
        if scripted is not None:
            return scripted
        if path == "/v1/models":
            return 200, {}, json.dumps({"data": [{"id": m} for m in self.models]})
        if path == "/v1/completions" and body.get("echo"):
            text = body["prompt"]
            toks = re.findall(r"\s*\S+|\s+", text)
            offs, pos = [], 0
            for t in toks:
                offs.append(pos)
                pos += len(t)
            lps: list[float | None] = [None] + [-float(len(t)) for t in toks[1:]]
            # The toy's most likely token at each position is the one written there (or, late, the next one).
            tops: list[dict[str, float] | None]
            if self.late:
                tops = [{t: -0.1} for t in [*toks[1:], "<eos>"]]
            else:
                tops = [None, *({t: -0.1} for t in toks[1:])]
            lp = {"tokens": [*toks, "<eos>"], "token_logprobs": [*lps, -0.5], "text_offset": [*offs, len(text)],
                  "top_logprobs": [*tops, {"<eos>": -0.5}]}
            return 200, {}, json.dumps({"choices": [{"text": text, "logprobs": lp}]})
        if path == "/v1/completions":
            return 200, {}, json.dumps({"choices": [{"text": f"echo:{body['prompt'][-12:]}|t={body['temperature']}"}]})
        if path == "/v1/chat/completions":
            last = body["messages"][-1]["content"]
            return 200, {}, json.dumps({"choices": [{"message": {"role": "assistant", "content": f"chat:{last}"}}]})
        return 404, {}, "no such route"


@pytest.fixture
def server() -> Iterator[tuple[str, Scripted]]:
    script = Scripted()

    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            n = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(n) or b"{}") if n else {}
            with script.lock:
                script.in_flight += 1
                script.max_in_flight = max(script.max_in_flight, script.in_flight)
            try:
                status, headers, text = script.answer(self.command, self.path, dict(self.headers), body)
            finally:
                with script.lock:
                    script.in_flight -= 1
            data = text.encode()
            try:
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):  # the client timed out and left
                pass

        do_GET = do_POST = _serve

        def log_message(self, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", script
    finally:
        httpd.shutdown()
        httpd.server_close()
