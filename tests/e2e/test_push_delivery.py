"""Offline push delivery on one node, through the APNs stand-in (HTTP/2, ES256 JWT) and the push
webhook: who gets a push, what it says, retries, dead tokens, the push log and the metrics."""
import re
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from parley import Server
from push_helpers import (wait_metric, ADMIN, NODE_FLAGS, apns_token, eventually, make_group, metric, metric_names, push_log,
                          quiet_hours, read_up_to, recall, register_token, send, send_content, send_group, settings,
                          token_ids, wait_entry, wait_presence)
from push_standins import ApnsStandIn, TestPKI, WebhookReceiver, push_flags

SECRET = "push-webhook-secret-" + uuid.uuid4().hex[:8]
UUID = re.compile(r"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$")


class Push:
    def __init__(self):
        self.pki = TestPKI()
        self.apns = ApnsStandIn(self.pki)
        self.sandbox = ApnsStandIn(self.pki, key_from=self.apns)
        self.hook = WebhookReceiver(secret=SECRET)
        self.node = Server(*push_flags(self.pki, self.apns, self.hook), *self.sandbox.sandbox_flags(), *NODE_FLAGS).start()

    def user(self, display=None, apns=True):
        """A registered user, with an APNs token when `apns` (returned as user.apns)."""
        user = self.node.register(display=display)
        user.apns = apns_token() if apns else None
        user.apns_id = register_token(user, "apns", user.apns) if apns else None
        return user

    def close(self):
        self.node.cleanup()
        for standin in (self.apns, self.sandbox, self.hook):
            standin.close()
        self.pki.cleanup()


@pytest.fixture(scope="module")
def push():
    p = Push()
    yield p
    p.close()


def test_an_offline_device_gets_one_push_with_the_payload(push):
    alice, bob = push.user("Alice"), push.user("Bob")
    before = time.time()
    ack = send(alice, bob, "hello bob")
    [got] = push.apns.wait_for(1, token=bob.apns)
    cid, mid = ack["conversationId"], ack["messageId"]
    assert got.ok and got.method == "POST" and got.path == f"/3/device/{bob.apns}" and got.http_version == "2"
    h = got.headers
    assert h["apns-topic"] == push.apns.topic and h["apns-push-type"] == "alert" and h["apns-priority"] == "10"
    assert h["apns-collapse-id"] == cid and UUID.match(h["apns-id"]), h
    assert abs(int(h["apns-expiration"]) - (before + 7 * 86400)) < 120, h["apns-expiration"]
    assert got.jwt_header == {"alg": "ES256", "kid": push.apns.key_id}
    assert got.claims["iss"] == push.apns.team_id and abs(got.claims["iat"] - before) < 3600
    assert got.body == {"aps": {"alert": {"title": "Alice", "body": "hello bob"}, "badge": 1, "sound": "default",
                                "thread-id": cid, "mutable-content": 1},
                        "conversationId": cid, "messageId": mid}
    entry = wait_entry(bob, mid, bob.apns_id)
    assert entry["status"] == "sent" and entry["provider"] == "apns" and entry["attempts"] == 1
    assert entry["conversationId"] == cid and entry.get("reason") is None and entry["id"]
    assert entry["createdAt"] <= entry["sentAt"] and abs(entry["sentAt"] / 1000 - time.time()) < 60
    # One push per message and device: the sender gets none, and nothing came twice.
    assert len(push.apns.received(message_id=mid)) == 1


def test_badges_count_every_unread_message(push):
    alice, carol, bob = push.user("Alice"), push.user("Carol"), push.user("Bob")

    def badge_of(ack):
        [got] = push.apns.wait_for(1, token=bob.apns, message_id=ack["messageId"])
        return got.body["aps"]["badge"]

    m1 = send(alice, bob, "one")
    assert badge_of(m1) == 1
    m2 = send(alice, bob, "two")
    assert badge_of(m2) == 2
    c1 = send(carol, bob, "from carol")
    assert badge_of(c1) == 3, "the badge counts every conversation"
    read_up_to(bob, m2)
    m3 = send(alice, bob, "three")
    assert badge_of(m3) == 2, "read messages leave the badge"
    [got] = push.apns.received(message_id=c1["messageId"])
    assert got.body["aps"]["thread-id"] == c1["conversationId"] != m1["conversationId"]
    assert got.headers["apns-collapse-id"] == c1["conversationId"]


