"""Hardening of what users store and show: merged forwards that cannot blow up, length limits
counted in Unicode scalars, profile fields that cannot carry scripts or terminal escapes,
mentions of members only, and request ids that are never echoed when too long."""
import uuid

import pytest

from parley import text_message
from test_groups import group_message, make_group


def send(sock, receiver, content_type, content, **extra):
    data = {"conversationType": "private", "receiverId": receiver, "contentType": content_type, "content": content,
            "localId": uuid.uuid4().hex, **extra}
    return sock.request("message", data)


def stacked(count, marks=1, base="q"):
    """`count` user-perceived characters, each a base letter and `marks` combining accents
    (q + U+0301 has no precomposed form, so normalization cannot shorten it)."""
    return (base + "\u0301" * marks) * count


def fresh_username():
    return "u" + uuid.uuid4().hex[:12]


# --- 1. merged forwards -----------------------------------------------------------------------

def test_a_forward_stores_each_message_once(server):
    alice, bob, carol = server.register(), server.register(), server.register()
    a, c = alice.connect(), carol.connect()
    one = a.request("message", text_message(bob.id, "one"))["data"]
    two = a.request("message", text_message(bob.id, "two"))["data"]
    ids = [one["messageId"]] * 99 + [two["messageId"]]
    ack = send(a, carol.id, "forward", {"conversationId": one["conversationId"], "messageIds": ids})
    assert ack["type"] == "ack", ack
    delivered = c.message(contentType="forward")["data"]["content"]
    assert [m["messageId"] for m in delivered["messages"]] == [one["messageId"], two["messageId"]]
    stored = c.request("history", {"conversationId": ack["data"]["conversationId"], "afterSeq": 0})["data"]["messages"]
    assert [m["messageId"] for m in stored[-1]["content"]["messages"]] == [one["messageId"], two["messageId"]]


def test_a_forward_of_a_forward_refers_to_it_instead_of_copying_it(server):
    alice, bob, carol, dave = (server.register() for _ in range(4))
    a, d = alice.connect(), dave.connect()
    one = a.request("message", text_message(bob.id, "one"))["data"]
    two = a.request("message", text_message(bob.id, "two"))["data"]
    inner = send(a, carol.id, "forward", {"conversationId": one["conversationId"],
                                          "messageIds": [one["messageId"], two["messageId"]], "title": "chat"})
    assert inner["type"] == "ack", inner
    inner_cid, inner_mid = inner["data"]["conversationId"], inner["data"]["messageId"]
    outer = send(a, dave.id, "forward", {"conversationId": inner_cid, "messageIds": [inner_mid], "title": "outer"})
    assert outer["type"] == "ack", outer

    content = d.message(contentType="forward")["data"]["content"]
    assert content["conversationId"] == inner_cid and content["title"] == "outer"
    [entry] = content["messages"]
    assert entry["messageId"] == inner_mid and entry["senderId"] == alice.id
    assert entry["contentType"] == "forward"
    reference = entry["content"]
    assert "messages" not in reference, "the nested forward was inlined"
    assert reference["conversationId"] == inner_cid and reference["messageId"] == inner_mid
    assert reference["count"] == 2
    assert set(reference) <= {"conversationId", "messageId", "title", "count"}, reference
    assert reference.get("title", "chat") == "chat"
    # History stores the same reference.
    stored = d.request("history", {"conversationId": outer["data"]["conversationId"], "afterSeq": 0})["data"]["messages"]
    assert stored[-1]["content"]["messages"][0]["content"] == reference


def test_a_forward_snapshot_over_the_byte_limit_is_too_large(server):
    """Default --max-forward-bytes: 65536."""
    alice, bob, carol = server.register(), server.register(), server.register()
    a = alice.connect()
    sent = [a.request("message", text_message(bob.id, f"{i:02d}" + "y" * 9000))["data"] for i in range(10)]
    source = sent[0]["conversationId"]
    ids = [m["messageId"] for m in sent]
    fits = send(a, carol.id, "forward", {"conversationId": source, "messageIds": ids[:5]})
    assert fits["type"] == "ack", fits                                  # ~45 KB
    refused = send(a, carol.id, "forward", {"conversationId": source, "messageIds": ids})
    assert refused["type"] == "error" and refused["data"]["code"] == "too_large", refused   # ~90 KB
    over_http = alice.post("/v1/messages", {"receiverId": carol.id, "contentType": "forward", "localId": uuid.uuid4().hex,
                                            "content": {"conversationId": source, "messageIds": ids}})
    assert over_http.status_code == 413 and over_http.json()["error"]["code"] == "too_large", over_http.text
    # Nothing of the refused forwards was stored: Carol has the one that fitted.
    cid = fits["data"]["conversationId"]
    assert [m["seq"] for m in carol.ok("GET", f"/v1/conversations/{cid}/messages")["messages"]] == [1]


