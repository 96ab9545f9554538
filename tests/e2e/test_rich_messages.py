"""Content types, replies, forwards, edit, delete for me, reactions and search."""
import uuid

import pytest

from parley import text_message
from test_groups import group_message, make_group


def send(sock, receiver, content_type, content, **extra):
    data = {"conversationType": "private", "receiverId": receiver, "contentType": content_type, "content": content,
            "localId": uuid.uuid4().hex, **extra}
    return sock.request("message", data)


VALID = [
    ("image", {"url": "https://cdn.example/p.jpg", "width": 640, "height": 480, "size": 51200, "mimeType": "image/jpeg"}),
    ("video", {"url": "https://cdn.example/v.mp4", "duration": 12.5, "thumbnailUrl": "https://cdn.example/v.jpg"}),
    ("audio", {"url": "https://cdn.example/a.m4a", "duration": 3.2}),
    ("file", {"url": "https://cdn.example/f.pdf", "name": "报告.pdf", "size": 1024}),
    ("sticker", {"stickerId": "cat-01", "packId": "cats"}),
    ("card", {"userId": "123", "displayName": "Carol"}),
    ("location", {"latitude": 31.2304, "longitude": 121.4737, "name": "上海"}),
    ("custom", {"customType": "poll", "data": {"question": "lunch?", "options": ["a", "b"]}}),
]

INVALID = [
    ("image", {"width": 10}, "content.url"),
    ("image", {"url": "ftp://x/y.png"}, "content.url"),
    ("video", {"url": "https://x/v.mp4", "duration": -1}, "content.duration"),
    ("audio", {"url": "https://x/a.m4a"}, "content.duration"),
    ("file", {"url": "https://x/f", "name": "f", "size": "big"}, "content.size"),
    ("sticker", {}, "content.stickerId"),
    ("card", {"userId": 5}, "content.userId"),
    ("location", {"latitude": 95, "longitude": 0}, "content.latitude"),
    ("custom", {"data": {}}, "content.customType"),
    ("text", {"text": "hi", "extra": 1}, "content.extra"),
    ("hologram", {"x": 1}, "contentType"),
    ("image", {"url": "https://x/p.png", "mimeType": "application/x-msdownload"}, "content.mimeType"),
]


def test_every_content_type_is_validated(server):
    alice, bob = server.register(), server.register()
    a, b = alice.connect(), bob.connect()
    for content_type, content in VALID:
        ack = send(a, bob.id, content_type, content)
        assert ack["type"] == "ack", (content_type, ack)
        received = b.message(seq=ack["data"]["seq"])["data"]
        assert received["contentType"] == content_type and received["content"] == content
    for content_type, content, field in INVALID:
        reply = send(a, bob.id, content_type, content)
        assert reply["type"] == "error" and reply["data"]["code"] == "bad_request", (content_type, reply)
        assert field.split(".")[-1] in reply["data"]["message"], (field, reply["data"]["message"])
    # Media rules: a declared size over the kind's limit is too large.
    huge = send(a, bob.id, "video", {"url": "https://x/v.mp4", "duration": 3, "size": 600 * 1024 * 1024})
    assert huge["data"]["code"] == "too_large" and "content.size" in huge["data"]["message"]


def test_replies_carry_a_quote_and_must_stay_in_the_conversation(server):
    alice, bob, carol = server.register(), server.register(), server.register()
    a, b = alice.connect(), bob.connect()
    original = a.request("message", text_message(bob.id, "原文 original"))["data"]
    reply = b.request("message", text_message(alice.id, "reply", replyTo=original["messageId"]))
    assert reply["type"] == "ack"
    quote = a.message(seq=2)["data"]["quote"]
    assert quote["messageId"] == original["messageId"] and quote["senderId"] == alice.id
    assert quote["preview"] == "原文 original" and quote["recalled"] is False
    history = a.request("history", {"conversationId": original["conversationId"], "afterSeq": 0})["data"]["messages"]
    assert history[1]["quote"]["messageId"] == original["messageId"] and history[0]["quote"] is None
    other = carol.connect().request("message", text_message(bob.id, "elsewhere"))["data"]
    bad = b.request("message", text_message(alice.id, "x", replyTo=other["messageId"]))
    assert bad["type"] == "error" and bad["data"]["code"] == "bad_request" and "replyTo" in bad["data"]["message"]


