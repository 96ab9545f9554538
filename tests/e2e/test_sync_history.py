"""B7, B10, B11, C1, C2: receipts, unread counts, offline sync, history paging, authorization."""
import uuid

from parley import text_message


def send_many(socket, receiver, count, prefix="m"):
    return [socket.request("message", text_message(receiver, f"{prefix}{i}"))["data"] for i in range(count)]


def test_offline_sync_and_version_cursor(server):
    alice, bob = server.register(), server.register()
    a = alice.connect()
    acks = send_many(a, bob.id, 5)
    conversation_id = acks[0]["conversationId"]

    b = bob.connect()
    reply = b.request("sync", {"since": 0, "notificationsAfter": 0})
    assert reply["type"] == "sync"
    data = reply["data"]
    assert set(data) >= {"conversations", "notifications", "version", "notificationSeq", "hasMore"}
    assert data["hasMore"] is False
    assert data["notifications"] == [] and data["notificationSeq"] == 0
    [conversation] = data["conversations"]
    assert set(conversation) >= {"conversationId", "conversationType", "lastSeq", "readSeq", "unread",
                                 "mentionUnread", "lastMessage", "pinned", "muted"}
    assert conversation["conversationId"] == conversation_id
    assert conversation["conversationType"] == "private"
    assert conversation["lastSeq"] == 5 and conversation["readSeq"] == 0
    assert conversation["unread"] == 5 and conversation["mentionUnread"] == 0
    assert conversation["lastMessage"]["seq"] == 5
    assert conversation["lastMessage"]["content"] == {"text": "m4"}
    assert conversation["pinned"] is False and conversation["muted"] is False

    # Nothing changed since that version.
    quiet = b.request("sync", {"since": data["version"], "notificationsAfter": 0})["data"]
    assert quiet["conversations"] == []
    assert quiet["version"] == data["version"]

    # A new message makes the conversation come back, and the gap is filled from history.
    a.request("message", text_message(bob.id, "later"))
    changed = b.request("sync", {"since": data["version"], "notificationsAfter": 0})["data"]
    assert [c["lastSeq"] for c in changed["conversations"]] == [6]
    assert changed["version"] > data["version"]
    missed = b.request("history", {"conversationId": conversation_id, "afterSeq": 5, "limit": 100})["data"]
    assert [m["seq"] for m in missed["messages"]] == [6]

    # The sender's own messages never count as unread for the sender.
    [mine] = a.request("sync", {"since": 0, "notificationsAfter": 0})["data"]["conversations"]
    assert mine["unread"] == 0 and mine["readSeq"] == 6


def test_sync_pages_are_bounded(server):
    me = server.register()
    peers = [server.register() for _ in range(3)]
    for peer in peers:
        peer.post("/v1/messages", text_message(me.id, "hello"))
    socket = me.connect()
    first = socket.request("sync", {"since": 0, "notificationsAfter": 0, "limit": 2})["data"]
    assert len(first["conversations"]) == 2 and first["hasMore"] is True
    rest = socket.request("sync", {"since": first["version"], "notificationsAfter": 0, "limit": 2})["data"]
    assert len(rest["conversations"]) == 1 and rest["hasMore"] is False
    seen = {c["conversationId"] for c in first["conversations"] + rest["conversations"]}
    assert len(seen) == 3
    http = me.get("/v1/sync", since=0, notificationsAfter=0).json()
    assert {c["conversationId"] for c in http["conversations"]} == seen


def test_history_pages_both_ways(server):
    alice, bob = server.register(), server.register()
    a = alice.connect()
    acks = send_many(a, bob.id, 12)
    cid = acks[0]["conversationId"]
    b = bob.connect()

    first = b.request("history", {"conversationId": cid, "afterSeq": 0, "limit": 5})
    assert first["type"] == "history"
    page = first["data"]
    assert [m["seq"] for m in page["messages"]] == [1, 2, 3, 4, 5] and page["hasMore"] is True
    item = page["messages"][0]
    assert item["messageId"] == acks[0]["messageId"]
    assert isinstance(item["timestamp"], int)
    assert item["senderId"] == alice.id and item["content"] == {"text": "m0"}
    last = b.request("history", {"conversationId": cid, "afterSeq": 10, "limit": 5})["data"]
    assert [m["seq"] for m in last["messages"]] == [11, 12] and last["hasMore"] is False

    newest = b.request("history", {"conversationId": cid, "limit": 3})["data"]
    assert [m["seq"] for m in newest["messages"]] == [10, 11, 12] and newest["hasMore"] is True
    older = b.request("history", {"conversationId": cid, "beforeSeq": 3, "limit": 5})["data"]
    assert [m["seq"] for m in older["messages"]] == [1, 2] and older["hasMore"] is False

    http = bob.get(f"/v1/conversations/{cid}/messages", afterSeq=4, limit=3)
    assert http.status_code == 200
    assert [m["seq"] for m in http.json()["messages"]] == [5, 6, 7] and http.json()["hasMore"] is True
    bad = bob.get(f"/v1/conversations/{cid}/messages", afterSeq="x")
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "bad_request"


