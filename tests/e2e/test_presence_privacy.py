"""Presence privacy: device ids go only to the user's own devices, and `presenceVisibility`
(contacts, friends, nobody) decides who sees status and lastSeen at all."""
import time

from test_friends import befriend


def presence_of(viewer, user):
    [entry] = viewer.ok("GET", f"/v1/presence?userIds={user.id}")["presence"]
    assert entry["userId"] == user.id
    return entry


def hidden(entry):
    return entry["status"] == "offline" and entry["lastSeen"] is None and entry["devices"] == []


def circle(server):
    """A user with a friend, a group-mate who is not a friend, and a stranger; the user is online."""
    user, friend, mate, stranger = (server.register() for _ in range(4))
    befriend(user, friend)
    friend.ok("POST", "/v1/groups", {"name": "shared", "memberIds": [user.id, mate.id]})
    sock = user.connect("phone", "ios")
    return user, friend, mate, stranger, sock


def test_device_ids_only_go_to_the_users_own_devices(server):
    user, friend, mate, stranger, _ = circle(server)
    user.connect("laptop", "desktop")
    own = presence_of(user, user)
    assert own["status"] == "online"
    assert sorted(d["deviceId"] for d in own["devices"]) == ["laptop", "phone"]
    for viewer in (friend, mate):
        seen = presence_of(viewer, user)
        assert seen["status"] == "online", "a contact sees the status"
        assert seen["devices"] == [], "device ids leaked to another user"


def test_presence_notifications_to_friends_carry_no_device_ids(server):
    user, friend = server.register(), server.register()
    befriend(user, friend)
    f = friend.connect()
    user.connect("phone", "ios")
    pushed = f.notification("presence", userId=user.id, status="online")["data"]["actionData"]
    assert pushed["devices"] == []


def test_contacts_see_presence_by_default_and_strangers_do_not(server):
    user, friend, mate, stranger, sock = circle(server)
    assert user.ok("GET", "/v1/users/me").get("presenceVisibility") == "contacts"
    assert presence_of(friend, user)["status"] == "online"
    assert presence_of(mate, user)["status"] == "online", "people who share a group are contacts"
    assert hidden(presence_of(stranger, user)), presence_of(stranger, user)

    # Offline with a lastSeen: contacts see when, strangers still see nothing.
    sock.close()
    deadline = time.monotonic() + 10
    while presence_of(friend, user)["status"] != "offline":
        assert time.monotonic() < deadline, "the user never went offline"
        time.sleep(0.05)
    assert isinstance(presence_of(friend, user)["lastSeen"], int)
    assert isinstance(presence_of(mate, user)["lastSeen"], int)
    assert hidden(presence_of(stranger, user))


def test_friends_visibility_hides_presence_from_group_mates(server):
    user, friend, mate, stranger, _ = circle(server)
    assert user.ok("PATCH", "/v1/users/me", {"presenceVisibility": "friends"}).get("presenceVisibility") == "friends"
    assert user.ok("GET", "/v1/users/me").get("presenceVisibility") == "friends"
    assert presence_of(friend, user)["status"] == "online"
    assert hidden(presence_of(mate, user))
    assert hidden(presence_of(stranger, user))


def test_nobody_visibility_hides_presence_from_everyone_else(server):
    user, friend, mate, stranger, _ = circle(server)
    user.ok("PATCH", "/v1/users/me", {"presenceVisibility": "nobody"})
    assert user.ok("GET", "/v1/users/me").get("presenceVisibility") == "nobody"
    for viewer in (friend, mate, stranger):
        assert hidden(presence_of(viewer, user))
    # The user still sees themself.
    assert presence_of(user, user)["status"] == "online"
    # And it can be opened up again.
    user.ok("PATCH", "/v1/users/me", {"presenceVisibility": "contacts"})
    assert presence_of(mate, user)["status"] == "online"


def test_presence_visibility_values_are_checked(server):
    user = server.register()
    user.refused("PATCH", "/v1/users/me", {"presenceVisibility": "everyone"}, status=400, code="bad_request")
    user.refused("PATCH", "/v1/users/me", {"presenceVisibility": 1}, status=400, code="bad_request")
    assert user.ok("GET", "/v1/users/me").get("presenceVisibility") == "contacts"