def test_forward_needs_read_access_and_carries_a_snapshot(server):
    alice, bob, carol = server.register(), server.register(), server.register()
    a = alice.connect()
    first = a.request("message", text_message(bob.id, "one"))["data"]
    second = a.request("message", text_message(bob.id, "two"))["data"]
    source = first["conversationId"]
    forward = {"conversationId": source, "messageIds": [first["messageId"], second["messageId"]], "title": "chat"}
    c = carol.connect()
    ack = send(a, carol.id, "forward", forward)
    assert ack["type"] == "ack"
    snapshot = c.message(contentType="forward")["data"]["content"]
    assert [m["content"]["text"] for m in snapshot["messages"]] == ["one", "two"]
    assert snapshot["messages"][0]["senderId"] == alice.id and snapshot["title"] == "chat"
    # Carol cannot forward what she cannot read.
    denied = send(c, bob.id, "forward", {"conversationId": source, "messageIds": [first["messageId"]]})
    assert denied["type"] == "error" and denied["data"]["code"] == "forbidden"
    missing = send(a, carol.id, "forward", {"conversationId": source, "messageIds": ["nope"]})
    assert missing["data"]["code"] == "not_found"
    too_many = send(a, carol.id, "forward", {"conversationId": source, "messageIds": [str(i) for i in range(101)]})
    assert too_many["data"]["code"] == "bad_request"


def test_edit_window_history_and_rules():
    from parley import Server
    node = Server("--edit-window", "2").start()
    try:
        alice, bob = node.register(), node.register()
        a, b = alice.connect(), bob.connect()
        sent = a.request("message", text_message(bob.id, "frist"))["data"]
        cid, mid = sent["conversationId"], sent["messageId"]
        ack = a.request("edit", {"conversationId": cid, "messageId": mid, "content": {"text": "first"}})
        assert ack["type"] == "ack" and ack["data"]["status"] == "edited" and ack["data"]["seq"] == 2
        note = b.notification("message_edited", messageId=mid)["data"]["actionData"]
        assert note["content"] == {"text": "first"} and note["seq"] == 1 and note["eventSeq"] == 2
        history = b.request("history", {"conversationId": cid, "afterSeq": 0})["data"]["messages"]
        assert history[0]["content"] == {"text": "first"} and history[0]["edited"] is True
        assert history[1]["contentType"] == "edit" and history[1]["content"] == {"messageId": mid}
        edits = bob.ok("GET", f"/v1/conversations/{cid}/messages/{mid}/edits")
        assert edits["current"] == {"text": "first"} and [e["content"] for e in edits["edits"]] == [{"text": "frist"}]
        # Only the sender, only editable types, only valid content.
        assert b.request("edit", {"conversationId": cid, "messageId": mid, "content": {"text": "mine"}})["data"]["code"] == "forbidden"
        assert a.request("edit", {"conversationId": cid, "messageId": mid, "content": {"text": ""}})["data"]["code"] == "bad_request"
        image = send(a, bob.id, "image", {"url": "https://x/p.png"})["data"]
        assert a.request("edit", {"conversationId": cid, "messageId": image["messageId"],
                                  "content": {"url": "https://x/q.png"}})["data"]["code"] == "bad_request"
        # Over HTTP too; then the window closes.
        r = alice.post(f"/v1/conversations/{cid}/messages/{mid}/edit", {"content": {"text": "final"}})
        assert r.status_code == 200 and r.json()["status"] == "edited"
        old = a.request("message", text_message(bob.id, "late"))["data"]
        b.barrier()
        deadline = old["timestamp"] + 2100
        import time
        while int(time.time() * 1000) < deadline:
            a.barrier()
        late = a.request("edit", {"conversationId": cid, "messageId": old["messageId"], "content": {"text": "later"}})
        assert late["data"]["code"] == "forbidden"
    finally:
        node.cleanup()