def test_the_sender_gets_no_push(push):
    alice, bob = push.user("Alice"), push.user("Bob")
    to_bob = send(alice, bob, "from alice")
    push.apns.wait_for(1, token=bob.apns, message_id=to_bob["messageId"])
    to_alice = send(bob, alice, "from bob")
    push.apns.wait_for(1, token=alice.apns, message_id=to_alice["messageId"])
    assert [r.message_id for r in push.apns.received(token=alice.apns)] == [to_alice["messageId"]]
    wait_entry(alice, to_alice["messageId"], alice.apns_id)  # logged once the provider answered
    assert [e["messageId"] for e in push_log(alice)] == [to_alice["messageId"]]


def test_no_push_while_the_recipient_is_online(push):
    alice, bob = push.user("Alice"), push.user("Bob")
    b = bob.connect()
    online = send(alice, bob, "while you are here")
    b.message(messageId=online["messageId"])
    b.close()
    wait_presence(bob, "offline")
    later = send(alice, bob, "after you left")
    push.apns.wait_for(1, token=bob.apns, message_id=later["messageId"])
    assert [r.message_id for r in push.apns.received(token=bob.apns)] == [later["messageId"]]
    assert [e for e in push_log(bob) if e["messageId"] == online["messageId"] and e["status"] == "sent"] == []


def test_a_muted_conversation_is_skipped_unless_the_message_mentions_the_user(push):
    alice, bob, carol = push.user("Alice"), push.user("Bob"), push.user("Carol")
    group = make_group(alice, [bob, carol], name="Muted team")
    bob.ok("PATCH", f"/v1/conversations/{group['conversationId']}", {"muted": True})
    muted_before = metric(push.node.get("/metrics").text, "parley_push_skipped_total", reason="muted")
    quiet = send_group(alice, group["groupId"], "nothing for bob")
    push.apns.wait_for(1, token=carol.apns, message_id=quiet["messageId"])
    # In a group a muted member's skip is counted, not logged (a row per member per message).
    wait_metric(push.node, "parley_push_skipped_total", muted_before + 1, reason="muted")
    assert [e for e in push_log(bob) if e["messageId"] == quiet["messageId"]] == []
    mention = send_group(alice, group["groupId"], "bob, look", atUsers=[bob.id])
    [got] = push.apns.wait_for(1, token=bob.apns, message_id=mention["messageId"])
    assert got.body["aps"]["alert"] == {"title": "Alice @ Muted team", "body": "bob, look"}, "mentions don't change the text"
    everyone = send_group(alice, group["groupId"], "everyone, look", atUsers=["all"])
    push.apns.wait_for(1, token=bob.apns, message_id=everyone["messageId"])
    assert [r.message_id for r in push.apns.received(token=bob.apns)] == [mention["messageId"], everyone["messageId"]]


def test_disabled_push_sends_nothing(push):
    alice, bob = push.user("Alice"), push.user("Bob")
    settings(bob, enabled=False)
    off = send(alice, bob, "not pushed")
    entry = wait_entry(bob, off["messageId"], bob.apns_id)
    assert (entry["status"], entry["reason"]) == ("skipped", "disabled")
    settings(bob, enabled=True)
    on = send(alice, bob, "pushed")
    push.apns.wait_for(1, token=bob.apns, message_id=on["messageId"])
    assert [r.message_id for r in push.apns.received(token=bob.apns)] == [on["messageId"]]


