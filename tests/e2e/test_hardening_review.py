"""What an attacker's review of the first hardening pass found: per-address limits behind a load
balancer, a squattable anonymised name, a single large reply cutting a client off, invitations
outliving the inviter's right to invite, previews counted in Characters."""
import uuid

import pytest
import requests

from parley import Server, text_message
from test_groups import group_message, make_group


def wrong_login(node, username, forwarded_for=None):
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    return requests.post(node.http + "/v1/auth/login", json={"username": username, "password": "not the password"},
                         headers=headers, timeout=30).status_code


@pytest.mark.parametrize("trusted", [True, False])
def test_behind_a_trusted_balancer_each_client_has_its_own_login_budget(trusted):
    # --login-attempts 1: one failure per account, four per address, in five minutes.
    flags = ["--login-attempts", "1"] + (["--trusted-proxies", "127.0.0.1"] if trusted else [])
    node = Server(*flags).start()
    try:
        # A client claims a made-up first hop; only the balancer's right-most entry counts.
        codes = [wrong_login(node, f"nobody{i}", "6.6.6.6, 10.0.0.1") for i in range(5)]
        assert codes == [401, 401, 401, 401, 429], codes
        other = wrong_login(node, "nobody-else", "10.0.0.2")
        # Behind a trusted balancer 10.0.0.2 is another client; without the flag the header is
        # ignored (anyone can write it) and every request is the same address.
        assert other == (401 if trusted else 429)
    finally:
        node.cleanup()


def test_the_anonymised_name_of_a_deleted_account_cannot_be_taken_first(server):
    victim = server.register()
    squat = server.post("/v1/auth/register", {"username": f"~deleted-{victim.id}", "password": "correct horse"})
    assert squat.status_code == 400 and "username" in squat.json()["error"]["message"]
    # The old form is an ordinary name now, and taking it does not stop the deletion.
    assert server.post("/v1/auth/register", {"username": f"deleted-{victim.id}", "password": "correct horse"}).status_code == 200
    assert victim.ok("DELETE", "/v1/users/me", {"password": victim.password}) == {"status": "ok"}
    assert server.get(f"/v1/users/{victim.id}", server.register().token).json()["displayName"] == "Deleted user"


def test_one_reply_larger_than_the_byte_budget_reaches_a_client_that_reads():
    node = Server("--outbound-queue-bytes", "65536").start()
    try:
        alice, bob = node.register(), node.register()
        sock = alice.connect()
        for i in range(12):  # 12 texts of 10,000 characters: a history page of about 130 KB
            ack = sock.request("message", text_message(bob.id, f"{i:02d}" + "x" * 9_990))
            assert ack["type"] == "ack", ack
        page = sock.request("history", {"conversationId": ack["data"]["conversationId"], "afterSeq": 0, "limit": 50})
        assert page["type"] == "history" and len(page["data"]["messages"]) == 12
        assert sock.request("ping")["type"] == "pong", "the session was cut off"
    finally:
        node.cleanup()


def test_an_invitation_ends_when_the_inviter_may_no_longer_add_members(server):
    owner, member, shy = server.register(), server.register(), server.register()
    shy.ok("PATCH", "/v1/users/me", {"groupAdds": "nobody"})
    gid = make_group(owner, [member], joinPolicy="open")["groupId"]
    invited = member.ok("POST", f"/v1/groups/{gid}/members", {"userIds": [shy.id]})
    assert invited["added"] == [] and invited["invited"] == [shy.id]
    [invitation] = shy.ok("GET", "/v1/group-invitations")["invitations"]
    owner.ok("DELETE", f"/v1/groups/{gid}/members/{member.id}")
    refused = shy.refused("POST", f"/v1/group-invitations/{invitation['invitationId']}/accept")
    assert "invited" in refused["message"]
    assert shy.ok("GET", "/v1/group-invitations")["invitations"] == []
    assert shy.id not in [m["userId"] for m in owner.ok("GET", f"/v1/groups/{gid}")["members"]]


def test_a_quote_preview_is_bounded_by_scalars_not_characters(server):
    owner, bob = server.register(), server.register()
    gid = make_group(owner, [bob])["groupId"]
    sock = owner.connect()
    # One "character": a base letter and 5,000 variation selectors (20 KB).
    heavy = sock.request("message", group_message(gid, "a" + "\U000E0100" * 5_000))
    assert heavy["type"] == "ack", heavy
    reply = sock.request("message", group_message(gid, "k", replyTo=heavy["data"]["messageId"]))
    assert reply["type"] == "ack"
    page = bob.ok("GET", f"/v1/conversations/{heavy['data']['conversationId']}/messages")["messages"]
    quote = next(m for m in page if m["messageId"] == reply["data"]["messageId"])["quote"]
    assert len(quote["preview"]) <= 200 and len(quote["preview"].encode()) <= 800, len(quote["preview"].encode())


@pytest.mark.parametrize("name", ["\u200b", "\u3164\u3164", "a\u200bdmin", "\ufeffalice"])
def test_invisible_names_are_refused(server, name):
    user = server.register()
    r = user.patch("/v1/users/me", {"displayName": name})
    assert r.status_code == 400 and r.json()["error"]["code"] == "bad_request", r.text


def test_a_file_name_cannot_reverse_its_extension(server):
    alice, bob = server.register(), server.register()
    r = alice.post("/v1/messages", {"receiverId": bob.id, "contentType": "file", "localId": uuid.uuid4().hex,
                                    "content": {"url": "https://example.com/f", "name": "invoice\u202efdp.exe", "size": 10}})
    assert r.status_code == 400 and "name" in r.json()["error"]["message"], r.text