# --- 6. lengths count Unicode scalars ----------------------------------------------------------

def test_display_name_length_counts_unicode_scalars(server):
    heavy = stacked(64, marks=100)                                      # 64 characters, 6,464 scalars
    r = server.post("/v1/auth/register", {"username": fresh_username(), "password": "correct horse", "displayName": heavy})
    assert r.status_code == 400 and r.json()["error"]["code"] == "bad_request", r.text
    assert "displayName" in r.json()["error"]["message"]
    user = server.register()
    user.refused("PATCH", "/v1/users/me", {"displayName": heavy}, status=400, code="bad_request")
    user.refused("PATCH", "/v1/users/me", {"displayName": stacked(33)}, status=400, code="bad_request")  # 66 scalars
    assert user.ok("PATCH", "/v1/users/me", {"displayName": "名" * 64})["displayName"] == "名" * 64
    assert user.ok("PATCH", "/v1/users/me", {"displayName": stacked(32)})["displayName"] == stacked(32)  # 64 scalars


def test_group_name_and_announcement_lengths_count_unicode_scalars(server):
    owner = server.register()
    owner.refused("POST", "/v1/groups", {"name": stacked(100, marks=2)}, status=400, code="bad_request")
    owner.refused("POST", "/v1/groups", {"name": "ok", "announcement": stacked(4000)}, status=400, code="bad_request")
    gid = owner.ok("POST", "/v1/groups", {"name": "群" * 100, "announcement": "公" * 4000})["groupId"]
    owner.refused("PATCH", f"/v1/groups/{gid}", {"name": stacked(51)}, status=400, code="bad_request")
    owner.refused("PATCH", f"/v1/groups/{gid}", {"announcement": stacked(2001)}, status=400, code="bad_request")
    info = owner.ok("PATCH", f"/v1/groups/{gid}", {"name": stacked(50), "announcement": stacked(2000)})
    assert info["name"] == stacked(50) and info["announcement"] == stacked(2000)


def test_request_messages_count_unicode_scalars(server):
    alice, bob, owner = server.register(), server.register(), server.register()
    alice.refused("POST", "/v1/friends/requests", {"userId": bob.id, "message": stacked(251)}, status=400, code="bad_request")
    assert alice.ok("POST", "/v1/friends/requests", {"userId": bob.id, "message": stacked(250)})["status"] == "pending"
    gid = make_group(owner, [])["groupId"]
    alice.refused("POST", f"/v1/groups/{gid}/join-requests", {"message": stacked(251)}, status=400, code="bad_request")
    assert alice.ok("POST", f"/v1/groups/{gid}/join-requests", {"message": "好" * 500})["status"] == "pending"


@pytest.mark.parametrize("content_type, content, field", [
    ("file", {"url": "https://cdn.example/f.pdf", "name": stacked(128), "size": 10}, "name"),            # 256 scalars
    ("location", {"latitude": 1, "longitude": 2, "name": stacked(128)}, "name"),
    ("location", {"latitude": 1, "longitude": 2, "address": stacked(501)}, "address"),                 # 1,002
    ("card", {"userId": "1", "displayName": stacked(33)}, "displayName"),                              # 66
    ("forward", {"title": stacked(128)}, "title"),                                                   # source filled in below
])
def test_content_string_fields_count_unicode_scalars(server, content_type, content, field):
    alice, bob = server.register(), server.register()
    a = alice.connect()
    if content_type == "forward":
        source = a.request("message", text_message(bob.id, "to forward"))["data"]
        content = {**content, "conversationId": source["conversationId"], "messageIds": [source["messageId"]]}
    reply = send(a, bob.id, content_type, content)
    assert reply["type"] == "error" and reply["data"]["code"] == "bad_request", reply
    assert field in reply["data"]["message"]


def test_content_string_fields_at_their_scalar_limits_are_accepted(server):
    alice, bob = server.register(), server.register()
    a = alice.connect()
    assert send(a, bob.id, "file", {"url": "https://cdn.example/f.pdf", "name": "文" * 255, "size": 10})["type"] == "ack"
    assert send(a, bob.id, "location", {"latitude": 1, "longitude": 2, "name": stacked(127) + "x"})["type"] == "ack"


# --- 13. profile fields, mentions, request ids --------------------------------------------------

@pytest.mark.parametrize("avatar", ["javascript:alert(1)", "data:text/html,<script>alert(1)</script>",
                                    "ftp://cdn.example/a.png", "//cdn.example/a.png"])
