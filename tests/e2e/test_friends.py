"""Friends, blocks and the friends-only policy, over real HTTP and WebSocket sessions."""
import pytest

from parley import text_message


def befriend(a, b):
    rid = a.ok("POST", "/v1/friends/requests", {"userId": b.id, "message": "hi"})["requestId"]
    b.ok("POST", f"/v1/friends/requests/{rid}/accept")
    return rid


def test_request_accept_lists_friends_and_notifies_both(server):
    alice, bob = server.register(), server.register()
    a, b = alice.connect(), bob.connect()
    sent = alice.ok("POST", "/v1/friends/requests", {"userId": bob.id, "message": "我是 Alice"})
    assert sent["status"] == "pending"
    rid = sent["requestId"]

    note = b.notification("friend_request", requestId=rid)["data"]
    assert note["actionType"] == "accept_reject"
    assert note["actionData"]["userId"] == alice.id and note["actionData"]["message"] == "我是 Alice"
    assert note["seq"] >= 1
    # Asking again while pending answers with the same request.
    assert alice.ok("POST", "/v1/friends/requests", {"userId": bob.id, "message": "?"})["requestId"] == rid
    listed = bob.ok("GET", "/v1/friends/requests")
    assert [r["requestId"] for r in listed["incoming"]] == [rid] and listed["outgoing"] == []

    # Only the one asked may answer.
    alice.refused("POST", f"/v1/friends/requests/{rid}/accept")
    assert bob.ok("POST", f"/v1/friends/requests/{rid}/accept")["status"] == "accepted"
    assert a.notification("friend_accepted", requestId=rid)["data"]["actionData"]["userId"] == bob.id
    assert b.notification("friend_accepted", requestId=rid)["data"]["actionData"]["userId"] == alice.id
    bob.refused("POST", f"/v1/friends/requests/{rid}/accept", status=409, code="conflict")

    friends = alice.ok("GET", "/v1/friends")["friends"]
    assert [(f["userId"], f["displayName"]) for f in friends] == [(bob.id, bob.username.capitalize())]
    # Friends hear of a new name.
    bob.ok("PATCH", "/v1/users/me", {"displayName": "Bobby 鲍勃"})
    updated = a.notification("friend_updated", userId=bob.id)["data"]["actionData"]
    assert updated["displayName"] == "Bobby 鲍勃" and updated["avatar"] is None
    assert alice.ok("GET", "/v1/friends")["friends"][0]["displayName"] == "Bobby 鲍勃"
    assert [f["userId"] for f in bob.ok("GET", "/v1/friends")["friends"]] == [alice.id]
    alice.refused("POST", "/v1/friends/requests", {"userId": bob.id}, status=409, code="conflict")


def test_reject_and_delete_notify(server):
    alice, bob = server.register(), server.register()
    a, b = alice.connect(), bob.connect()
    rid = alice.ok("POST", "/v1/friends/requests", {"userId": bob.id, "message": ""})["requestId"]
    assert bob.ok("POST", f"/v1/friends/requests/{rid}/reject")["status"] == "rejected"
    assert a.notification("friend_rejected", requestId=rid)["data"]["actionData"]["userId"] == bob.id
    assert alice.ok("GET", "/v1/friends")["friends"] == []

    befriend(alice, bob)
    alice.ok("DELETE", f"/v1/friends/{bob.id}")
    assert b.notification("friend_deleted")["data"]["actionData"]["userId"] == alice.id
    assert a.notification("friend_deleted")["data"]["actionData"]["userId"] == bob.id
    assert bob.ok("GET", "/v1/friends")["friends"] == []
    alice.refused("DELETE", f"/v1/friends/{bob.id}", status=404, code="not_found")


def test_crossing_requests_make_friends(server):
    alice, bob = server.register(), server.register()
    alice.ok("POST", "/v1/friends/requests", {"userId": bob.id, "message": ""})
    assert bob.ok("POST", "/v1/friends/requests", {"userId": alice.id, "message": ""})["status"] == "accepted"
    assert [f["userId"] for f in alice.ok("GET", "/v1/friends")["friends"]] == [bob.id]


