"""Hardening of the read path and of sessions: history, sync and search are rate limited per
session and per user, a client that does not read is cut off by bytes as well as by frames,
and WebSocket ping frames keep a session alive."""
import json
import os
import struct
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from websockets.exceptions import ConnectionClosed

from parley import Server, text_message
from test_guardrails import metric
from test_sessions import open_raw_websocket

# A small read budget, so the limit shows however slowly a loaded machine serves: with the
# defaults (300, 30/s) 1,000 requests served in over 23 s never reach it (seen on PostgreSQL).
READ_BURST = 40
READ_RATE = 2      # per second


@pytest.fixture(scope="module")
def reads():
    node = Server("--read-burst", str(READ_BURST), "--read-rate", str(READ_RATE)).start()
    yield node
    node.cleanup()


def conversation_with(server, messages=1):
    alice, bob = server.register(), server.register()
    a = alice.connect()
    for i in range(messages):
        ack = a.request("message", text_message(bob.id, f"m{i}"))
        assert ack["type"] == "ack", ack
    return alice, bob, ack["data"]["conversationId"]


def flood(sock, type_, data, count=1000, window=50):
    """Sends `count` requests, `window` at a time, and collects the replies until the session ends."""
    replies, close_code = [], None
    started = time.monotonic()
    try:
        for start in range(0, count, window):
            ids = [f"{type_}-{i}-{uuid.uuid4().hex[:4]}" for i in range(start, start + window)]
            for rid in ids:
                sock.send({"type": type_, "requestId": rid, "data": data})
            for rid in ids:
                replies.append(sock.expect(lambda f, r=rid: f.get("requestId") == r, timeout=30))
    except ConnectionClosed as closed:
        close_code = closed.rcvd.code if closed.rcvd else None
    return replies, close_code, time.monotonic() - started


def check_read_limit(replies, close_code, elapsed, type_):
    served = [r for r in replies if r["type"] == type_]
    limited = [r for r in replies if r["type"] == "error" and r["data"]["code"] == "rate_limited"]
    assert len(served) + len(limited) == len(replies), [r for r in replies if r not in served and r not in limited][:3]
    assert limited, f"{len(served)} {type_} requests in {elapsed:.1f}s and none was rate limited"
    assert all(r["type"] == type_ for r in replies[:READ_BURST]), "the burst was not served"
    assert len(served) <= READ_BURST + READ_RATE * elapsed + 1, (len(served), elapsed)
    assert limited[0]["data"]["retryAfterMs"] > 0
    # A client that keeps ignoring the limit may be closed for it (1008), never otherwise.
    assert close_code in (None, 1008), close_code


def test_history_requests_on_a_socket_are_rate_limited_after_the_burst(reads):
    alice, _, cid = conversation_with(reads)
    sock = alice.connect("reader")
    replies, close_code, elapsed = flood(sock, "history", {"conversationId": cid, "afterSeq": 0}, count=300)
    check_read_limit(replies, close_code, elapsed, "history")


def test_sync_requests_on_a_socket_are_rate_limited_after_the_burst(reads):
    alice, _, _ = conversation_with(reads)
    sock = alice.connect("reader")
    replies, close_code, elapsed = flood(sock, "sync", {"since": 0, "notificationsAfter": 0}, count=300)
    check_read_limit(replies, close_code, elapsed, "sync")


def test_the_read_limit_is_per_user_across_sessions():
    """More sockets do not multiply a user's reads; another user is not affected."""
    node = Server("--read-burst", "5", "--read-rate", "0.01").start()
    try:
        per_user(node)
    finally:
        node.cleanup()


