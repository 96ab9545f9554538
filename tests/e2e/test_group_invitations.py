"""Who may put you in a group: `groupAdds` (everyone, friends, nobody), invitations to accept or
reject when an add is not allowed directly, and full open groups refusing joins, also under
concurrency."""
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from parley import Server
from test_friends import befriend


def me(user):
    return user.ok("GET", "/v1/users/me")


def invitation_note(sock, group_id):
    return sock.notification("group_invitation", timeout=5, groupId=group_id)["data"]


def member_ids(user, group_id):
    return {m["userId"] for m in user.ok("GET", f"/v1/groups/{group_id}")["members"]}


def test_group_adds_setting_defaults_and_validation(server):
    user = server.register()
    assert me(user).get("groupAdds") == "everyone"
    for value in ("friends", "nobody", "everyone"):
        assert user.ok("PATCH", "/v1/users/me", {"groupAdds": value}).get("groupAdds") == value
        assert me(user).get("groupAdds") == value
    user.refused("PATCH", "/v1/users/me", {"groupAdds": "strangers"}, status=400, code="bad_request")
    user.refused("PATCH", "/v1/users/me", {"groupAdds": True}, status=400, code="bad_request")
    assert me(user).get("groupAdds") == "everyone"
    # friendsOnly users are only added by friends unless they say otherwise.
    shy = server.register()
    shy.ok("PATCH", "/v1/users/me", {"friendsOnly": True})
    assert me(shy).get("groupAdds") == "friends"


def test_everyone_may_add_by_default(server):
    owner, open_user = server.register(), server.register()
    created = owner.ok("POST", "/v1/groups", {"name": "open door", "memberIds": [open_user.id]})
    assert created.get("invited") == []
    assert open_user.id in member_ids(owner, created["groupId"])


def test_a_stranger_invites_instead_of_adding_when_only_friends_may_add(server):
    owner, friend, picky = server.register(), server.register(), server.register()
    picky.ok("PATCH", "/v1/users/me", {"groupAdds": "friends"})
    befriend(friend, picky)
    p = picky.connect()

    created = owner.ok("POST", "/v1/groups", {"name": "Book club 读书会", "memberIds": [picky.id]})
    gid, cid = created["groupId"], created["conversationId"]
    assert created.get("invited") == [picky.id]
    assert member_ids(owner, gid) == {owner.id}
    picky.refused("GET", f"/v1/groups/{gid}")

    note = invitation_note(p, gid)
    assert note["actionType"] == "accept_reject"
    data = note["actionData"]
    assert data["groupId"] == gid and data["conversationId"] == cid and data["name"] == "Book club 读书会"
    assert data["inviterId"] == owner.id and data["invitationId"]
    p.barrier()
    assert p.notifications("group_invite") == [], "invited, not added"

    listed = picky.ok("GET", "/v1/group-invitations")["invitations"]
    assert [(i["invitationId"], i["groupId"], i["name"], i["inviterId"]) for i in listed] == [
        (data["invitationId"], gid, "Book club 读书会", owner.id)]
    assert isinstance(listed[0]["createdAt"], int)

    # A friend adds directly, into a group of their own.
    theirs = friend.ok("POST", "/v1/groups", {"name": "friends", "memberIds": [picky.id]})
    assert theirs.get("invited") == [] and picky.id in member_ids(friend, theirs["groupId"])


def test_nobody_may_add_not_even_friends(server):
    friend, hermit = server.register(), server.register()
    befriend(friend, hermit)
    hermit.ok("PATCH", "/v1/users/me", {"groupAdds": "nobody"})
    h = hermit.connect()
    created = friend.ok("POST", "/v1/groups", {"name": "party", "memberIds": [hermit.id]})
    assert created.get("invited") == [hermit.id]
    assert member_ids(friend, created["groupId"]) == {friend.id}
    assert invitation_note(h, created["groupId"])["actionData"]["inviterId"] == friend.id


def test_adding_members_splits_into_added_and_invited(server):
    owner, member, easy, picky = (server.register() for _ in range(4))
    picky.ok("PATCH", "/v1/users/me", {"groupAdds": "friends"})
    gid = owner.ok("POST", "/v1/groups", {"name": "mixed", "memberIds": [member.id]})["groupId"]
    m, p = member.connect(), picky.connect()
    answer = owner.ok("POST", f"/v1/groups/{gid}/members", {"userIds": [easy.id, picky.id]})
    assert answer["groupId"] == gid and answer["added"] == [easy.id] and answer.get("invited") == [picky.id]
    joined = m.notification("group_member_joined", groupId=gid)["data"]["actionData"]
    assert joined["userIds"] == [easy.id], "only the added member joined"
    assert member_ids(owner, gid) == {owner.id, member.id, easy.id}
    assert invitation_note(p, gid)["actionData"]["inviterId"] == owner.id