def test_delete_for_me_hides_on_my_devices_only(server):
    alice, bob = server.register(), server.register()
    phone, laptop = alice.connect("phone"), alice.connect("laptop", "desktop")
    b = bob.connect()
    m1 = b.request("message", text_message(alice.id, "keep"))["data"]
    m2 = b.request("message", text_message(alice.id, "secret 秘密"))["data"]
    cid = m1["conversationId"]
    ack = phone.request("delete", {"conversationId": cid, "messageIds": [m2["messageId"]]})
    assert ack["type"] == "ack" and ack["data"]["status"] == "deleted"
    told = laptop.notification("message_deleted", conversationId=cid)["data"]
    assert told["actionData"]["messageIds"] == [m2["messageId"]] and told["seq"] >= 1
    mine = laptop.request("history", {"conversationId": cid, "afterSeq": 0})["data"]["messages"]
    assert [(m["seq"], m.get("deleted", False), m["content"]) for m in mine] == [
        (1, False, {"text": "keep"}), (2, True, None)]
    theirs = b.request("history", {"conversationId": cid, "afterSeq": 0})["data"]["messages"]
    assert theirs[1]["content"] == {"text": "secret 秘密"} and "deleted" not in theirs[1]
    assert alice.ok("GET", "/v1/search/messages?q=秘密")["results"] == []
    assert len(bob.ok("GET", "/v1/search/messages?q=秘密")["results"]) == 1
    # A device that was offline learns it from its inbox.
    later = alice.connect("tablet", "pad").request("sync", {"since": 0, "notificationsAfter": 0})["data"]
    assert any(n["notificationType"] == "message_deleted" for n in later["notifications"])
    assert phone.request("delete", {"conversationId": cid, "messageIds": ["nope"]})["data"]["code"] == "not_found"
    assert phone.request("delete", {"conversationId": cid, "messageIds": []})["data"]["code"] == "bad_request"


def test_recall_edit_delete_converge_after_an_offline_period(server):
    alice, bob = server.register(), server.register()
    a = alice.connect()
    m1 = a.request("message", text_message(bob.id, "one"))["data"]
    m2 = a.request("message", text_message(bob.id, "two"))["data"]
    cid = m1["conversationId"]
    # Bob is offline while Alice recalls one and edits the other, and Bob (elsewhere) deletes nothing.
    a.request("recall", {"conversationId": cid, "messageId": m1["messageId"]})
    a.request("edit", {"conversationId": cid, "messageId": m2["messageId"], "content": {"text": "two, edited"}})
    b = bob.connect()
    page = b.request("sync", {"since": 0, "notificationsAfter": 0})["data"]
    convo = next(c for c in page["conversations"] if c["conversationId"] == cid)
    assert convo["lastSeq"] == 4
    items = b.request("history", {"conversationId": cid, "afterSeq": 0})["data"]["messages"]
    assert [(i["seq"], i["contentType"]) for i in items] == [(1, "text"), (2, "text"), (3, "recall"), (4, "edit")]
    assert items[0]["recalled"] and items[0]["content"] is None
    assert items[1]["content"] == {"text": "two, edited"} and items[1]["edited"]


def test_reactions(server):
    owner, bob, carol = (server.register() for _ in range(3))
    created = make_group(owner, [bob, carol])
    gid, cid = created["groupId"], created["conversationId"]
    o, b, c = owner.connect(), bob.connect(), carol.connect()
    mid = o.request("message", group_message(gid, "vote"))["data"]["messageId"]
    ack = b.request("react", {"conversationId": cid, "messageId": mid, "emoji": "👍"})
    assert ack["type"] == "ack" and ack["data"]["reactions"] == [{"emoji": "👍", "count": 1, "me": True}]
    note = c.notification("message_reaction", messageId=mid)["data"]["actionData"]
    assert note["userId"] == bob.id and note["emoji"] == "👍" and note["action"] == "add"
    c.request("react", {"conversationId": cid, "messageId": mid, "emoji": "👍"})
    c.request("react", {"conversationId": cid, "messageId": mid, "emoji": "🎉"})
    again = b.request("react", {"conversationId": cid, "messageId": mid, "emoji": "👍"})
    assert again["data"]["reactions"][0]["count"] == 2, "reacting twice counts once"
    history = c.request("history", {"conversationId": cid, "afterSeq": 0})["data"]["messages"]
    assert history[0]["reactions"] == [{"emoji": "👍", "count": 2, "me": True}, {"emoji": "🎉", "count": 1, "me": True}]
    removed = bob.delete(f"/v1/conversations/{cid}/messages/{mid}/reactions/👍")
    assert removed.status_code == 200 and removed.json()["reactions"][0] == {"emoji": "👍", "count": 1, "me": False}
    r = bob.post(f"/v1/conversations/{cid}/messages/{mid}/reactions", {"emoji": "❤️"})
    assert r.status_code == 200 and r.json()["status"] == "added"
    bad = b.request("react", {"conversationId": cid, "messageId": mid, "emoji": "not an emoji at all"})
    assert bad["data"]["code"] == "bad_request"
    outsider = server.register().connect()
    assert outsider.request("react", {"conversationId": cid, "messageId": mid, "emoji": "👀"})["data"]["code"] == "forbidden"