def per_user(server):
    alice, bob, cid = conversation_with(server)
    greedy, other = alice.connect("greedy"), alice.connect("other", "desktop")
    replies, _, _ = flood(greedy, "history", {"conversationId": cid, "afterSeq": 0}, count=20, window=5)
    assert any(r["type"] == "error" and r["data"]["code"] == "rate_limited" for r in replies)
    limited = other.request("history", {"conversationId": cid, "afterSeq": 0})
    assert limited["type"] == "error" and limited["data"]["code"] == "rate_limited", limited
    assert bob.connect("bobs").request("history", {"conversationId": cid, "afterSeq": 0})["type"] == "history"
    # Other kinds of request are not read requests.
    assert other.request("ping")["type"] == "pong"


@pytest.fixture(scope="module")
def few_reads():
    """A small read budget, so the limit shows however slowly a loaded machine answers."""
    node = Server("--read-burst", "20", "--read-rate", "1").start()
    yield node
    node.cleanup()


@pytest.mark.parametrize("path", ["/v1/conversations/{cid}/messages", "/v1/sync", "/v1/search/messages?q=m0"])
def test_reads_over_http_are_rate_limited_per_user(few_reads, path):
    server = few_reads
    alice, bob, cid = conversation_with(server)
    url = server.http + path.format(cid=cid)
    headers = {"Authorization": f"Bearer {alice.token}"}
    started = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: requests.get(url, headers=headers, timeout=30), range(100)))
    elapsed = time.monotonic() - started
    statuses = [a.status_code for a in answers]
    assert set(statuses) <= {200, 429}, statuses
    limited = [a for a in answers if a.status_code == 429]
    assert limited, f"100 reads of {path} in {elapsed:.1f}s and none was rate limited"
    assert limited[0].json()["error"]["code"] == "rate_limited" and int(limited[0].headers["Retry-After"]) >= 1
    assert statuses.count(200) <= 20 + 1 * elapsed + 1, (statuses.count(200), elapsed)
    # Per user: Bob reads on.
    assert bob.get(path.format(cid=cid)).status_code == 200


def test_read_rate_flags():
    node = Server("--read-burst", "3", "--read-rate", "0.01").start()
    try:
        alice, bob, cid = conversation_with(node)
        sock = alice.connect()
        kinds = [sock.request("history", {"conversationId": cid, "afterSeq": 0})["type"] for _ in range(4)]
        assert kinds == ["history", "history", "history", "error"]
        # The socket and HTTP draw on one bucket per user: Alice has none left, Bob his own.
        assert alice.get(f"/v1/conversations/{cid}/messages").status_code == 429
        codes = [bob.get(f"/v1/conversations/{cid}/messages").status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
    finally:
        node.cleanup()


# --- 7. outbound bytes ----------------------------------------------------------------------------

def send_text(raw, text):
    """One masked text frame from a raw client."""
    payload = text.encode()
    mask = os.urandom(4)
    if len(payload) < 126:
        length = bytes([0x80 | len(payload)])
    else:
        length = bytes([0x80 | 126]) + struct.pack("!H", len(payload))
    raw.sendall(bytes([0x81]) + length + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))


def test_a_client_that_does_not_read_is_cut_off_by_queued_bytes(server):
    """Few frames (far under --outbound-queue) but many bytes (far over --outbound-queue-bytes)."""
    alice, bob = server.register(), server.register()
    a = alice.connect()
    text = "z" * 8000
    for i in range(50):
        a.send({"type": "message", "requestId": f"big-{i}", "data": text_message(bob.id, text, f"big-{i}")})
    for i in range(50):
        assert a.expect(lambda f, r=f"big-{i}": f.get("requestId") == r)["type"] == "ack"
    cid = f"p_{min(alice.id, bob.id)}_{max(alice.id, bob.id)}"

    before = metric(server.get("/metrics").text, "parley_slow_consumer_cutoffs_total")
    raw = open_raw_websocket(server.port, bob.token)
    requests_sent = 60                                   # within the read burst; ~400 KB a page, ~24 MB in all
    for i in range(requests_sent):
        send_text(raw, json.dumps({"type": "history", "requestId": f"h{i}",
                                   "data": {"conversationId": cid, "afterSeq": 0, "limit": 50}}))
    deadline = time.monotonic() + 20
    while metric(server.get("/metrics").text, "parley_slow_consumer_cutoffs_total") <= before:
        assert time.monotonic() < deadline, "the session was never cut off"
        time.sleep(0.1)

    raw.settimeout(30)
    received = 0
    try:
        while True:
            chunk = raw.recv(65536)
            if not chunk:
                break
            received += len(chunk)
    except ConnectionResetError:
        pass
    raw.close()
    assert received < requests_sent * len(text) * 50 // 2, f"{received} bytes arrived: the queue was not cut short"
    # The node is fine, and Bob can come back.
    assert bob.connect().request("ping")["type"] == "pong"


