"""A1, A2, A3, B9: device replacement, idle timeout, typing, slow-consumer cut-off."""
import base64
import os
import socket as sockets
import time

import pytest
from websockets.exceptions import ConnectionClosed

from parley import Server, text_message


def test_same_device_login_replaces_the_old_session(server):
    user = server.register()
    old = user.connect("phone")
    new = user.connect("phone")
    kicked = old.notification("kicked")
    assert kicked["data"]["actionData"]["reason"] == "replaced"
    with pytest.raises(ConnectionClosed) as closed:
        old.conn.recv(timeout=10)
    assert closed.value.rcvd.code == 4001
    assert new.request("ping")["type"] == "pong"
    # Another device of the same user is not affected.
    other = user.connect("laptop")
    assert new.request("ping")["type"] == "pong"
    assert other.request("ping")["type"] == "pong"


def test_typing_reaches_the_other_member_only(server):
    alice, bob = server.register(), server.register()
    cid = alice.post("/v1/messages", text_message(bob.id, "hi")).json()["conversationId"]
    a, b = alice.connect(), bob.connect()
    a.send({"type": "typing", "data": {"conversationId": cid, "state": "start"}})
    notice = b.notification("typing")
    assert notice["data"]["actionData"] == {"conversationId": cid, "userId": alice.id, "state": "start"}
    assert notice["data"].get("seq") is None
    assert a.request("ping")["type"] == "pong"
    assert not [f for f in a.drain() if f["type"] == "notification"]


@pytest.fixture(scope="module")
def impatient():
    node = Server("--idle-timeout", "1", "--heartbeat-interval", "1").start()
    yield node
    node.cleanup()


def test_silent_session_is_closed_after_the_idle_timeout(impatient):
    socket = impatient.register().connect()
    assert socket.connected["data"]["idleTimeout"] == 1
    with pytest.raises(ConnectionClosed) as closed:
        socket.conn.recv(timeout=15)
    assert closed.value.rcvd.code == 4002


def test_pinging_session_stays_open(impatient):
    socket = impatient.register().connect()
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        assert socket.request("ping", timeout=5)["type"] == "pong"
        time.sleep(0.3)  # a client's heartbeat period, shorter than the idle timeout


@pytest.fixture(scope="module")
def small_queue():
    node = Server("--outbound-queue", "16", "--message-rate", "100000", "--message-burst", "100000", "--user-message-rate", "100000", "--user-message-burst", "100000").start()
    yield node
    node.cleanup()


def open_raw_websocket(port: int, token: str) -> sockets.socket:
    """A WebSocket client that completes the handshake and then never reads."""
    raw = sockets.socket(sockets.AF_INET, sockets.SOCK_STREAM)
    raw.setsockopt(sockets.SOL_SOCKET, sockets.SO_RCVBUF, 4096)
    raw.connect(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    raw.sendall((f"GET /v1/ws?deviceId=slow&platform=web HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                 f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                 f"Sec-WebSocket-Version: 13\r\nAuthorization: Bearer {token}\r\n\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += raw.recv(1)
    assert head.startswith(b"HTTP/1.1 101"), head
    return raw


def test_slow_consumer_is_cut_off_and_nothing_acknowledged_is_lost(small_queue):
    sender, reader = small_queue.register(), small_queue.register()
    raw = open_raw_websocket(small_queue.port, reader.token)
    out = sender.connect()
    text = "x" * 8000
    sent = 1500
    window = 50
    for start in range(0, sent, window):
        ids = [f"slow-{i}" for i in range(start, start + window)]
        for local_id in ids:
            out.send({"type": "message", "requestId": local_id, "data": text_message(reader.id, text, local_id)})
        for local_id in ids:
            assert out.expect(lambda f, r=local_id: f.get("requestId") == r)["type"] == "ack"

    # Reading now: the server must have dropped the connection well before all frames fit.
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
    assert received < sent * len(text)

    # Every acknowledged message is stored; the reader catches up through history.
    cid = reader.get("/v1/conversations").json()["conversations"][0]["conversationId"]
    newest = reader.get(f"/v1/conversations/{cid}/messages", limit=1).json()["messages"]
    assert newest[0]["seq"] == sent
    fresh = reader.connect()
    assert fresh.request("ping")["type"] == "pong"


def test_a_burst_of_frames_is_answered_in_order(server):
    # More frames than a session queues before it stops reading its socket: reading pauses and
    # resumes, nothing is lost or reordered.
    user = server.register()
    sock = user.connect()
    for i in range(300):
        sock.send({"type": "ping", "requestId": f"burst-{i}"})
    replies = [sock.expect(lambda f: f.get("requestId", "").startswith("burst-"))["requestId"] for _ in range(300)]
    assert replies == [f"burst-{i}" for i in range(300)]


def test_websocket_control_frames_and_fragments(server):
    """A raw client: a WebSocket ping gets a pong, a fragmented message is reassembled, a
    close is answered with the same code and the connection ends."""
    from test_compression import RawSocket
    raw = RawSocket(server, server.register().token, offer=None)
    assert raw.headers.startswith("HTTP/1.1 101")
    assert raw.raw_frame()[0] == 0x1  # connected
    raw.send(0x9, b"are you there")
    assert raw.raw_frame() == (0xA, False, b"are you there")
    raw.send(0x1, b'{"type":"ping",', fin=False)
    raw.send(0x9, b"in between")  # control frames may come between fragments
    assert raw.raw_frame() == (0xA, False, b"in between")
    raw.send(0x0, b'"requestId":"frag"}')
    opcode, _, payload = raw.raw_frame()
    assert opcode == 0x1 and b'"requestId":"frag"' in payload and b'"pong"' in payload
    raw.send(0x8, (1000).to_bytes(2, "big") + b"bye")
    opcode, _, payload = raw.raw_frame()
    assert opcode == 0x8 and payload[:2] == (1000).to_bytes(2, "big")
    assert raw.sock.recv(4096) == b"", "the server ends the connection after the closing handshake"
