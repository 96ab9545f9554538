"""Every error code the spine can produce, and that a session survives bad input."""
import json
import uuid

import pytest

from parley import Server, text_message


def test_bad_frames_get_bad_request_and_the_session_survives(server):
    socket = server.register().connect()
    socket.send_raw("{not json")
    error = socket.expect(lambda f: f["type"] == "error")
    assert error["data"]["code"] == "bad_request"
    assert set(error["data"]) >= {"code", "message"}

    socket.send({"type": "teleport", "requestId": "t1", "data": {}})
    unknown = socket.expect(lambda f: f.get("requestId") == "t1")
    assert unknown["type"] == "error" and unknown["data"]["code"] == "bad_request"
    assert "teleport" in unknown["data"]["message"]

    missing = socket.request("message", {"conversationType": "private", "receiverId": "1",
                                         "contentType": "text", "content": {"text": "x"}})
    assert missing["data"]["code"] == "bad_request" and "localId" in missing["data"]["message"]

    wrong = socket.request("history", {"conversationId": "p_1_2", "afterSeq": "ten"})
    assert wrong["data"]["code"] == "bad_request" and "afterSeq" in wrong["data"]["message"]

    no_data = socket.request("recall")
    assert no_data["data"]["code"] == "bad_request" and "data" in no_data["data"]["message"]

    bad_content = socket.request("message", text_message("1", "x", content={"text": 5}))
    assert bad_content["data"]["code"] == "bad_request"

    socket.conn.send(b"\x00\x01binary")
    assert socket.expect(lambda f: f["type"] == "error")["data"]["code"] == "bad_request"

    assert socket.request("ping")["type"] == "pong"


def test_ping_pong_echoes_request_id(server):
    socket = server.register().connect()
    socket.send({"type": "ping", "requestId": "hb-1"})
    pong = socket.expect(lambda f: f["type"] == "pong")
    assert pong["requestId"] == "hb-1"


@pytest.fixture(scope="module")
def tight():
    node = Server("--max-frame-bytes", "2048", "--max-text-length", "100",
                  "--message-rate", "0.5", "--message-burst", "3").start()
    yield node
    node.cleanup()


def test_oversized_frame_and_text_are_too_large(tight):
    alice, bob = tight.register(), tight.register()
    socket = alice.connect()
    socket.send({"type": "message", "requestId": "big",
                 "data": text_message(bob.id, "x" * 4000)})
    big = socket.expect(lambda f: f["type"] == "error")
    assert big["data"]["code"] == "too_large"
    long_text = socket.request("message", text_message(bob.id, "字" * 101))
    assert long_text["data"]["code"] == "too_large"
    fits = socket.request("message", text_message(bob.id, "字" * 100))
    assert fits["type"] == "ack"


def test_message_rate_is_limited_with_a_retry_hint(tight):
    alice, bob = tight.register(), tight.register()
    socket = alice.connect()
    replies = [socket.request("message", text_message(bob.id, f"n{i}")) for i in range(5)]
    kinds = [r["type"] for r in replies]
    assert kinds[:3] == ["ack", "ack", "ack"]
    limited = [r for r in replies if r["type"] == "error"]
    assert limited and all(r["data"]["code"] == "rate_limited" for r in limited)
    assert limited[0]["data"]["retryAfterMs"] > 0
    # Other requests are not rate limited, and the session stays usable.
    assert socket.request("ping")["type"] == "pong"


def test_http_errors_have_code_and_message(server):
    user = server.register()
    r = user.get("/v1/nothing-here")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    r = user.post("/v1/messages", {"contentType": "text", "content": {"text": "x"}, "localId": uuid.uuid4().hex})
    assert r.status_code == 400 and r.json()["error"]["code"] == "bad_request"
    r = user.post("/v1/messages", text_message("424242", "x"))
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    big = user.post("/v1/messages", text_message("1", "x" * 300_000))
    assert big.status_code == 413 and big.json()["error"]["code"] == "too_large"
    assert json.loads(r.text)["error"]["message"]


def test_a_connection_that_sends_nothing_is_closed():
    """A socket opened and left silent (slowloris) is closed after --handshake-timeout."""
    import socket
    import time
    from parley import Server
    node = Server("--handshake-timeout", "1").start()
    try:
        silent = socket.create_connection(("127.0.0.1", node.port), timeout=10)
        started = time.monotonic()
        assert silent.recv(1) == b"", "the server closes it"
        assert time.monotonic() - started < 5
        # A client that does send is served as usual.
        assert node.get("/healthz").status_code == 200
    finally:
        node.cleanup()
