"""Presence: per device, aggregated per user, pushed to friends only."""
from test_friends import befriend


def test_friends_see_online_away_offline(server):
    alice, bob, stranger = server.register(), server.register(), server.register()
    befriend(alice, bob)
    b = bob.connect()
    s = stranger.connect()

    phone = alice.connect("phone", "ios")
    online = b.notification("presence", userId=alice.id, status="online")["data"]["actionData"]
    # Device ids (often a phone's name) stay with their owner.
    assert online["devices"] == [] and online["lastSeen"] > 0
    desk = alice.connect("desk", "desktop")
    # Away only when every device is away.
    phone.request("presence", {"status": "away"})
    desk.request("presence", {"status": "away"})
    b.notification("presence", userId=alice.id, status="away")

    listed = bob.ok("GET", f"/v1/presence?userIds={alice.id},{stranger.id}")["presence"]
    seen = next(p for p in listed if p["userId"] == alice.id)
    assert seen["status"] == "away" and seen["devices"] == []
    mine = alice.ok("GET", f"/v1/presence?userIds={alice.id}")["presence"][0]
    assert sorted((d["deviceId"], d["platform"], d["status"]) for d in mine["devices"]) == [
        ("desk", "desktop", "away"), ("phone", "ios", "away")]
    # Someone who is neither a friend nor in a group with the stranger sees nothing.
    hidden = next(p for p in listed if p["userId"] == stranger.id)
    assert hidden["status"] == "offline" and hidden["lastSeen"] is None
    assert stranger.ok("GET", f"/v1/presence?userIds={stranger.id}")["presence"][0]["status"] == "online"

    desk.request("presence", {"status": "online"})
    b.notification("presence", userId=alice.id, status="online")
    phone.close()
    desk.close()
    offline = b.notification("presence", userId=alice.id, status="offline")["data"]["actionData"]
    assert offline["devices"] == []
    after = bob.ok("GET", f"/v1/presence?userIds={alice.id}")["presence"][0]
    assert after["status"] == "offline" and after["lastSeen"] >= offline["lastSeen"] - 1000

    # The stranger never heard of any of it.
    s.barrier()
    assert s.notifications("presence") == []


def test_presence_requests_are_checked(server):
    alice = server.register()
    a = alice.connect()
    reply = a.request("presence", {"status": "offline"})
    assert reply["type"] == "error" and reply["data"]["code"] == "bad_request"
    reply = a.request("presence", {"status": "sleeping"})
    assert reply["type"] == "error" and reply["data"]["code"] == "bad_request"
    alice.refused("GET", "/v1/presence", status=400, code="bad_request")
    many = ",".join(str(i) for i in range(201))
    alice.refused("GET", "/v1/presence?userIds=" + many, status=400, code="bad_request")
    assert alice.ok("GET", "/v1/presence?userIds=nobody")["presence"] == []


def test_blocked_friend_gets_no_presence(server):
    alice, bob = server.register(), server.register()
    befriend(alice, bob)
    alice.ok("POST", "/v1/blocks", {"userId": bob.id})
    b = bob.connect()
    alice.connect()
    b.barrier()
    assert b.notifications("presence") == []
    assert bob.ok("GET", f"/v1/presence?userIds={alice.id}")["presence"][0]["status"] == "offline"
