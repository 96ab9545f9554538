"""DELETE /v1/users/me: the account ends, its sessions are closed, its groups are handed on or
dismissed, its messages stay under "Deleted user", and its username is free again."""
import time
import uuid

import pytest
from websockets.exceptions import ConnectionClosed

from parley import text_message
from test_groups import group_message, make_group


def delete_account(user, password):
    return user.server.call("DELETE", "/v1/users/me", {"password": password}, user.token)


def test_the_password_is_required(server):
    user = server.register()
    wrong = delete_account(user, "not my password")
    assert wrong.status_code == 403 and wrong.json()["error"]["code"] == "forbidden", wrong.text
    missing = user.server.call("DELETE", "/v1/users/me", None, user.token)
    assert missing.status_code in (400, 403), missing.text
    assert user.get("/v1/users/me").status_code == 200
    assert server.post("/v1/auth/login", {"username": user.username, "password": user.password}).status_code == 200


def test_deleting_ends_every_session_and_login(server):
    user, peer = server.register(), server.register()
    phone, laptop = user.connect("phone"), user.connect("laptop", "desktop")
    answer = delete_account(user, user.password)
    assert answer.status_code == 200 and answer.json() == {"status": "ok"}, answer.text
    for sock in (phone, laptop):
        assert sock.notification("kicked")["data"]["actionData"]["reason"] == "account_deleted"
        with pytest.raises(ConnectionClosed) as closed:
            sock.conn.recv(timeout=10)
        assert closed.value.rcvd.code == 4001
    assert user.get("/v1/users/me").status_code == 401
    assert server.post("/v1/auth/login", {"username": user.username, "password": user.password}).status_code == 401
    assert server.post("/v1/auth/refresh", {"refreshToken": user.grant["refreshToken"]}).status_code == 401
    assert server.post("/v1/auth/login", {"username": f"~deleted-{user.id}", "password": user.password}).status_code == 401

    profile = peer.ok("GET", f"/v1/users/{user.id}")
    assert profile["displayName"] == "Deleted user"
    assert profile["username"] == f"~deleted-{user.id}"


def test_the_username_can_be_registered_again(server):
    user = server.register()
    assert delete_account(user, user.password).status_code == 200
    again = server.post("/v1/auth/register", {"username": user.username, "password": "another passphrase"})
    assert again.status_code == 200, again.text
    assert again.json()["userId"] != user.id
    assert server.get("/v1/users/me", again.json()["accessToken"]).json()["username"] == user.username


def test_old_messages_stay_under_deleted_user(server):
    user, peer = server.register(), server.register()
    sent = user.connect().request("message", text_message(peer.id, "remember me"))["data"]
    assert delete_account(user, user.password).status_code == 200
    [kept] = peer.ok("GET", f"/v1/conversations/{sent['conversationId']}/messages")["messages"]
    assert kept["messageId"] == sent["messageId"] and kept["content"] == {"text": "remember me"}
    assert kept["senderId"] == user.id and kept["senderName"] == "Deleted user"


def test_an_owned_group_passes_to_an_admin(server):
    owner, admin, member = (server.register() for _ in range(3))
    created = make_group(owner, [member, admin])
    gid = created["groupId"]
    owner.ok("PUT", f"/v1/groups/{gid}/roles/{admin.id}", {"role": "admin"})
    m = member.connect()
    o = owner.connect()
    assert o.request("message", group_message(gid, "bye"))["type"] == "ack"
    assert delete_account(owner, owner.password).status_code == 200
    assert m.notification("group_member_left", groupId=gid, userId=owner.id)
    info = member.ok("GET", f"/v1/groups/{gid}")
    assert info["ownerId"] == admin.id
    roles = {x["userId"]: x["role"] for x in info["members"]}
    assert roles == {admin.id: "owner", member.id: "member"}
    # The group lives on: the new owner can run it and the members can talk.
    admin.ok("PATCH", f"/v1/groups/{gid}", {"name": "new management"})
    assert m.request("message", group_message(gid, "still here"))["type"] == "ack"
    history = member.ok("GET", f"/v1/conversations/{created['conversationId']}/messages")["messages"]
    assert history[0]["senderId"] == owner.id and history[0]["senderName"] == "Deleted user"


def test_without_an_admin_the_longest_standing_member_becomes_owner(server):
    owner, first, later = (server.register() for _ in range(3))
    gid = make_group(owner, [first])["groupId"]
    joined = {x["userId"]: x["joinedAt"] for x in owner.ok("GET", f"/v1/groups/{gid}")["members"]}
    while int(time.time() * 1000) <= joined[first.id]:
        owner.ok("GET", f"/v1/groups/{gid}")             # let the clock move past the first join
    owner.ok("POST", f"/v1/groups/{gid}/members", {"userIds": [later.id]})
    f, l_ = first.connect(), later.connect()
    assert delete_account(owner, owner.password).status_code == 200
    for sock in (f, l_):
        sock.notification("group_member_left", groupId=gid, userId=owner.id)
    info = later.ok("GET", f"/v1/groups/{gid}")
    assert info["ownerId"] == first.id
    assert {x["userId"] for x in info["members"]} == {first.id, later.id}


def test_a_group_of_one_is_dismissed(server):
    loner, other = server.register(), server.register()
    name = "solo " + uuid.uuid4().hex[:8]
    gid = loner.ok("POST", "/v1/groups", {"name": name})["groupId"]
    assert delete_account(loner, loner.password).status_code == 200
    other.refused("GET", f"/v1/groups/{gid}", status=404, code="not_found")
    assert other.ok("GET", f"/v1/search/groups?q={name}")["groups"] == []


def test_membership_in_others_groups_ends(server):
    owner, leaver = server.register(), server.register()
    gid = make_group(owner, [leaver])["groupId"]
    o = owner.connect()
    assert delete_account(leaver, leaver.password).status_code == 200
    o.notification("group_member_left", groupId=gid, userId=leaver.id)
    assert {x["userId"] for x in owner.ok("GET", f"/v1/groups/{gid}")["members"]} == {owner.id}
