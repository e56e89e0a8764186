"""The optional generator: markers to unknown passages are dropped; errors keep the extractive answer."""

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from assistant.answer.generation import Generator
from assistant.records import Answer, Citation


@pytest.fixture
def fake_llm():
    replies = {"text": ""}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            assert body["messages"][0]["role"] == "system"
            out = json.dumps({"choices": [{"message": {"content": replies["text"]}}]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(out)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1", replies
    server.shutdown()


def answer():
    c = Citation(1, "d.txt", "T", ("S",), "2022년 예산은 98,450천원", (0, 10), 0, 10, 1)
    return Answer("2022년 예산은?", "98,450천원 [1]", False, (c,))


def test_rewrite_keeps_only_known_markers(fake_llm):
    url, replies = fake_llm
    replies["text"] = "2022년 예산은 98,450천원입니다 [1][3]."
    out = Generator(url, "m").rewrite(answer())
    assert out.text == "2022년 예산은 98,450천원입니다 [1]." and "generate_ms" in out.timings


def test_uncited_or_failed_rewrites_keep_the_extractive_answer(fake_llm):
    url, replies = fake_llm
    replies["text"] = "아마 10억 원쯤 됩니다."
    assert Generator(url, "m").rewrite(answer()).text == "98,450천원 [1]"
    assert Generator("http://127.0.0.1:9/v1", "m", timeout=0.5).rewrite(answer()).text == "98,450천원 [1]"