def test_a_blocked_sender_pushes_nothing_in_a_shared_group(push):
    alice, bob, carol = push.user("Alice"), push.user("Bob"), push.user("Carol")
    group = make_group(alice, [bob, carol], name="Shared")
    bob.ok("POST", "/v1/blocks", {"userId": alice.id})
    ack = send_group(alice, group["groupId"], "bob blocked me")
    push.apns.wait_for(1, token=carol.apns, message_id=ack["messageId"])
    entry = wait_entry(bob, ack["messageId"], bob.apns_id)
    assert (entry["status"], entry["reason"]) == ("skipped", "blocked")
    from_carol = send_group(carol, group["groupId"], "carol is not blocked")
    push.apns.wait_for(1, token=bob.apns, message_id=from_carol["messageId"])
    assert push.apns.received(token=bob.apns, message_id=ack["messageId"]) == []


def test_a_recall_cancels_a_pending_push_and_a_later_recall_sends_nothing(push):
    alice, bob = push.user("Alice"), push.user("Bob")
    # The first attempt is refused with a Retry-After long enough to recall meanwhile.
    push.apns.script(bob.apns, [(503, {"Retry-After": "2"}, {"reason": "ServiceUnavailable"})])
    ack = send(alice, bob, "oops")
    push.apns.wait_for(1, token=bob.apns, message_id=ack["messageId"])
    eventually(lambda: any(e["status"] == "pending" and e["attempts"] == 1 for e in push_log(bob)),
               "the refused attempt is not in the log as pending")
    recall(alice, ack)
    entry = wait_entry(bob, ack["messageId"], bob.apns_id)
    assert (entry["status"], entry["reason"]) == ("skipped", "recalled")
    assert [r.status for r in push.apns.received(message_id=ack["messageId"])] == [503]

    # Recalled after it was pushed: nothing more is sent for it.
    sent = send(alice, bob, "sent, then recalled")
    push.apns.wait_for(1, token=bob.apns, message_id=sent["messageId"])
    recall(alice, sent)
    after = send(alice, bob, "after the recall")
    push.apns.wait_for(1, token=bob.apns, message_id=after["messageId"])
    assert len(push.apns.received(message_id=sent["messageId"])) == 1
    assert push.apns.received(message_id=ack["messageId"])[-1].status == 503


def test_quiet_hours_are_silent_in_the_users_time_zone(push):
    alice, bob = push.user("Alice"), push.user("Bob")
    # An hour either side of now in Shanghai (UTC+8): wrong whenever the zone is ignored.
    settings(bob, quietHours=quiet_hours(True, "Asia/Shanghai"))
    hushed = send(alice, bob, "psst")
    [got] = push.apns.wait_for(1, token=bob.apns, message_id=hushed["messageId"])
    assert got.headers["apns-priority"] == "5"
    aps = got.body["aps"]
    assert "sound" not in aps and aps["interruption-level"] == "passive" and aps["badge"] == 1
    assert aps["alert"] == {"title": "Alice", "body": "psst"}
    settings(bob, quietHours=quiet_hours(False, "Asia/Shanghai"))
    loud = send(alice, bob, "hello!")
    [got] = push.apns.wait_for(1, token=bob.apns, message_id=loud["messageId"])
    assert got.headers["apns-priority"] == "10"
    assert got.body["aps"]["sound"] == "default" and "interruption-level" not in got.body["aps"]
    assert got.body["aps"]["badge"] == 2


def test_without_preview_the_push_says_new_message_only(push):
    alice, bob = push.user("Alice Sender"), push.user("Bob")
    settings(bob, preview=False)
    ack = send(alice, bob, "the secret plan")
    [got] = push.apns.wait_for(1, token=bob.apns, message_id=ack["messageId"])
    assert got.body["aps"]["alert"] == {"title": "New message", "body": ""}
    assert got.body["aps"]["badge"] == 1
    assert b"secret plan" not in got.raw and b"Alice Sender" not in got.raw