def test_avatar_must_be_an_http_url(server, avatar):
    user = server.register()
    user.refused("PATCH", "/v1/users/me", {"avatar": avatar}, status=400, code="bad_request")
    assert user.ok("GET", "/v1/users/me")["avatar"] is None


def test_an_http_avatar_is_kept_and_can_be_removed(server):
    user = server.register()
    assert user.ok("PATCH", "/v1/users/me", {"avatar": "https://cdn.example/a.png"})["avatar"] == "https://cdn.example/a.png"
    assert user.ok("PATCH", "/v1/users/me", {"avatar": "http://cdn.example/b.png"})["avatar"] == "http://cdn.example/b.png"
    assert user.ok("PATCH", "/v1/users/me", {"avatar": ""})["avatar"] is None


@pytest.mark.parametrize("name", ["gnp.exe\u202e", "ding\u0007dong", "\x1b[31mred", "line\nbreak", "zero\u0000"],
                         ids=["RLO", "BEL", "ESC", "LF", "NUL"])
def test_display_names_refuse_control_and_bidi_override_characters(server, name):
    r = server.post("/v1/auth/register", {"username": fresh_username(), "password": "correct horse", "displayName": name})
    assert r.status_code == 400 and r.json()["error"]["code"] == "bad_request", r.text
    user = server.register(display="Plain Name")
    user.refused("PATCH", "/v1/users/me", {"displayName": name}, status=400, code="bad_request")
    assert user.ok("GET", "/v1/users/me")["displayName"] == "Plain Name"


def test_only_members_are_kept_in_at_users(server):
    owner, bob, carol, outsider = (server.register() for _ in range(4))
    created = make_group(owner, [bob, carol])
    gid, cid = created["groupId"], created["conversationId"]
    o, c = owner.connect(), carol.connect()
    ack = o.request("message", group_message(gid, "@carol @outsider", atUsers=[carol.id, outsider.id, "4242424242"]))
    assert ack["type"] == "ack", ack
    assert c.message(seq=ack["data"]["seq"])["data"]["atUsers"] == [carol.id]
    everyone = o.request("message", group_message(gid, "@all", atUsers=["all", outsider.id]))
    assert everyone["type"] == "ack", everyone
    assert c.message(seq=everyone["data"]["seq"])["data"]["atUsers"] == ["all"]
    stored = bob.ok("GET", f"/v1/conversations/{cid}/messages")["messages"]
    assert [m["atUsers"] for m in stored] == [[carol.id], ["all"]]
    # In a private chat only the other member counts.
    a = outsider.connect()
    private = a.request("message", text_message(carol.id, "hi", atUsers=[carol.id, bob.id]))
    assert private["type"] == "ack"
    assert c.message(seq=private["data"]["seq"], senderId=outsider.id)["data"]["atUsers"] == [carol.id]


@pytest.mark.parametrize("request_id", ["r" * 129, "字" * 43], ids=["129 ASCII bytes", "43 CJK chars, 129 bytes"])
def test_an_overlong_request_id_is_refused_and_not_echoed(server, request_id):
    socket = server.register().connect()
    socket.send({"type": "ping", "requestId": request_id})
    error = socket.expect(lambda f: f["type"] in ("error", "pong"))
    assert error["type"] == "error" and error["data"]["code"] == "bad_request", error
    assert error.get("requestId") is None, "an overlong requestId was echoed"
    # The session survives, and a request id at the limit is echoed.
    socket.send({"type": "ping", "requestId": "r" * 128})
    pong = socket.expect(lambda f: f["type"] in ("error", "pong"))
    assert pong["type"] == "pong" and pong["requestId"] == "r" * 128, pong


def test_custom_data_is_bounded_in_depth_so_history_can_always_be_sent(server):
    """Foundation reads JSON 512 levels deep and writes 511: content nested near that could be
    stored and never sent again (every history page holding it failed to encode)."""
    alice, bob = server.register(), server.register()

    def nested(levels):
        value = "bottom"
        for _ in range(levels):
            value = [value]
        return value

    def send(levels):
        return alice.post("/v1/messages", {"receiverId": bob.id, "contentType": "custom", "localId": uuid.uuid4().hex,
                                           "content": {"customType": "deep", "data": nested(levels)}})

    deep = send(500)
    assert deep.status_code == 400 and "nested" in deep.json()["error"]["message"], deep.text
    fine = send(31)
    assert fine.status_code == 200, fine.text
    page = bob.get(f"/v1/conversations/{fine.json()['conversationId']}/messages")
    assert page.status_code == 200 and page.json()["messages"][-1]["content"]["data"] == nested(31)
