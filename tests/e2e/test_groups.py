"""Groups: lifecycle, membership, roles, mutes, join requests, mentions and read counts."""
import time
import uuid

from parley import text_message


def group_message(group_id, text, **extra):
    data = {"conversationType": "group", "groupId": group_id, "contentType": "text", "content": {"text": text},
            "localId": uuid.uuid4().hex, "atUsers": [], "replyTo": None}
    data.update(extra)
    return data


def make_group(owner, members, **extra):
    body = {"name": "Team 小组", "memberIds": [m.id for m in members], **extra}
    return owner.ok("POST", "/v1/groups", body)


def test_create_invites_and_every_member_device_receives_group_messages(server):
    owner, bob, carol = server.register(), server.register(), server.register()
    b = bob.connect()
    created = make_group(owner, [bob, carol])
    gid, cid = created["groupId"], created["conversationId"]
    invite = b.notification("group_invite", groupId=gid)["data"]
    assert invite["actionData"]["conversationId"] == cid and invite["actionData"]["userId"] == owner.id
    assert invite["seq"] >= 1

    info = bob.ok("GET", f"/v1/groups/{gid}")
    assert info["groupId"] == gid and info["name"] == "Team 小组" and info["ownerId"] == owner.id
    assert info["announcement"] == "" and info["muteAll"] is False
    assert {m["userId"]: m["role"] for m in info["members"]} == {owner.id: "owner", bob.id: "member", carol.id: "member"}

    c1, c2 = carol.connect("phone"), carol.connect("laptop", "desktop")
    o = owner.connect()
    ack = o.request("message", group_message(gid, "大家好"))
    assert ack["type"] == "ack" and ack["data"]["conversationId"] == cid and ack["data"]["seq"] == 1
    for sock in (b, c1, c2):
        frame = sock.message(conversationId=cid)
        assert frame["data"]["conversationType"] == "group" and frame["data"]["seq"] == 1
    # The same conversation by id.
    assert b.request("message", {**group_message(gid, "hi"), "groupId": None, "conversationType": None,
                                  "conversationId": cid})["data"]["seq"] == 2

    summary = next(c for c in carol.ok("GET", "/v1/conversations")["conversations"] if c["conversationId"] == cid)
    assert summary["conversationType"] == "group" and summary["groupId"] == gid and summary["name"] == "Team 小组"
    assert summary["unread"] == 2

    stranger = server.register()
    stranger.refused("GET", f"/v1/groups/{gid}")
    s = stranger.connect()
    assert s.request("message", group_message(gid, "let me in"))["data"]["code"] == "forbidden"
    assert s.request("history", {"conversationId": cid, "afterSeq": 0})["data"]["code"] == "forbidden"
    stranger.refused("GET", "/v1/groups/424242", status=404, code="not_found")


def test_bad_group_bodies(server):
    owner = server.register()
    owner.refused("POST", "/v1/groups", {"name": "  ", "memberIds": []}, status=400, code="bad_request")
    owner.refused("POST", "/v1/groups", {"name": "x" * 101}, status=400, code="bad_request")
    owner.refused("POST", "/v1/groups", {"name": "ok", "memberIds": ["nobody-here"]}, status=404, code="not_found")
    owner.refused("POST", "/v1/groups", {"name": "ok", "joinPolicy": "whatever"}, status=400, code="bad_request")
    owner.refused("POST", "/v1/groups", {"memberIds": []}, status=400, code="bad_request")
    gid = make_group(owner, [])["groupId"]
    owner.refused("PATCH", f"/v1/groups/{gid}", {}, status=400, code="bad_request")
    owner.refused("POST", f"/v1/groups/{gid}/members", {"userIds": []}, status=400, code="bad_request")


def test_invite_permissions_follow_the_join_policy(server):
    owner, member, newcomer, other = (server.register() for _ in range(4))
    gid = make_group(owner, [member])["groupId"]
    m = member.connect()
    member.refused("POST", f"/v1/groups/{gid}/members", {"userIds": [newcomer.id]})
    added = owner.ok("POST", f"/v1/groups/{gid}/members", {"userIds": [newcomer.id, member.id]})
    assert added["added"] == [newcomer.id]
    joined = m.notification("group_member_joined", groupId=gid)["data"]["actionData"]
    assert joined["userId"] == newcomer.id and joined["userIds"] == [newcomer.id] and joined["count"] == 1
    assert joined["inviterId"] == owner.id

    owner.ok("PATCH", f"/v1/groups/{gid}", {"joinPolicy": "open"})
    assert member.ok("POST", f"/v1/groups/{gid}/members", {"userIds": [other.id]})["added"] == [other.id]

    # Nobody is put into a group by someone they blocked.
    shy = server.register()
    shy.ok("POST", "/v1/blocks", {"userId": owner.id})
    owner.refused("POST", f"/v1/groups/{gid}/members", {"userIds": [shy.id]}, code="blocked")
    owner.refused("POST", "/v1/groups", {"name": "again", "memberIds": [shy.id]}, code="blocked")


