"""The pre-send webhook: allow, rewrite, reject, and what a timeout does (fail open or closed)."""
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from parley import Server, text_message


class Hook:
    """A webhook on a loopback port whose answer depends on the message text."""

    def __init__(self):
        self.seen = []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                hook.seen.append(body)
                text = body["message"]["content"].get("text", "")
                if text.startswith("slow"):
                    time.sleep(3)
                if text.startswith("crash"):
                    self.send_response(500)
                    self.end_headers()
                    return
                if text.startswith("reject"):
                    answer = {"action": "reject", "reason": "not today"}
                elif text.startswith("rewrite"):
                    answer = {"action": "rewrite", "content": {"text": "[rewritten by policy]"}}
                else:
                    answer = {"action": "allow"}
                data = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/before-send"

    def close(self):
        self.server.shutdown()


@pytest.fixture(scope="module")
def hook():
    h = Hook()
    yield h
    h.close()


def test_allow_rewrite_and_reject(hook):
    node = Server("--webhook-url", hook.url, "--webhook-timeout-ms", "1000").start()
    try:
        alice, bob = node.register(), node.register()
        a, b = alice.connect(), bob.connect()
        assert a.request("message", text_message(bob.id, "hello"))["type"] == "ack"
        assert b.message(seq=1)["data"]["content"] == {"text": "hello"}
        seen = hook.seen[-1]
        assert seen["event"] == "message.before_send" and seen["message"]["senderId"] == alice.id
        assert seen["message"]["contentType"] == "text" and seen["message"]["conversationType"] == "private"

        assert a.request("message", text_message(bob.id, "rewrite me"))["type"] == "ack"
        assert b.message(seq=2)["data"]["content"] == {"text": "[rewritten by policy]"}

        refused = a.request("message", text_message(bob.id, "reject me"))
        assert refused["type"] == "error" and refused["data"]["code"] == "forbidden" and "not today" in refused["data"]["message"]
        # Timeouts and failures let messages through by default (fail open).
        assert a.request("message", text_message(bob.id, "slow but fine"))["type"] == "ack"
        assert a.request("message", text_message(bob.id, "crash the hook"))["type"] == "ack"
    finally:
        node.cleanup()


def test_fail_closed_refuses_when_the_hook_does_not_answer(hook):
    node = Server("--webhook-url", hook.url, "--webhook-timeout-ms", "1000", "--webhook-fail-open", "false").start()
    try:
        alice, bob = node.register(), node.register()
        a = alice.connect()
        started = time.monotonic()
        refused = a.request("message", text_message(bob.id, "slow and refused"))
        assert refused["type"] == "error" and refused["data"]["code"] == "internal"
        assert time.monotonic() - started < 2.8, "the timeout, not the hook, decides"
        assert a.request("message", text_message(bob.id, "crash again"))["data"]["code"] == "internal"
        assert a.request("message", text_message(bob.id, "fine"))["type"] == "ack"
        history = a.request("history", {"conversationId": f"p_{min(alice.id, bob.id)}_{max(alice.id, bob.id)}", "afterSeq": 0})
        assert [m["content"]["text"] for m in history["data"]["messages"]] == ["fine"], "nothing refused was stored"
    finally:
        node.cleanup()