def test_outbound_queue_bytes_flag_is_checked():
    code, stderr = Server.run_expecting_exit("--outbound-queue-bytes", "65535")
    assert code is not None and code > 0, (code, stderr[-300:])
    assert "outbound-queue-bytes" in stderr
    node = Server("--outbound-queue-bytes", "65536", "--max-forward-bytes", "2048").start()
    try:
        alice, bob = node.register(), node.register()
        a = alice.connect()
        small = a.request("message", text_message(bob.id, "s" * 100))["data"]
        big = a.request("message", text_message(bob.id, "b" * 3000))["data"]
        carol = node.register()

        def forward(ids):
            return a.request("message", {"receiverId": carol.id, "contentType": "forward", "localId": uuid.uuid4().hex,
                                         "content": {"conversationId": small["conversationId"], "messageIds": ids}})
        assert forward([small["messageId"]])["type"] == "ack"
        refused = forward([small["messageId"], big["messageId"]])
        assert refused["type"] == "error" and refused["data"]["code"] == "too_large", refused
    finally:
        node.cleanup()


# --- 12. WebSocket ping frames are activity ---------------------------------------------------------

@pytest.fixture(scope="module")
def impatient():
    node = Server("--idle-timeout", "2", "--heartbeat-interval", "1").start()
    yield node
    node.cleanup()


def test_websocket_ping_frames_keep_a_session_open(impatient):
    socket = impatient.register().connect()
    assert socket.connected["data"]["idleTimeout"] == 2
    deadline = time.monotonic() + 4                      # two idle timeouts of nothing but control pings
    try:
        while time.monotonic() < deadline:
            assert socket.conn.ping().wait(5), "no pong to a WebSocket ping"
            time.sleep(0.5)                              # the client's ping period, a quarter of the timeout
        assert socket.request("ping")["type"] == "pong"
    except ConnectionClosed as closed:
        pytest.fail(f"closed ({closed.rcvd.code if closed.rcvd else 'no close frame'}) while sending WebSocket pings")
    socket.close()


def test_a_silent_session_is_closed_with_4002(impatient):
    socket = impatient.register().connect()
    started = time.monotonic()
    with pytest.raises(ConnectionClosed) as closed:
        socket.conn.recv(timeout=15)
    assert closed.value.rcvd.code == 4002
    assert time.monotonic() - started >= 1.5, "closed before the idle timeout"


# --- 16. a closing session drops its queued frames quietly ---------------------------------------

def test_a_session_closed_for_abuse_logs_it_once():
    """Before: every frame still queued when the session closed was handled, refused and logged
    again ('closing session that ignores its limits' once per queued frame)."""
    node = Server("--log-level", "notice").start()
    process = node.process
    try:
        sock = node.register().connect()
        for _ in range(400):  # past the abuse limit (200 refusals in a row) with frames still queued
            try:
                sock.send_raw("{not json")
            except ConnectionClosed:
                break
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                sock.conn.recv(timeout=10)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008
    finally:
        node.stop()
        log = process.stderr.read()
        node.cleanup()
    assert log.count("closing session that ignores its limits") == 1, log[-2000:]