def test_leave_and_kick(server):
    owner, admin, bob, carol = (server.register() for _ in range(4))
    created = make_group(owner, [admin, bob, carol])
    gid, cid = created["groupId"], created["conversationId"]
    owner.ok("PUT", f"/v1/groups/{gid}/roles/{admin.id}", {"role": "admin"})
    o, b, c = owner.connect(), bob.connect(), carol.connect()
    assert o.request("message", group_message(gid, "before"))["type"] == "ack"
    b.message(conversationId=cid)

    owner.refused("DELETE", f"/v1/groups/{gid}/members/{owner.id}")          # the owner cannot leave
    bob.refused("DELETE", f"/v1/groups/{gid}/members/{carol.id}")            # members cannot kick
    admin.refused("DELETE", f"/v1/groups/{gid}/members/{owner.id}")          # nor admins the owner
    admin.refused("DELETE", f"/v1/groups/{gid}/members/{server.register().id}", status=404, code="not_found")

    admin.ok("DELETE", f"/v1/groups/{gid}/members/{bob.id}")
    removed = b.notification("group_member_removed", groupId=gid)["data"]["actionData"]
    assert removed["userId"] == bob.id and removed["removedBy"] == admin.id
    o.notification("group_member_removed", groupId=gid, userId=bob.id)
    assert b.request("message", group_message(gid, "still here?"))["data"]["code"] == "forbidden"
    # Removed members hear nothing more of the group.
    assert o.request("message", group_message(gid, "after"))["type"] == "ack"
    c.message(conversationId=cid, seq=2)
    b.barrier()
    assert [f for f in b.drain() if f["type"] == "message"] == []
    bob.refused("GET", f"/v1/groups/{gid}")

    carol.ok("DELETE", f"/v1/groups/{gid}/members/{carol.id}")
    o.notification("group_member_left", groupId=gid, userId=carol.id)
    c.notification("group_member_left", groupId=gid, userId=carol.id)
    members = {m["userId"] for m in owner.ok("GET", f"/v1/groups/{gid}")["members"]}
    assert members == {owner.id, admin.id}
    owner.ok("DELETE", f"/v1/groups/{gid}/members/{admin.id}")                # the owner kicks admins


def test_join_requests(server):
    owner, admin, asker, member = (server.register() for _ in range(4))
    gid = make_group(owner, [admin, member])["groupId"]
    owner.ok("PUT", f"/v1/groups/{gid}/roles/{admin.id}", {"role": "admin"})
    o, a, m, q = owner.connect(), admin.connect(), member.connect(), asker.connect()

    rid = asker.ok("POST", f"/v1/groups/{gid}/join-requests", {"message": "请让我加入"})["requestId"]
    for sock in (o, a):
        note = sock.notification("group_join_request", groupId=gid)["data"]
        assert note["actionType"] == "accept_reject"
        assert note["actionData"]["requestId"] == rid and note["actionData"]["userId"] == asker.id
    assert asker.ok("POST", f"/v1/groups/{gid}/join-requests", {"message": "again"})["requestId"] == rid
    assert [r["requestId"] for r in admin.ok("GET", f"/v1/groups/{gid}/join-requests")["requests"]] == [rid]
    member.refused("GET", f"/v1/groups/{gid}/join-requests")
    member.refused("POST", f"/v1/groups/{gid}/join-requests/{rid}/accept")

    assert admin.ok("POST", f"/v1/groups/{gid}/join-requests/{rid}/accept")["status"] == "accepted"
    assert q.notification("group_member_joined", groupId=gid, requestId=rid)["data"]["actionData"]["userId"] == asker.id
    m.notification("group_member_joined", groupId=gid, userId=asker.id)
    owner.refused("POST", f"/v1/groups/{gid}/join-requests/{rid}/reject", status=409, code="conflict")
    asker.refused("POST", f"/v1/groups/{gid}/join-requests", {}, status=409, code="conflict")
    assert q.request("message", group_message(gid, "thanks"))["type"] == "ack"

    late = server.register()
    lq = late.connect()
    rid2 = late.ok("POST", f"/v1/groups/{gid}/join-requests", {})["requestId"]
    assert owner.ok("POST", f"/v1/groups/{gid}/join-requests/{rid2}/reject")["status"] == "rejected"
    assert lq.notification("group_join_rejected", groupId=gid)["data"]["actionData"]["requestId"] == rid2
    late.refused("GET", f"/v1/groups/{gid}")

    owner.ok("PATCH", f"/v1/groups/{gid}", {"joinPolicy": "invite_only"})
    late.refused("POST", f"/v1/groups/{gid}/join-requests", {})
    owner.ok("PATCH", f"/v1/groups/{gid}", {"joinPolicy": "open"})
    assert late.ok("POST", f"/v1/groups/{gid}/join-requests", {})["status"] == "accepted"
    assert any(x["userId"] == late.id for x in owner.ok("GET", f"/v1/groups/{gid}")["members"])