def test_previews_are_cut_and_name_other_content(push):
    alice, bob = push.user("Alice"), push.user("Bob")
    exact, long = "x" * 100, "y" * 150
    acks = {
        exact: send(alice, bob, exact),
        long[:100] + "…": send(alice, bob, long),
        "[image]": send_content(alice, bob, "image", {"url": "https://example.com/a.png", "width": 10, "height": 10}),
        "[location]": send_content(alice, bob, "location", {"latitude": 31.2, "longitude": 121.4, "name": "上海"}),
        "[sticker]": send_content(alice, bob, "sticker", {"stickerId": "cat-01"}),
        "[message]": send_content(alice, bob, "custom", {"customType": "poll", "data": {"q": "?"}}),
    }
    pushes = push.apns.wait_for(len(acks), token=bob.apns)
    bodies = {r.message_id: r.body["aps"]["alert"]["body"] for r in pushes}
    assert {expected: bodies[ack["messageId"]] for expected, ack in acks.items()} == {e: e for e in acks}


def test_retries_honour_retry_after_and_keep_one_apns_id(push):
    alice, bob = push.user("Alice"), push.user("Bob")
    busy = (503, {"Retry-After": "1"}, {"reason": "ServiceUnavailable"})
    push.apns.script(bob.apns, [busy, busy])
    ack = send(alice, bob, "third time lucky")
    tries = push.apns.wait_for(3, token=bob.apns, message_id=ack["messageId"])
    assert [r.status for r in tries] == [503, 503, 200]
    assert len({r.headers["apns-id"] for r in tries}) == 1, "a retry is the same notification"
    # --push-backoff-ms is 100 here (at most 0.5 s with jitter): the 1 s waits are the provider's Retry-After.
    assert all(b.at - a.at >= 0.75 for a, b in zip(tries, tries[1:])), [r.at for r in tries]
    entry = wait_entry(bob, ack["messageId"], bob.apns_id)
    assert (entry["status"], entry["attempts"]) == ("sent", 3)


def test_attempts_exhausted_fail_with_the_providers_reason(push):
    alice, bob = push.user("Alice"), push.user("Bob")
    push.apns.always(bob.apns, (500, {}, {"reason": "InternalServerError"}))
    try:
        ack = send(alice, bob, "never arrives")
        entry = wait_entry(bob, ack["messageId"], bob.apns_id, status=("sent", "failed"))
        assert entry["status"] == "failed" and entry["attempts"] == 3 and "InternalServerError" in entry["reason"]
        assert len(push.apns.received(message_id=ack["messageId"])) == 3
        assert token_ids(bob) == [bob.apns_id], "a failing provider does not cost the token"
    finally:
        push.apns.always(bob.apns, None)
    # An answer that is neither success, retryable nor a dead token fails at once.
    push.apns.script(bob.apns, [(400, {}, {"reason": "BadPriority"})])
    ack = send(alice, bob, "refused")
    entry = wait_entry(bob, ack["messageId"], bob.apns_id, status=("sent", "failed"))
    assert (entry["status"], entry["attempts"], entry["reason"]) == ("failed", 1, "BadPriority")
    assert token_ids(bob) == [bob.apns_id]


@pytest.mark.parametrize("status, reason", [(410, "Unregistered"), (400, "BadDeviceToken"), (400, "DeviceTokenNotForTopic")])
def test_dead_apns_tokens_are_deleted(push, status, reason):
    alice, bob = push.user("Alice"), push.user("Bob")
    spare = apns_token()
    spare_id = register_token(bob, "apns", spare, device="tablet")
    push.apns.script(bob.apns, [(status, {}, {"reason": reason})])
    ack = send(alice, bob, "to a dead phone")
    entry = wait_entry(bob, ack["messageId"], bob.apns_id, status=("sent", "failed"))
    assert (entry["status"], entry["reason"], entry["attempts"]) == ("failed", reason, 1)
    assert token_ids(bob) == [spare_id]
    later = send(alice, bob, "only the tablet")
    push.apns.wait_for(1, token=spare, message_id=later["messageId"])
    assert push.apns.received(token=bob.apns, message_id=later["messageId"]) == []


