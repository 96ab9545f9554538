"""The event webhook: message events posted through the durable task queue, retried with
backoff, dead-lettered after the last attempt, and not lost when the node stops."""
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from parley import Server, text_message

ADMIN = "admin-token-for-tests-0123456789"


class Receiver:
    """An event endpoint on a loopback port. It refuses events while `down`, refuses a
    `flaky` message's event twice, and always refuses a `never` message's event."""

    def __init__(self):
        self.calls = []  # (event id, attempt, body, status answered)
        self.down = False
        self.lock = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                text = (body.get("message") or {}).get("content", {}).get("text", "")
                attempt = int(self.headers["Parley-Attempt"])
                if receiver.down or text == "never" or (text == "flaky" and attempt < 3):
                    status = 503 if text != "never" else 500
                else:
                    status = 200
                with receiver.lock:
                    receiver.calls.append((self.headers["Parley-Event-Id"], attempt, body, status))
                    receiver.lock.notify_all()
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/events"

    def taken(self):
        """Events answered 2xx, by event id."""
        with self.lock:
            return {event_id: body for event_id, _, body, status in self.calls if status == 200}

    def wait(self, condition, timeout=20):
        deadline = time.monotonic() + timeout
        with self.lock:
            while not condition(self.calls):
                remaining = deadline - time.monotonic()
                assert remaining > 0, f"receiver never saw it; calls: {[(c[0], c[1], c[3]) for c in self.calls]}"
                self.lock.wait(remaining)

    def close(self):
        self.server.shutdown()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def event_node(receiver, *extra, **kwargs):
    return Server("--event-webhook-url", receiver.url, "--task-attempts", "3", "--task-backoff-ms", "100",
                  "--admin-token", ADMIN, *extra, **kwargs)


def sent_texts(events):
    return sorted(e["message"]["content"]["text"] for e in events.values() if e["event"] == "message.sent")


def test_message_events_are_posted_retried_and_dead_lettered(receiver):
    node = event_node(receiver).start()
    try:
        alice, bob = node.register(), node.register()
        a = alice.connect()
        hello = a.request("message", text_message(bob.id, "hello"))["data"]
        a.request("message", text_message(bob.id, "flaky"))
        a.request("message", text_message(bob.id, "never"))
        a.request("message", text_message(bob.id, "hello", local_id=hello["localId"]))  # a retry: no second event
        a.request("edit", {"conversationId": hello["conversationId"], "messageId": hello["messageId"], "content": {"text": "hello!"}})
        a.request("recall", {"conversationId": hello["conversationId"], "messageId": hello["messageId"]})

        receiver.wait(lambda calls: len([c for c in calls if c[3] == 200]) == 4)
        taken = receiver.taken()
        assert sent_texts(taken) == ["flaky", "hello"]
        sent = next(e for e in taken.values() if e["event"] == "message.sent" and e["message"]["content"]["text"] == "hello")
        assert sent["message"]["messageId"] == hello["messageId"] and sent["message"]["seq"] == 1
        assert sent["message"]["senderId"] == alice.id and sent["message"]["conversationId"] == hello["conversationId"]
        edited = next(e for e in taken.values() if e["event"] == "message.edited")
        assert edited["messageId"] == hello["messageId"] and edited["content"] == {"text": "hello!"}
        recalled = next(e for e in taken.values() if e["event"] == "message.recalled")
        assert recalled["messageId"] == hello["messageId"] and recalled["recalledBy"] == alice.id
        assert all(event_id == e["eventId"] and e["timestamp"] > 0 for event_id, e in taken.items())

        # The flaky event: three runs of one event id, the backoff growing between them.
        flaky = [c for c in receiver.calls if (c[2].get("message") or {}).get("content", {}).get("text") == "flaky"]
        assert [c[1] for c in flaky] == [1, 2, 3] and len({c[0] for c in flaky}) == 1

        # The never-taken event: three runs, then the dead letters, readable by the operator.
        def dead_letters():
            return node.call("GET", "/v1/admin/tasks/dead", token=ADMIN).json()
        deadline = time.monotonic() + 20
        while not dead_letters()["tasks"]:
            assert time.monotonic() < deadline, "the failing event was never dead-lettered"
            time.sleep(0.05)
        answer = dead_letters()
        [dead] = answer["tasks"]
        assert dead["kind"] == "webhook.event" and dead["attempts"] == 3 and "500" in dead["error"]
        assert json.loads(dead["payload"])["message"]["content"] == {"text": "never"}
        assert answer["counts"]["dead"] == 1 and answer["counts"]["completed"] == 4
        assert len([c for c in receiver.calls if c[0] == dead["id"]]) == 3
        assert node.call("GET", "/v1/admin/tasks/dead?limit=0", token=ADMIN).status_code == 400
        assert node.call("GET", "/v1/admin/tasks/dead").status_code == 401
        metrics = node.get("/metrics").text
        assert "parley_tasks_dead_total 1" in metrics and "parley_tasks_completed_total 4" in metrics
    finally:
        node.cleanup()


def test_queued_events_survive_a_restart(receiver):
    # Ten attempts a long second apart: the node stops while the events still wait.
    node = Server("--event-webhook-url", receiver.url, "--task-attempts", "10", "--task-backoff-ms", "1000").start()
    try:
        alice, bob = node.register(), node.register()
        receiver.down = True
        a = alice.connect()
        for i in range(5):
            a.request("message", text_message(bob.id, f"while down {i}"))
        receiver.wait(lambda calls: len(calls) >= 5)
        node.stop()
        receiver.down = False
        node.start()
        receiver.wait(lambda calls: len([c for c in calls if c[3] == 200]) == 5)
        assert sent_texts(receiver.taken()) == [f"while down {i}" for i in range(5)]
    finally:
        node.cleanup()


def test_event_webhook_settings_are_checked(tmp_path):
    import subprocess
    from parley import BINARY
    for bad in (["--event-webhook-url", "ftp://x"], ["--task-attempts", "0"], ["--task-backoff-ms", "1"]):
        result = subprocess.run([BINARY, "serve", "--host", "127.0.0.1", "--port", "0", "--data-dir", str(tmp_path), *bad],
                                capture_output=True, text=True, timeout=30)
        assert result.returncode != 0, bad
