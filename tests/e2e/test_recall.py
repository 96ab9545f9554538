"""B8 (recall): sender within the window; an event with its own seq; history shows both."""
import time

import pytest

from parley import Server, text_message


def test_recall_notifies_members_and_rewrites_history(server):
    alice, bob = server.register(), server.register()
    a_phone, a_laptop, b = alice.connect("phone"), alice.connect("laptop"), bob.connect()
    ack = a_phone.request("message", text_message(bob.id, "oops"))["data"]
    cid, mid = ack["conversationId"], ack["messageId"]
    b.message(messageId=mid)

    reply = a_phone.request("recall", {"conversationId": cid, "messageId": mid})
    assert reply["type"] == "ack"
    assert reply["data"]["status"] == "recalled"
    assert reply["data"]["messageId"] == mid
    event_seq = reply["data"]["seq"]
    assert event_seq == ack["seq"] + 1

    for socket in (b, a_laptop, a_phone):
        notice = socket.notification("message_recalled", messageId=mid)
        action = notice["data"]["actionData"]
        assert action["conversationId"] == cid
        assert action["seq"] == ack["seq"]
        assert action["recalledBy"] == alice.id

    items = b.request("history", {"conversationId": cid, "afterSeq": 0})["data"]["messages"]
    assert [m["seq"] for m in items] == [ack["seq"], event_seq]
    original, event = items
    assert original["recalled"] is True
    assert original.get("content") is None
    assert event["contentType"] == "recall"
    assert event["content"] == {"messageId": mid}

    # Recalling again answers the same and tells nobody twice.
    again = a_phone.request("recall", {"conversationId": cid, "messageId": mid})
    assert again["data"]["seq"] == event_seq
    sentinel = a_phone.request("message", text_message(bob.id, "after"))["data"]
    b.message(seq=sentinel["seq"])
    assert not [f for f in b.drain() if f["type"] == "notification"
                and f["data"]["notificationType"] == "message_recalled"]
    # A recalled message does not count as unread, nor does the recall event.
    [state] = bob.get("/v1/conversations").json()["conversations"]
    assert state["unread"] == 1


def test_only_the_sender_may_recall(server):
    alice, bob = server.register(), server.register()
    ack = alice.post("/v1/messages", text_message(bob.id, "mine")).json()
    reply = bob.connect().request("recall", {"conversationId": ack["conversationId"], "messageId": ack["messageId"]})
    assert reply["type"] == "error" and reply["data"]["code"] == "forbidden"
    missing = alice.connect().request("recall", {"conversationId": ack["conversationId"], "messageId": "123"})
    assert missing["data"]["code"] == "not_found"


@pytest.fixture(scope="module")
def short_window():
    node = Server("--recall-window", "1").start()
    yield node
    node.cleanup()


def test_recall_window_closes(short_window):
    alice, bob = short_window.register(), short_window.register()
    ack = alice.post("/v1/messages", text_message(bob.id, "too late")).json()
    time.sleep(1.2)  # the rule under test is about elapsed time itself
    r = alice.post(f"/v1/conversations/{ack['conversationId']}/messages/{ack['messageId']}/recall")
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "forbidden"
    assert "window" in r.json()["error"]["message"]
