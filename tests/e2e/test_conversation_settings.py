"""Pin, mute (do-not-disturb) and hide a conversation."""
from parley import text_message


def test_pin_mute_hide(server):
    alice, bob, carol = server.register(), server.register(), server.register()
    alice.post("/v1/messages", text_message(bob.id, "from alice"))
    carol.post("/v1/messages", text_message(bob.id, "from carol"))
    with_alice = f"p_{min(alice.id, bob.id)}_{max(alice.id, bob.id)}"

    phone, laptop = bob.connect("phone"), bob.connect("laptop", "desktop")
    version = phone.request("sync", {"since": 0, "notificationsAfter": 0})["data"]["version"]
    result = bob.ok("PATCH", f"/v1/conversations/{with_alice}", {"pinned": True, "muted": True})
    assert result == {"conversationId": with_alice, "pinned": True, "muted": True, "hidden": False}
    told = laptop.notification("conversation_updated", conversationId=with_alice)["data"]["actionData"]
    assert told["pinned"] is True and told["muted"] is True

    listed = bob.ok("GET", "/v1/conversations")["conversations"]
    assert listed[0]["conversationId"] == with_alice and listed[0]["pinned"] and listed[0]["muted"]
    changed = phone.request("sync", {"since": version, "notificationsAfter": 0})["data"]["conversations"]
    assert [(c["conversationId"], c["pinned"]) for c in changed] == [(with_alice, True)]

    bob.ok("PATCH", f"/v1/conversations/{with_alice}", {"hidden": True})
    assert with_alice not in [c["conversationId"] for c in bob.ok("GET", "/v1/conversations")["conversations"]]
    # A new message brings it back.
    alice.post("/v1/messages", text_message(bob.id, "still there?"))
    back = next(c for c in bob.ok("GET", "/v1/conversations")["conversations"] if c["conversationId"] == with_alice)
    assert back["hidden"] is False and back["unread"] == 2

    bob.refused("PATCH", f"/v1/conversations/{with_alice}", {}, status=400, code="bad_request")
    bob.refused("PATCH", f"/v1/conversations/{with_alice}", {"pinned": "yes"}, status=400, code="bad_request")
    carol.refused("PATCH", f"/v1/conversations/{with_alice}", {"pinned": True})