def test_an_expired_provider_token_is_made_anew_and_the_push_retried(push):
    alice, bob = push.user("Alice"), push.user("Bob")
    first, second = send(alice, bob, "one"), None
    push.apns.wait_for(1, token=bob.apns, message_id=first["messageId"])
    second = send(alice, bob, "two")
    push.apns.wait_for(1, token=bob.apns, message_id=second["messageId"])
    [a], [b] = (push.apns.received(message_id=m["messageId"]) for m in (first, second))
    assert a.headers["authorization"] == b.headers["authorization"], "the provider JWT is reused"
    push.apns.expire_provider_tokens()
    third = send(alice, bob, "three")
    tries = push.apns.wait_for(2, token=bob.apns, message_id=third["messageId"])
    assert [r.status for r in tries] == [403, 200] and tries[0].reply_body == {"reason": "ExpiredProviderToken"}
    assert tries[0].headers["authorization"] != tries[1].headers["authorization"]
    assert wait_entry(bob, third["messageId"], bob.apns_id)["status"] == "sent"


def test_sandbox_tokens_go_to_the_sandbox_endpoint(push):
    alice, bob = push.user("Alice"), push.user("Bob", apns=False)
    token = apns_token()
    register_token(bob, "apns", token, sandbox=True)
    ack = send(alice, bob, "to a development build")
    [got] = push.sandbox.wait_for(1, token=token)
    assert got.message_id == ack["messageId"] and got.headers["apns-topic"] == push.apns.topic
    assert push.apns.received(token=token) == []


def test_a_token_of_an_unconfigured_provider_is_skipped(push):
    alice, bob = push.user("Alice"), push.user("Bob")
    hms = register_token(bob, "hms", "hms-" + uuid.uuid4().hex, device="huawei")
    ack = send(alice, bob, "to both")
    push.apns.wait_for(1, token=bob.apns, message_id=ack["messageId"])
    entry = wait_entry(bob, ack["messageId"], hms)
    assert (entry["status"], entry["reason"], entry["provider"]) == ("skipped", "unconfigured", "hms")


def test_the_push_webhook_gets_the_payload_signed_and_keeps_its_id_on_retries(push):
    alice, bob = push.user("Alice"), push.user("Bob", apns=False)
    hook_token = "hook-" + uuid.uuid4().hex
    token_id = register_token(bob, "webhook", hook_token, device="desk")
    push.hook.script(hook_token, [(503, {"Retry-After": "1"}, {"error": "busy"})])
    before = time.time()
    ack = send(alice, bob, "over the webhook")
    first, second = push.hook.wait_for(2, token=hook_token)
    assert (first.status, second.status) == (503, 200)
    assert (first.headers["parley-attempt"], second.headers["parley-attempt"]) == ("1", "2")
    assert first.headers["parley-push-id"] == second.headers["parley-push-id"] == second.body["pushId"]
    assert second.claims["valid"] and second.headers["content-type"].startswith("application/json")
    body = second.body
    expected = {"userId": bob.id, "deviceId": "desk", "token": hook_token, "conversationId": ack["conversationId"],
                "messageId": ack["messageId"], "title": "Alice", "body": "over the webhook", "badge": 1, "quiet": False}
    assert {k: body.get(k) for k in expected} == expected and isinstance(body["pushId"], str)
    assert before * 1000 - 5000 < body["timestamp"] < time.time() * 1000 + 5000
    entry = wait_entry(bob, ack["messageId"], token_id)
    assert (entry["id"], entry["status"], entry["attempts"], entry["provider"]) == (body["pushId"], "sent", 2, "webhook")

    # 404/410: the endpoint says the token is gone.
    push.hook.script(hook_token, [(410, {}, {"error": "gone"})])
    gone = send(alice, bob, "gone")
    entry = wait_entry(bob, gone["messageId"], token_id, status=("sent", "failed"))
    assert (entry["status"], entry["reason"]) == ("failed", "gone")
    assert token_ids(bob) == []