def test_receipts_are_cumulative_and_clear_unread_everywhere(server):
    alice, bob = server.register(), server.register()
    a = alice.connect()
    b_phone, b_laptop = bob.connect("phone"), bob.connect("laptop")
    acks = send_many(a, bob.id, 5)
    cid = acks[0]["conversationId"]

    b_phone.send({"type": "ack", "data": {"conversationId": cid, "seq": 5, "status": "delivered"}})
    delivered = a.notification("delivery_receipt")
    assert delivered["data"]["actionData"] == {"conversationId": cid, "userId": bob.id, "seq": 5}
    assert "seq" not in delivered["data"] or delivered["data"]["seq"] is None

    confirm = b_phone.request("ack", {"conversationId": cid, "seq": 3, "status": "read"})
    assert confirm["type"] == "ack" and confirm["data"]["seq"] == 3
    read = a.notification("read_receipt")
    assert read["data"]["actionData"] == {"conversationId": cid, "userId": bob.id, "seq": 3}
    # The reader's other device hears it too, so it can clear its badge.
    assert b_laptop.notification("read_receipt", seq=3)["data"]["actionData"]["userId"] == bob.id
    [state] = bob.get("/v1/conversations").json()["conversations"]
    assert state["readSeq"] == 3 and state["unread"] == 2

    # Cursors never move back, and never past the last seq.
    assert b_phone.request("ack", {"conversationId": cid, "seq": 1, "status": "read"})["data"]["seq"] == 3
    assert b_phone.request("ack", {"conversationId": cid, "seq": 99, "status": "read"})["data"]["seq"] == 5
    [state] = bob.get("/v1/conversations").json()["conversations"]
    assert state["readSeq"] == 5 and state["unread"] == 0 and state["deliveredSeq"] == 5

    http = bob.post(f"/v1/conversations/{cid}/receipts", {"seq": 5, "status": "read"})
    assert http.status_code == 200 and http.json()["seq"] == 5


def test_conversation_list_orders_by_last_activity(server):
    me = server.register()
    first, second = server.register(), server.register()
    first.post("/v1/messages", text_message(me.id, "one"))
    second.post("/v1/messages", text_message(me.id, "two"))
    listed = me.get("/v1/conversations").json()["conversations"]
    assert [c["peerId"] for c in listed] == [second.id, first.id]
    first.post("/v1/messages", text_message(me.id, "three"))
    listed = me.get("/v1/conversations").json()["conversations"]
    assert [c["peerId"] for c in listed] == [first.id, second.id]
    assert listed[0]["lastMessage"]["content"] == {"text": "three"}
    assert listed[0]["unread"] == 2


def test_non_members_can_neither_read_nor_write(server):
    alice, bob, eve = server.register(), server.register(), server.register()
    cid = alice.post("/v1/messages", text_message(bob.id, "private")).json()["conversationId"]
    e = eve.connect()
    for type_, data in [
        ("history", {"conversationId": cid, "afterSeq": 0}),
        ("message", {"conversationId": cid, "contentType": "text", "content": {"text": "x"}, "localId": uuid.uuid4().hex}),
        ("ack", {"conversationId": cid, "seq": 1, "status": "read"}),
        ("typing", {"conversationId": cid, "state": "start"}),
    ]:
        reply = e.request(type_, data)
        assert reply["type"] == "error", type_
        assert reply["data"]["code"] == "forbidden", type_
    r = eve.get(f"/v1/conversations/{cid}/messages")
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    assert eve.get("/v1/conversations").json()["conversations"] == []
    # Whether a conversation exists does not leak: strangers get forbidden either way.
    unknown = e.request("history", {"conversationId": "p_1_2", "afterSeq": 0})
    assert unknown["data"]["code"] == "forbidden"


def test_history_of_a_conversation_not_started_yet_is_empty(server):
    alice, bob = server.register(), server.register()
    cid = "p_" + "_".join(sorted([alice.id, bob.id]))
    reply = alice.connect().request("history", {"conversationId": cid, "afterSeq": 0})
    assert reply["type"] == "history"
    assert reply["data"] == {"messages": [], "hasMore": False}
