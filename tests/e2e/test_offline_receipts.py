"""Receipts that survive being offline: the peer's cursors in private conversation summaries,
the conversation coming back through sync when they move, a read receipt when the peer answers
without marking read, and the delivered-messages counter."""
from parley import text_message
from test_groups import group_message, make_group
from test_guardrails import metric


def summary(conversations, cid):
    return next(c for c in conversations if c["conversationId"] == cid)


def http_sync(user, since):
    r = user.get("/v1/sync", since=since, notificationsAfter=0)
    assert r.status_code == 200, r.text
    return r.json()


def test_private_summaries_carry_the_peers_cursors_and_sync_brings_receipts(server):
    alice, bob = server.register(), server.register()
    for i in range(3):
        assert alice.post("/v1/messages", text_message(bob.id, f"m{i}")).status_code == 200
    first = http_sync(alice, 0)
    cid = first["conversations"][0]["conversationId"]
    before = summary(first["conversations"], cid)
    assert "peerDeliveredSeq" in before and "peerReadSeq" in before, before
    assert before["peerDeliveredSeq"] in (0, None) and before["peerReadSeq"] in (0, None)

    # Alice is offline (no socket) while Bob receives and reads.
    bob.ok("POST", f"/v1/conversations/{cid}/receipts", {"seq": 3, "status": "delivered"})
    after_delivery = http_sync(alice, first["version"])
    assert [c["conversationId"] for c in after_delivery["conversations"]] == [cid], "the delivery receipt did not come back"
    delivered = after_delivery["conversations"][0]
    assert delivered["peerDeliveredSeq"] == 3 and delivered["peerReadSeq"] in (0, None)

    bob.ok("POST", f"/v1/conversations/{cid}/receipts", {"seq": 2, "status": "read"})
    socket_sync = alice.connect().request("sync", {"since": after_delivery["version"], "notificationsAfter": 0})["data"]
    [read] = [c for c in socket_sync["conversations"] if c["conversationId"] == cid]
    assert read["peerReadSeq"] == 2 and read["peerDeliveredSeq"] == 3
    assert socket_sync["version"] > after_delivery["version"]

    listed = summary(alice.ok("GET", "/v1/conversations")["conversations"], cid)
    assert (listed["peerDeliveredSeq"], listed["peerReadSeq"]) == (3, 2)
    # Bob's own view: his cursor, and Alice's (a sender's cursors move to their own messages).
    mine = summary(bob.ok("GET", "/v1/conversations")["conversations"], cid)
    assert mine["readSeq"] == 2 and mine["peerReadSeq"] == 3


def test_group_summaries_have_no_peer_cursors(server):
    owner, bob = server.register(), server.register()
    created = make_group(owner, [bob])
    owner.connect().request("message", group_message(created["groupId"], "hello"))
    group = summary(bob.ok("GET", "/v1/conversations")["conversations"], created["conversationId"])
    assert "peerReadSeq" in group and group["peerReadSeq"] is None
    assert "peerDeliveredSeq" in group and group["peerDeliveredSeq"] is None
    synced = summary(http_sync(bob, 0)["conversations"], created["conversationId"])
    assert synced["peerReadSeq"] is None and synced["peerDeliveredSeq"] is None


def test_answering_without_marking_read_sends_a_read_receipt(server):
    alice, bob = server.register(), server.register()
    a, b = alice.connect(), bob.connect()
    cid = a.request("message", text_message(bob.id, "one"))["data"]["conversationId"]
    a.request("message", text_message(bob.id, "two"))
    b.message(seq=2)
    reply = b.request("message", text_message(alice.id, "an answer, no receipt"))
    assert reply["type"] == "ack" and reply["data"]["seq"] == 3
    receipt = a.notification("read_receipt", conversationId=cid, userId=bob.id, timeout=5)["data"]["actionData"]
    assert receipt == {"conversationId": cid, "userId": bob.id, "seq": 3}
    # And it survives being offline: Alice's list shows Bob's cursor.
    assert summary(alice.ok("GET", "/v1/conversations")["conversations"], cid)["peerReadSeq"] == 3


def test_messages_delivered_counts_message_frames_handed_to_sessions(server):
    alice, bob = server.register(), server.register()
    a, a2 = alice.connect("phone"), alice.connect("laptop", "desktop")
    b1, b2 = bob.connect("phone"), bob.connect("tablet", "pad")
    before = metric(server.get("/metrics").text, "parley_messages_delivered_total")
    for i in range(3):
        assert a.request("message", text_message(bob.id, f"count {i}"))["type"] == "ack"
    for sock in (a2, b1, b2):
        for seq in (1, 2, 3):
            sock.message(seq=seq)
    # Requests that are not message deliveries do not count.
    b1.request("history", {"conversationId": f"p_{min(alice.id, bob.id)}_{max(alice.id, bob.id)}", "afterSeq": 0})
    after = metric(server.get("/metrics").text, "parley_messages_delivered_total")
    assert after - before == 9, "3 messages x (Bob's 2 devices + Alice's other device)"