def test_group_settings_roles_and_notifications(server):
    owner, admin, bob = (server.register() for _ in range(3))
    gid = make_group(owner, [admin, bob])["groupId"]
    b = bob.connect()
    bob.refused("PATCH", f"/v1/groups/{gid}", {"name": "mine"})
    bob.refused("PUT", f"/v1/groups/{gid}/roles/{admin.id}", {"role": "admin"})

    owner.ok("PUT", f"/v1/groups/{gid}/roles/{admin.id}", {"role": "admin"})
    changed = b.notification("group_role_changed", groupId=gid)["data"]["actionData"]
    assert changed["userId"] == admin.id and changed["role"] == "admin"
    admin.refused("PUT", f"/v1/groups/{gid}/roles/{bob.id}", {"role": "admin"})   # roles are the owner's
    owner.refused("PUT", f"/v1/groups/{gid}/roles/{bob.id}", {"role": "owner"}, status=400, code="bad_request")

    info = admin.ok("PATCH", f"/v1/groups/{gid}", {"name": "新名字", "announcement": "明天开会"})
    assert info["name"] == "新名字" and info["announcement"] == "明天开会"
    assert b.notification("group_info_updated", groupId=gid)["data"]["actionData"]["name"] == "新名字"
    assert b.notification("group_announcement", groupId=gid)["data"]["actionData"]["announcement"] == "明天开会"
    summary = next(c for c in bob.ok("GET", "/v1/conversations")["conversations"] if c["groupId"] == gid)
    assert summary["name"] == "新名字"

    owner.ok("POST", f"/v1/groups/{gid}/transfer", {"userId": bob.id})
    moved = b.notification("group_owner_changed", groupId=gid)["data"]["actionData"]
    assert moved["userId"] == bob.id and moved["previousOwnerId"] == owner.id
    roles = {m["userId"]: m["role"] for m in bob.ok("GET", f"/v1/groups/{gid}")["members"]}
    assert roles == {owner.id: "admin", admin.id: "admin", bob.id: "owner"}
    owner.refused("POST", f"/v1/groups/{gid}/transfer", {"userId": admin.id})
    owner.refused("DELETE", f"/v1/groups/{gid}")

    o = owner.connect()
    bob.ok("DELETE", f"/v1/groups/{gid}")
    assert o.notification("group_dismissed", groupId=gid)["data"]["actionData"]["userId"] == bob.id
    b.notification("group_dismissed", groupId=gid)
    assert o.request("message", group_message(gid, "anyone?"))["data"]["code"] == "forbidden"
    owner.refused("GET", f"/v1/groups/{gid}", status=404, code="not_found")
    assert all(c.get("groupId") != gid for c in owner.ok("GET", "/v1/conversations")["conversations"])


def test_mutes(server):
    owner, admin, bob = (server.register() for _ in range(3))
    gid = make_group(owner, [admin, bob])["groupId"]
    owner.ok("PUT", f"/v1/groups/{gid}/roles/{admin.id}", {"role": "admin"})
    b, a = bob.connect(), admin.connect()

    until = int(time.time() * 1000) + 3_600_000
    bob.refused("PUT", f"/v1/groups/{gid}/mutes/{admin.id}", {"until": until})
    admin.refused("PUT", f"/v1/groups/{gid}/mutes/{owner.id}", {"until": until})
    admin.refused("PUT", f"/v1/groups/{gid}/mutes/{bob.id}", {"until": 5}, status=400, code="bad_request")
    admin.ok("PUT", f"/v1/groups/{gid}/mutes/{bob.id}", {"until": until})
    muted = b.notification("group_muted", groupId=gid, userId=bob.id)["data"]["actionData"]
    assert muted["until"] == until
    assert b.request("message", group_message(gid, "mmm"))["data"]["code"] == "forbidden"
    admin.ok("DELETE", f"/v1/groups/{gid}/mutes/{bob.id}")
    assert b.notification("group_muted", groupId=gid, userId=bob.id)["data"]["actionData"]["until"] == 0
    assert b.request("message", group_message(gid, "free"))["type"] == "ack"

    owner.ok("PATCH", f"/v1/groups/{gid}", {"muteAll": True})
    assert b.notification("group_muted", groupId=gid)["data"]["actionData"]["muteAll"] is True
    assert owner.ok("GET", f"/v1/groups/{gid}")["muteAll"] is True
    assert b.request("message", group_message(gid, "shh"))["data"]["code"] == "forbidden"
    assert a.request("message", group_message(gid, "admins may speak"))["type"] == "ack"
    owner.ok("PATCH", f"/v1/groups/{gid}", {"muteAll": False})
    assert b.notification("group_muted", groupId=gid, muteAll=False)
    assert b.request("message", group_message(gid, "back"))["type"] == "ack"