def test_accepting_an_invitation_joins_the_group(server):
    owner, member, picky, other = (server.register() for _ in range(4))
    picky.ok("PATCH", "/v1/users/me", {"groupAdds": "nobody"})
    m, p = member.connect(), picky.connect()
    created = owner.ok("POST", "/v1/groups", {"name": "welcome", "memberIds": [member.id, picky.id]})
    gid = created["groupId"]
    invitation = invitation_note(p, gid)["actionData"]["invitationId"]

    other.refused("POST", f"/v1/group-invitations/{invitation}/accept", status=404, code="not_found")
    owner.refused("POST", f"/v1/group-invitations/{invitation}/accept", status=404, code="not_found")
    assert other.ok("GET", "/v1/group-invitations")["invitations"] == []

    accepted = picky.ok("POST", f"/v1/group-invitations/{invitation}/accept")
    assert (accepted["invitationId"], accepted["status"], accepted["groupId"]) == (invitation, "accepted", gid)
    joined = m.notification("group_member_joined", groupId=gid)["data"]["actionData"]
    assert picky.id == joined.get("userId") or picky.id in joined.get("userIds", [])
    assert picky.id in member_ids(owner, gid)
    assert picky.ok("GET", f"/v1/groups/{gid}")["groupId"] == gid
    assert picky.ok("GET", "/v1/group-invitations")["invitations"] == []
    picky.refused("POST", f"/v1/group-invitations/{invitation}/accept", status=409, code="conflict")
    assert picky.post(f"/v1/group-invitations/{invitation}/reject").status_code in (404, 409)
    assert picky.id in member_ids(owner, gid)


def test_rejecting_an_invitation_leaves_the_user_out(server):
    owner, picky = server.register(), server.register()
    picky.ok("PATCH", "/v1/users/me", {"groupAdds": "nobody"})
    gid = owner.ok("POST", "/v1/groups", {"name": "no thanks", "memberIds": [picky.id]})["groupId"]
    invitation = picky.ok("GET", "/v1/group-invitations")["invitations"][0]["invitationId"]
    rejected = picky.ok("POST", f"/v1/group-invitations/{invitation}/reject")
    assert (rejected["invitationId"], rejected["status"]) == (invitation, "rejected")
    assert member_ids(owner, gid) == {owner.id}
    assert picky.ok("GET", "/v1/group-invitations")["invitations"] == []
    assert picky.post(f"/v1/group-invitations/{invitation}/accept").status_code in (404, 409)
    assert member_ids(owner, gid) == {owner.id}
    picky.refused("POST", "/v1/group-invitations/424242/accept", status=404, code="not_found")


def test_friends_only_users_are_not_put_into_a_strangers_group(server):
    stranger, shy = server.register(), server.register()
    shy.ok("PATCH", "/v1/users/me", {"friendsOnly": True})
    created = stranger.ok("POST", "/v1/groups", {"name": "spam", "memberIds": [shy.id]})
    assert shy.id not in member_ids(stranger, created["groupId"])
    assert created.get("invited") == [shy.id]
    gid = stranger.ok("POST", "/v1/groups", {"name": "spam 2"})["groupId"]
    added = stranger.ok("POST", f"/v1/groups/{gid}/members", {"userIds": [shy.id]})
    assert added["added"] == [] and added.get("invited") == [shy.id]
    assert shy.id not in member_ids(stranger, gid)


# --- 9. full open groups --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def small_groups():
    node = Server("--max-group-size", "5").start()
    yield node
    node.cleanup()


def test_joining_a_full_open_group_is_a_conflict(small_groups):
    owner, *members = (small_groups.register() for _ in range(4))
    gid = owner.ok("POST", "/v1/groups", {"name": "almost full", "memberIds": [m.id for m in members],
                                          "joinPolicy": "open"})["groupId"]
    fifth, sixth = small_groups.register(), small_groups.register()
    assert fifth.ok("POST", f"/v1/groups/{gid}/join-requests", {})["status"] == "accepted"
    sixth.refused("POST", f"/v1/groups/{gid}/join-requests", {}, status=409, code="conflict")
    info = owner.ok("GET", f"/v1/groups/{gid}")
    assert info["memberCount"] == 5 and len(info["members"]) == 5


def test_concurrent_joins_never_overfill_an_open_group(small_groups):
    owner = small_groups.register()
    gid = owner.ok("POST", "/v1/groups", {"name": "rush", "joinPolicy": "open"})["groupId"]
    joiners = [small_groups.register() for _ in range(20)]

    def join(user):
        return requests.post(f"{small_groups.http}/v1/groups/{gid}/join-requests", json={},
                             headers={"Authorization": f"Bearer {user.token}"}, timeout=30)

    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(join, joiners))
    statuses = [a.status_code for a in answers]
    assert statuses.count(200) == 4 and statuses.count(409) == 16, statuses
    assert all(a.json()["status"] == "accepted" for a in answers if a.status_code == 200)
    assert all(a.json()["error"]["code"] == "conflict" for a in answers if a.status_code == 409)
    info = owner.ok("GET", f"/v1/groups/{gid}")
    assert info["memberCount"] == 5 and len(info["members"]) == 5