def test_search_finds_substrings_in_any_script_and_respects_privacy(server):
    alice, bob, carol = server.register(), server.register(), server.register()
    a, c = alice.connect(), carol.connect()
    a.request("message", text_message(bob.id, "我们明天去北京开会吧"))
    a.request("message", text_message(bob.id, "東京タワーで会いましょう"))
    a.request("message", text_message(bob.id, "Meeting moved to Friday"))
    send(a, bob.id, "file", {"url": "https://x/q.pdf", "name": "季度报告.pdf", "size": 10})
    c.request("message", text_message(bob.id, "carol's 北京 secret"))

    def search(user, **params):
        r = user.get("/v1/search/messages", **params)
        assert r.status_code == 200, r.text
        return r.json()

    beijing = search(alice, q="北京")["results"]
    assert [h["message"]["content"]["text"] for h in beijing] == ["我们明天去北京开会吧"], "never carol's conversation"
    assert "<mark>北京</mark>" in beijing[0]["snippet"]
    assert len(search(bob, q="北京")["results"]) == 2
    assert search(alice, q="タワー")["results"][0]["message"]["content"]["text"] == "東京タワーで会いましょう"
    assert search(alice, q="friday")["results"][0]["snippet"].endswith("<mark>Friday</mark>")
    assert search(alice, q="报告")["results"][0]["message"]["contentType"] == "file"
    assert search(alice, q="报告", contentType="text")["results"] == []
    assert search(bob, q="北京", senderId=carol.id)["results"][0]["message"]["senderId"] == carol.id
    assert search(alice, q="北京", to=1)["results"] == []
    page = search(alice, q="e", limit=1)
    assert len(page["results"]) == 1 and page["nextCursor"]
    rest = search(alice, q="e", limit=10, cursor=page["nextCursor"])["results"]
    assert page["results"][0]["message"]["messageId"] not in [h["message"]["messageId"] for h in rest]
    # Recalled messages are not found.
    m = a.request("message", text_message(bob.id, "oops 撤回"))["data"]
    a.request("recall", {"conversationId": m["conversationId"], "messageId": m["messageId"]})
    assert search(alice, q="撤回")["results"] == []
    alice.refused("GET", "/v1/search/messages?q=", status=400, code="bad_request")
    alice.refused("GET", "/v1/search/messages?q=x&contentType=blob", status=400, code="bad_request")


def test_user_and_group_search(server):
    tag = uuid.uuid4().hex[:6]
    alice = server.register(f"zhang{tag}", display="张伟")
    found = alice.ok("GET", f"/v1/search/users?q={tag}")["users"]
    assert [u["userId"] for u in found] == [alice.id]
    assert alice.id in [u["userId"] for u in alice.ok("GET", "/v1/search/users?q=张伟")["users"]]
    gid = alice.ok("POST", "/v1/groups", {"name": f"读书会 {tag}", "memberIds": []})["groupId"]
    groups = server.register().ok("GET", f"/v1/search/groups?q=读书会 {tag}")["groups"]
    assert groups == [{"groupId": gid, "name": f"读书会 {tag}", "memberCount": 1, "joinPolicy": "approval"}]