def test_mentions_and_mention_unread(server):
    owner, bob, carol = (server.register() for _ in range(3))
    created = make_group(owner, [bob, carol])
    gid, cid = created["groupId"], created["conversationId"]
    b, c, o = bob.connect(), carol.connect(), owner.connect()
    assert c.request("message", group_message(gid, "@bob look", atUsers=[bob.id]))["type"] == "ack"
    assert c.request("message", group_message(gid, "plain"))["type"] == "ack"
    everyone = c.request("message", group_message(gid, "@all no", atUsers=["all"]))
    assert everyone["type"] == "error" and everyone["data"]["code"] == "forbidden"
    # Admins may; "@all" is the same as "all".
    assert o.request("message", group_message(gid, "@all meeting", atUsers=["@all"]))["type"] == "ack"
    assert b.message(seq=1)["data"]["atUsers"] == [bob.id]

    def state(user):
        return next(x for x in user.ok("GET", "/v1/conversations")["conversations"] if x["conversationId"] == cid)

    assert (state(bob)["unread"], state(bob)["mentionUnread"]) == (3, 2)
    assert (state(carol)["unread"], state(carol)["mentionUnread"]) == (1, 1)
    b.request("ack", {"conversationId": cid, "seq": 3, "status": "read"})
    assert (state(bob)["unread"], state(bob)["mentionUnread"]) == (0, 0)


def test_read_counts_and_receipts(server):
    owner, bob, carol = (server.register() for _ in range(3))
    created = make_group(owner, [bob, carol])
    gid, cid = created["groupId"], created["conversationId"]
    o, b, c = owner.connect(), bob.connect(), carol.connect()
    first = o.request("message", group_message(gid, "one"))["data"]
    o.request("message", group_message(gid, "two"))

    b.request("ack", {"conversationId": cid, "seq": 2, "status": "read"})
    receipt = o.notification("read_receipt", conversationId=cid, userId=bob.id)["data"]["actionData"]
    assert receipt["seq"] == 2
    c.request("ack", {"conversationId": cid, "seq": 1, "status": "read"})
    o.notification("read_receipt", conversationId=cid, userId=carol.id)

    history = o.request("history", {"conversationId": cid, "afterSeq": 0})["data"]["messages"]
    assert [(m["seq"], m["readCount"]) for m in history] == [(1, 2), (2, 1)]
    detail = owner.ok("GET", f"/v1/conversations/{cid}/messages/{first['messageId']}/receipts")
    assert detail["memberCount"] == 2 and detail["readCount"] == 2 and sorted(detail["readBy"]) == sorted([bob.id, carol.id])
    server.register().refused("GET", f"/v1/conversations/{cid}/messages/{first['messageId']}/receipts")


def test_admins_recall_any_message_any_time(server):
    owner, admin, bob = (server.register() for _ in range(3))
    created = make_group(owner, [admin, bob])
    gid, cid = created["groupId"], created["conversationId"]
    owner.ok("PUT", f"/v1/groups/{gid}/roles/{admin.id}", {"role": "admin"})
    b, a = bob.connect(), admin.connect()
    said = b.request("message", group_message(gid, "oops"))["data"]
    by_owner = a.request("message", group_message(gid, "owner-level"))["data"]
    # A member cannot recall someone else's message; the owner outranks admins.
    assert b.request("recall", {"conversationId": cid, "messageId": by_owner["messageId"]})["data"]["code"] == "forbidden"
    ack = a.request("recall", {"conversationId": cid, "messageId": said["messageId"]})
    assert ack["type"] == "ack"
    note = b.notification("message_recalled", messageId=said["messageId"])["data"]["actionData"]
    assert note["recalledBy"] == admin.id
    o = owner.connect()
    assert o.request("recall", {"conversationId": cid, "messageId": by_owner["messageId"]})["type"] == "ack"


def test_group_notifications_come_back_through_sync(server):
    owner, bob = server.register(), server.register()
    gid = make_group(owner, [bob])["groupId"]
    owner.ok("PATCH", f"/v1/groups/{gid}", {"announcement": "offline news"})
    owner.ok("DELETE", f"/v1/groups/{gid}/members/{bob.id}")
    page = bob.connect().request("sync", {"since": 0, "notificationsAfter": 0})["data"]
    kinds = [n["notificationType"] for n in page["notifications"]]
    assert kinds == ["group_invite", "group_announcement", "group_member_removed"]
    assert all(n["actionData"]["groupId"] == gid for n in page["notifications"])
