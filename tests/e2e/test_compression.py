"""permessage-deflate: negotiated when the client offers it; frames compressed both ways.

Uses a raw socket so the test sees the wire: the RSV1 bit and the deflated bytes."""
import base64
import json
import os
import socket
import struct
import zlib

from parley import text_message


class RawSocket:
    def __init__(self, server, token, offer="permessage-deflate; client_max_window_bits"):
        self.sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        key = base64.b64encode(os.urandom(16)).decode()
        extensions = f"Sec-WebSocket-Extensions: {offer}\r\n" if offer else ""
        self.sock.sendall((
            f"GET /v1/ws?deviceId=raw&platform=web HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            f"Authorization: Bearer {token}\r\n{extensions}\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            head += self.sock.recv(1)
        self.headers = head.decode()
        self.buffer = b""

    def _read(self, count):
        while len(self.buffer) < count:
            chunk = self.sock.recv(65536)
            assert chunk, "connection closed"
            self.buffer += chunk
        data, self.buffer = self.buffer[:count], self.buffer[count:]
        return data

    def raw_frame(self):
        """(opcode, rsv1, payload as sent on the wire)."""
        first, second = self._read(2)
        length = second & 0x7F
        if length == 126:
            length = struct.unpack("!H", self._read(2))[0]
        elif length == 127:
            length = struct.unpack("!Q", self._read(8))[0]
        return first & 0x0F, bool(first & 0x40), self._read(length)

    def frame(self):
        """(rsv1, payload as sent on the wire, payload inflated if rsv1)."""
        _, rsv1, payload = self.raw_frame()
        text = zlib.decompressobj(-15).decompress(payload + b"\x00\x00\xff\xff") if rsv1 else payload
        return rsv1, payload, json.loads(text)

    def send(self, opcode, payload, fin=True, rsv1=False):
        """One masked frame."""
        mask = os.urandom(4)
        first = (0x80 if fin else 0) | (0x40 if rsv1 else 0) | opcode
        length = bytes([0x80 | len(payload)]) if len(payload) < 126 else bytes([0x80 | 126]) + struct.pack("!H", len(payload))
        self.sock.sendall(bytes([first]) + length + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def send_compressed(self, obj):
        compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
        data = compressor.compress(json.dumps(obj).encode()) + compressor.flush(zlib.Z_SYNC_FLUSH)
        self.send(0x1, data[:-4], rsv1=True)


def test_a_compressed_session_sends_and_receives_deflated_frames(server):
    alice, bob = server.register(), server.register()
    raw = RawSocket(server, bob.token)
    assert "101" in raw.headers.split("\r\n")[0]
    assert "permessage-deflate" in raw.headers.lower() and "server_no_context_takeover" in raw.headers.lower()
    _, _, connected = raw.frame()
    assert connected["type"] == "connected"

    long_text = "压缩测试 compression test " * 40
    alice.connect().request("message", text_message(bob.id, long_text))
    rsv1, wire, message = raw.frame()
    assert message["type"] == "message" and message["data"]["content"]["text"] == long_text
    assert rsv1 and len(wire) < len(long_text.encode()) / 2, "large frames go deflated"

    # The client may compress too: the server inflates.
    raw.send_compressed({"type": "message", "requestId": "c1", "data": text_message(alice.id, "deflated " * 50)})
    rsv1, _, ack = raw.frame()
    assert ack["type"] == "ack" and ack["requestId"] == "c1"


def test_without_an_offer_frames_stay_plain(server):
    alice, bob = server.register(), server.register()
    raw = RawSocket(server, bob.token, offer=None)
    assert "permessage-deflate" not in raw.headers.lower()
    raw.frame()
    alice.connect().request("message", text_message(bob.id, "plain " * 200))
    rsv1, wire, message = raw.frame()
    assert not rsv1 and message["data"]["content"]["text"] == "plain " * 200


def test_a_deflate_bomb_closes_the_session(server):
    """A small compressed frame that inflates beyond the hard size limit is refused (1009)
    without the server inflating it all."""
    bob = server.register()
    raw = RawSocket(server, bob.token)
    raw.frame()  # connected
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    data = compressor.compress(b"{" + b" " * (8 << 20)) + compressor.flush(zlib.Z_SYNC_FLUSH)
    assert len(data) < 65536
    raw.send(0x1, data[:-4], rsv1=True)
    opcode, _, payload = raw.raw_frame()
    assert opcode == 0x8 and struct.unpack("!H", payload[:2])[0] == 1009
    # The node is fine: a new session works.
    assert server.register().connect().request("ping")["type"] == "pong"


def test_the_answer_asks_clients_not_to_keep_compression_context(server):
    bob = server.register()
    raw = RawSocket(server, bob.token, offer="permessage-deflate; server_max_window_bits=10")
    headers = raw.headers.lower()
    assert "client_no_context_takeover" in headers and "server_max_window_bits=10" in headers
    # Two compressed messages, each a stream of its own, are both understood.
    raw.frame()
    for i in range(2):
        raw.send_compressed({"type": "ping", "requestId": f"z{i}"})
        assert raw.frame()[2]["requestId"] == f"z{i}"
