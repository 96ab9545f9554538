"""B1, B5, B6, B12: private chat over the socket and HTTP, exact frame shapes, idempotency."""
import uuid

from parley import text_message

ENVELOPE_KEYS = {"type", "version", "messageId", "timestamp", "data"}


def test_connected_frame_shape(server):
    user = server.register()
    socket = user.connect("phone-1", "android")
    frame = socket.connected
    assert ENVELOPE_KEYS <= set(frame)
    assert frame["version"] == "1.0"
    data = frame["data"]
    assert set(data) == {"userId", "deviceId", "sessionId", "serverTime", "heartbeatInterval", "idleTimeout"}
    assert data["userId"] == user.id and data["deviceId"] == "phone-1"
    assert isinstance(data["serverTime"], int) and data["serverTime"] > 1_600_000_000_000
    assert isinstance(data["heartbeatInterval"], int) and isinstance(data["idleTimeout"], int)


def test_private_message_ack_and_delivery(server):
    alice, bob = server.register(display="张三"), server.register()
    a_phone, a_laptop = alice.connect("phone"), alice.connect("laptop")
    b_phone, b_tablet = bob.connect("phone"), bob.connect("tablet")

    local_id = "local-" + uuid.uuid4().hex
    ack = a_phone.request("message", text_message(bob.id, "你好", local_id))
    assert ack["type"] == "ack"
    assert ENVELOPE_KEYS <= set(ack)
    data = ack["data"]
    assert data["status"] == "sent"
    assert data["localId"] == local_id
    assert data["seq"] == 1
    assert isinstance(data["messageId"], str) and data["messageId"]
    conversation_id = data["conversationId"]

    for socket in (b_phone, b_tablet, a_laptop):
        frame = socket.message(localId=local_id)
        assert frame["messageId"] == data["messageId"]
        assert isinstance(frame["timestamp"], int)
        body = frame["data"]
        assert body["conversationType"] == "private"
        assert body["conversationId"] == conversation_id
        assert body["seq"] == 1
        assert body["senderId"] == alice.id
        assert body["senderName"] == "张三"
        assert "senderAvatar" in body and body["senderAvatar"] is None
        assert body["contentType"] == "text"
        assert body["content"] == {"text": "你好"}
        assert body["atUsers"] == []
        assert "replyTo" in body and body["replyTo"] is None

    # The sending session does not get its own message back: a later reply arrives first.
    assert a_phone.request("ping")["type"] == "pong"
    assert not [f for f in a_phone.drain() if f["type"] == "message"]

    # Both users address the conversation by the same id, and seq keeps counting.
    reply = b_phone.request("message", {"conversationId": conversation_id, "contentType": "text",
                                        "content": {"text": "hi"}, "localId": uuid.uuid4().hex})
    assert reply["data"]["conversationId"] == conversation_id
    assert reply["data"]["seq"] == 2
    assert a_phone.message(seq=2)["data"]["senderId"] == bob.id


def test_retried_send_returns_the_same_ack_and_delivers_once(server):
    alice, bob = server.register(), server.register()
    sender, receiver = alice.connect(), bob.connect()
    message = text_message(bob.id, "once", "retry-" + uuid.uuid4().hex)
    first = sender.request("message", message)["data"]
    receiver.message(localId=message["localId"])
    second = sender.request("message", message)["data"]
    assert second == first
    # A changed body under the same localId is still the same message.
    third = sender.request("message", dict(message, content={"text": "changed"}))["data"]
    assert third == first
    # Barrier: the next message is delivered after any duplicate would have been.
    sentinel = sender.request("message", text_message(bob.id, "sentinel"))["data"]
    receiver.message(seq=sentinel["seq"])
    assert [f for f in receiver.drain() if f["type"] == "message"] == []
    assert sentinel["seq"] == first["seq"] + 1
    history = bob.get(f"/v1/conversations/{first['conversationId']}/messages").json()["messages"]
    assert [m["localId"] for m in history].count(message["localId"]) == 1


def test_http_send_is_delivered_and_idempotent(server):
    bot, user = server.register(), server.register()
    socket = user.connect()
    body = text_message(user.id, "from a bot", "bot-" + uuid.uuid4().hex)
    r = bot.post("/v1/messages", body)
    assert r.status_code == 200
    ack = r.json()
    assert ack["status"] == "sent" and ack["localId"] == body["localId"] and ack["seq"] == 1
    frame = socket.message(localId=body["localId"])
    assert frame["data"]["content"] == {"text": "from a bot"}
    again = bot.post("/v1/messages", body)
    assert again.json() == ack


def test_unknown_receiver_and_self_messages_are_refused(server):
    alice = server.register()
    socket = alice.connect()
    missing = socket.request("message", text_message("999999", "hello?"))
    assert missing["type"] == "error"
    assert missing["data"]["code"] == "not_found"
    to_self = socket.request("message", text_message(alice.id, "me"))
    assert to_self["data"]["code"] == "bad_request"


def test_concurrent_senders_get_gapless_seqs(server):
    alice, bob = server.register(), server.register()
    a, b = alice.connect(), bob.connect()
    a_ids = [uuid.uuid4().hex for _ in range(20)]
    b_ids = [uuid.uuid4().hex for _ in range(20)]
    for x, y in zip(a_ids, b_ids):
        a.send({"type": "message", "requestId": x, "data": text_message(bob.id, "a", x)})
        b.send({"type": "message", "requestId": y, "data": text_message(alice.id, "b", y)})
    seqs = [a.expect(lambda f, x=x: f.get("requestId") == x)["data"]["seq"] for x in a_ids]
    seqs += [b.expect(lambda f, y=y: f.get("requestId") == y)["data"]["seq"] for y in b_ids]
    assert sorted(seqs) == list(range(1, 41))
    # One sender's messages keep their order.
    assert seqs[:20] == sorted(seqs[:20])