def test_a_group_message_pushes_once_to_each_of_many_offline_members(push):
    members = 150  # expanded in batches of 100: two batches
    with ThreadPoolExecutor(8) as pool:
        users = list(pool.map(lambda i: push.user("Owner" if i == 0 else None), range(members + 2)))
    owner, online, offline = users[0], users[1], users[2:]
    group = make_group(owner, users[1:], name="Town hall")
    o = online.connect()
    wait_presence(online, "online")
    online_before = metric(push.node.get("/metrics").text, "parley_push_skipped_total", reason="online")
    ack = send_group(owner, group["groupId"], "all hands")
    pushes = push.apns.wait_for(members, timeout=60, message_id=ack["messageId"])
    assert sorted(r.token for r in pushes) == sorted(u.apns for u in offline)
    assert all(r.body["aps"]["alert"] == {"title": "Owner @ Town hall", "body": "all hands"} for r in pushes)
    # The online member's skip is counted, not logged, in a group.
    wait_metric(push.node, "parley_push_skipped_total", online_before + 1, reason="online")
    assert [e for e in push_log(online) if e["messageId"] == ack["messageId"]] == []
    # The owner (the sender) and the online member got nothing; nobody got it twice.
    after = send_group(offline[0], group["groupId"], "thanks")
    push.apns.wait_for(1, token=owner.apns, message_id=after["messageId"])
    assert len(push.apns.received(message_id=ack["messageId"])) == members
    assert push.apns.received(token=owner.apns, message_id=ack["messageId"]) == []
    o.close()


def test_the_push_log_is_the_users_own_and_the_admins(push):
    alice, bob, eve = push.user("Alice"), push.user("Bob"), push.user("Eve")
    acks = []
    for i in range(3):  # one after the other: concurrent pushes may log in any order
        acks.append(send(alice, bob, f"log {i}"))
        wait_entry(bob, acks[-1]["messageId"], bob.apns_id)
    entries = push_log(bob)
    assert [e["messageId"] for e in entries] == [a["messageId"] for a in reversed(acks)], "newest first"
    assert [e["createdAt"] for e in entries] == sorted((e["createdAt"] for e in entries), reverse=True)
    assert all(set(e) >= {"id", "messageId", "conversationId", "provider", "tokenId", "status", "attempts", "createdAt"}
               for e in entries)
    assert [e["messageId"] for e in push_log(bob, 2)] == [acks[2]["messageId"], acks[1]["messageId"]]
    assert push_log(eve) == []
    for bad in ("0", "201", "x"):
        bob.refused("GET", f"/v1/push/log?limit={bad}", status=400, code="bad_request")
    admin = bob.server.get("/v1/admin/push/log", ADMIN, {"userId": bob.id, "limit": "2"})
    assert admin.status_code == 200, admin.text
    assert [e["messageId"] for e in admin.json()["entries"]] == [acks[2]["messageId"], acks[1]["messageId"]]
    assert bob.server.get("/v1/admin/push/log", None, {"userId": bob.id}).status_code == 401
    assert bob.server.get("/v1/admin/push/log", bob.token, {"userId": bob.id}).status_code == 401


def test_metrics_count_sent_failed_and_skipped_pushes(push):
    alice, bob, carol = push.user("Alice"), push.user("Bob"), push.user("Carol")
    before = push.node.get("/metrics").text
    ok = send(alice, bob, "counted")
    wait_entry(bob, ok["messageId"], bob.apns_id)
    push.apns.script(carol.apns, [(410, {}, {"reason": "Unregistered"})])
    dead = send(alice, carol, "dead token")
    wait_entry(carol, dead["messageId"], carol.apns_id)
    settings(bob, enabled=False)
    off = send(alice, bob, "disabled")
    wait_entry(bob, off["messageId"], bob.apns_id)
    after = push.node.get("/metrics").text
    delta = lambda name, **labels: metric(after, name, **labels) - metric(before, name, **labels)  # noqa: E731
    assert delta("parley_push_sent_total", provider="apns") == 1
    assert delta("parley_push_failed_total", provider="apns", reason="Unregistered") == 1
    assert delta("parley_push_skipped_total", reason="disabled") == 1
    assert {"parley_push_send_seconds_bucket", "parley_push_send_seconds_count", "parley_push_send_seconds_sum"} <= \
        metric_names(after)
    assert delta("parley_push_send_seconds_count") >= 2