def test_bad_friend_requests(server):
    alice = server.register()
    alice.refused("POST", "/v1/friends/requests", {"userId": alice.id}, status=400, code="bad_request")
    alice.refused("POST", "/v1/friends/requests", {"userId": "999999"}, status=404, code="not_found")
    alice.refused("POST", "/v1/friends/requests", {"message": "no user"}, status=400, code="bad_request")
    alice.refused("POST", "/v1/friends/requests/nope/accept", status=404, code="not_found")
    other = server.register()
    carol = server.register()
    rid = other.ok("POST", "/v1/friends/requests", {"userId": carol.id})["requestId"]
    # A stranger cannot even see that the request exists.
    alice.refused("POST", f"/v1/friends/requests/{rid}/accept", status=404, code="not_found")


def test_block_stops_private_messages_and_requests(server):
    alice, bob = server.register(), server.register()
    b = bob.connect()
    s = alice.connect()
    assert s.request("message", text_message(bob.id, "before"))["type"] == "ack"
    b.message(senderId=alice.id)

    bob.ok("POST", "/v1/blocks", {"userId": alice.id})
    assert [x["userId"] for x in bob.ok("GET", "/v1/blocks")["blocks"]] == [alice.id]
    reply = s.request("message", text_message(bob.id, "after"))
    assert reply["type"] == "error" and reply["data"]["code"] == "blocked"
    r = alice.post("/v1/messages", text_message(bob.id, "over http"))
    assert r.status_code == 403 and r.json()["error"]["code"] == "blocked"
    alice.refused("POST", "/v1/friends/requests", {"userId": bob.id}, code="blocked")
    # The one who blocked must unblock before writing.
    reply = b.request("message", text_message(alice.id, "hm"))
    assert reply["data"]["code"] == "forbidden"

    bob.ok("DELETE", f"/v1/blocks/{alice.id}")
    bob.refused("DELETE", f"/v1/blocks/{alice.id}", status=404, code="not_found")
    assert s.request("message", text_message(bob.id, "again"))["type"] == "ack"
    b.barrier()
    texts = [f["data"]["content"]["text"] for f in b.drain() if f["type"] == "message"]
    assert texts == ["again"]


def test_friends_only_policy(server):
    alice, bob = server.register(), server.register()
    profile = bob.ok("PATCH", "/v1/users/me", {"friendsOnly": True})
    assert profile["friendsOnly"] is True
    assert bob.ok("GET", "/v1/users/me")["friendsOnly"] is True
    assert "friendsOnly" not in alice.ok("GET", f"/v1/users/{bob.id}")     # a setting, not public
    bob.refused("PATCH", "/v1/users/me", {"displayName": "   "}, status=400, code="bad_request")
    bob.refused("PATCH", "/v1/users/me", {"friendsOnly": "yes"}, status=400, code="bad_request")
    s = alice.connect()
    reply = s.request("message", text_message(bob.id, "hello stranger"))
    assert reply["type"] == "error" and reply["data"]["code"] == "forbidden"
    befriend(alice, bob)
    assert s.request("message", text_message(bob.id, "hello friend"))["type"] == "ack"
    bob.ok("PATCH", "/v1/users/me", {"friendsOnly": False})


def test_server_wide_friends_only():
    from parley import Server
    node = Server("--friends-only").start()
    try:
        alice, bob = node.register(), node.register()
        r = alice.post("/v1/messages", text_message(bob.id, "hi"))
        assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
        befriend(alice, bob)
        assert alice.post("/v1/messages", text_message(bob.id, "hi")).status_code == 200
    finally:
        node.cleanup()


def test_friend_notifications_come_back_through_sync(server):
    alice, bob = server.register(), server.register()
    rid = alice.ok("POST", "/v1/friends/requests", {"userId": bob.id, "message": "offline?"})["requestId"]
    bob.ok("POST", f"/v1/friends/requests/{rid}/accept")
    alice.ok("DELETE", f"/v1/friends/{bob.id}")
    # Bob was never connected: his inbox has the request and the deletion, in order.
    page = bob.connect().request("sync", {"since": 0, "notificationsAfter": 0})["data"]
    kinds = [n["notificationType"] for n in page["notifications"]]
    assert kinds == ["friend_request", "friend_accepted", "friend_deleted"]
    assert [n["seq"] for n in page["notifications"]] == [1, 2, 3] and page["notificationSeq"] == 3
    later = bob.get("/v1/sync", notificationsAfter=2).json()
    assert [n["notificationType"] for n in later["notifications"]] == ["friend_deleted"]
