"""Content filter, frequency limits, login throttling, revocation, the admin API, metrics,
readiness and the configuration file."""
import json
import os
import re
import tempfile
import time

import pytest

from parley import Server, User, text_message

ADMIN = "admin-token-for-tests-0123456789"


@pytest.fixture(scope="module")
def guarded():
    rules = tempfile.NamedTemporaryFile("w", suffix=".rules", delete=False)
    rules.write("# test rules\nmask 笨蛋\nmask bad\nreject 违禁品\n")
    rules.close()
    node = Server("--filter-rules", rules.name, "--admin-token", ADMIN).start()
    node.rules_path = rules.name
    yield node
    node.cleanup()
    os.unlink(rules.name)


def admin(node, method, path, body=None, token=ADMIN):
    return node.call(method, path, body, token)


def texts_received(sock, count):
    return [sock.message()["data"]["content"]["text"] for _ in range(count)]


def test_masking_and_rejecting_resist_width_and_zero_width_tricks(guarded):
    alice, bob = guarded.register(), guarded.register()
    a, b = alice.connect(), bob.connect()
    for text in ["你是笨蛋", "ＢＡＤ idea", "B\u200bad news", "no problem"]:
        assert a.request("message", text_message(bob.id, text))["type"] == "ack"
    assert texts_received(b, 4) == ["你是**", "*** idea", "*\u200b** news", "no problem"]
    for text in ["卖违禁品", "卖违\u200d禁品", "卖ｖ违禁品"]:
        reply = a.request("message", text_message(bob.id, text))
        assert reply["type"] == "error" and reply["data"]["code"] == "forbidden", text
    history = b.request("history", {"conversationId": f"p_{min(alice.id, bob.id)}_{max(alice.id, bob.id)}", "afterSeq": 0})
    assert "笨蛋" not in json.dumps(history, ensure_ascii=False), "the stored text is masked too"


def test_rules_reload_by_admin_call_and_on_file_change(guarded):
    alice, bob = guarded.register(), guarded.register()
    a = alice.connect()
    assert a.request("message", text_message(bob.id, "buy spam now"))["type"] == "ack"
    with open(guarded.rules_path, "a") as rules:
        rules.write("reject spam\n")
    reloaded = admin(guarded, "POST", "/v1/admin/rules/reload")
    assert reloaded.status_code == 200 and reloaded.json()["rules"] == 4
    assert a.request("message", text_message(bob.id, "buy spam now"))["data"]["code"] == "forbidden"
    # Changing the file is enough: the node notices within seconds.
    with open(guarded.rules_path, "a") as rules:
        rules.write("reject phishing\n")
    deadline = time.monotonic() + 15
    while a.request("message", text_message(bob.id, "phishing link"))["type"] == "ack":
        assert time.monotonic() < deadline, "the rules file change was not picked up"
        a.barrier()


def test_per_user_frequency_limit_spans_sessions():
    node = Server("--user-message-rate", "0.1667", "--user-message-burst", "10").start()
    try:
        alice, bob = node.register(), node.register()
        phone, laptop = alice.connect("phone"), alice.connect("laptop", "desktop")
        for i in range(10):
            sock = phone if i % 2 == 0 else laptop
            assert sock.request("message", text_message(bob.id, f"m{i}"))["type"] == "ack"
        refused = laptop.request("message", text_message(bob.id, "eleventh"))
        assert refused["data"]["code"] == "rate_limited" and refused["data"]["retryAfterMs"] > 1000
        r = alice.post("/v1/messages", text_message(bob.id, "over http"))
        assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
    finally:
        node.cleanup()


def test_login_is_throttled_per_account():
    node = Server("--login-attempts", "3").start()
    try:
        alice = node.register()
        for _ in range(3):
            assert node.post("/v1/auth/login", {"username": alice.username, "password": "wrong guess"}).status_code == 401
        blocked = node.post("/v1/auth/login", {"username": alice.username, "password": alice.password})
        assert blocked.status_code == 429 and blocked.json()["error"]["code"] == "rate_limited"
        assert int(blocked.headers["Retry-After"]) > 0
        # Another account from the same address is not locked yet (4x the per-account limit).
        bob = node.register()
        assert node.post("/v1/auth/login", {"username": bob.username, "password": bob.password}).status_code == 200
    finally:
        node.cleanup()


def test_password_change_kicks_every_device_and_weak_passwords_are_refused(guarded):
    alice = guarded.register()
    phone, laptop = alice.connect("phone"), alice.connect("laptop", "desktop")
    weak = guarded.post("/v1/auth/register", {"username": "weakling" + str(time.time_ns())[-6:], "password": "12345678"})
    assert weak.status_code == 400 and weak.json()["error"]["code"] == "bad_request"
    alice.refused("POST", "/v1/auth/password", {"currentPassword": "not it", "newPassword": "a much better one"})
    alice.refused("POST", "/v1/auth/password", {"currentPassword": alice.password, "newPassword": "aaaaaaaa"},
                  status=400, code="bad_request")
    grant = alice.ok("POST", "/v1/auth/password", {"currentPassword": alice.password, "newPassword": "a much better one"})
    for sock in (phone, laptop):
        assert sock.notification("kicked")["data"]["actionData"]["reason"] == "password_changed"
    assert alice.get("/v1/users/me").status_code == 401, "old tokens are revoked"
    assert guarded.post("/v1/auth/refresh", {"refreshToken": alice.grant["refreshToken"]}).status_code == 401
    assert guarded.get("/v1/users/me", grant["accessToken"]).status_code == 200
    assert guarded.post("/v1/auth/login", {"username": alice.username, "password": "a much better one"}).status_code == 200


def test_admin_api_needs_its_credential(guarded):
    user = guarded.register()
    assert admin(guarded, "GET", "/v1/admin/stats", token=None).status_code == 401
    assert admin(guarded, "GET", "/v1/admin/stats", token="wrong-token-wrong-token").status_code == 401
    assert admin(guarded, "GET", "/v1/admin/stats", token=user.token).status_code == 401, "a user token is not enough"
    stats = admin(guarded, "GET", "/v1/admin/stats").json()
    assert stats["sessions"] >= 0 and stats["rules"] >= 3


def test_ban_force_offline_and_broadcast(guarded):
    alice, bob = guarded.register(), guarded.register()
    a = alice.connect()
    assert admin(guarded, "POST", f"/v1/admin/users/{alice.id}/ban").status_code == 200
    assert a.notification("kicked")["data"]["actionData"]["reason"] == "banned"
    assert alice.get("/v1/users/me").status_code == 401
    banned = guarded.post("/v1/auth/login", {"username": alice.username, "password": alice.password})
    assert banned.status_code == 403
    assert admin(guarded, "POST", f"/v1/admin/users/{alice.id}/unban").status_code == 200
    assert guarded.post("/v1/auth/login", {"username": alice.username, "password": alice.password}).status_code == 200
    assert admin(guarded, "POST", "/v1/admin/users/nobody/ban").status_code == 404

    b = bob.connect()
    assert admin(guarded, "POST", f"/v1/admin/users/{bob.id}/offline").status_code == 200
    assert b.notification("kicked")["data"]["actionData"]["reason"] == "forced_offline"
    assert bob.get("/v1/users/me").status_code == 200, "forced offline is not a ban"

    b2 = bob.connect("tablet", "pad")
    sent = admin(guarded, "POST", "/v1/admin/broadcast", {"title": "维护通知", "content": "Tonight 2:00", "userIds": [bob.id]})
    assert sent.status_code == 200 and sent.json()["recipients"] == 1
    note = b2.notification("system")["data"]
    assert note["title"] == "维护通知" and note["content"] == "Tonight 2:00" and note["seq"] >= 1
    everyone = admin(guarded, "POST", "/v1/admin/broadcast", {"title": "Hello all", "content": "x"})
    assert everyone.json()["recipients"] >= 2
    assert b2.notification("system")["data"]["title"] == "Hello all"


def metric(text, name):
    match = re.search(rf"^{name} (\d+(?:\.\d+)?)$", text, re.M)
    assert match, f"{name} missing"
    return float(match.group(1))


def test_metrics_move_with_traffic_and_readiness(guarded):
    before = guarded.get("/metrics").text
    alice, bob = guarded.register(), guarded.register()
    a, b = alice.connect(), bob.connect()
    for i in range(3):
        a.request("message", text_message(bob.id, f"metric {i}"))
    b.message(seq=3)
    after = guarded.get("/metrics")
    assert after.headers["Content-Type"].startswith("text/plain")
    text = after.text
    assert metric(text, "parley_messages_received_total") >= metric(before, "parley_messages_received_total") + 3
    assert metric(text, "parley_connections") >= 2 and metric(text, "parley_connections_peak") >= 2
    assert metric(text, "parley_send_ack_seconds_count") >= metric(before, "parley_send_ack_seconds_count") + 3
    assert metric(text, "parley_connection_attempts_total") >= metric(before, "parley_connection_attempts_total") + 2
    assert 'parley_store_append_seconds_bucket{le="+Inf"}' in text
    ready = guarded.get("/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"


def test_configuration_file_and_precedence():
    config = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False)
    json.dump({"max-text-length": 10, "recall-window": 1}, config)
    config.close()
    node = Server("--config", config.name, "--recall-window", "300").start()
    try:
        alice, bob = node.register(), node.register()
        a = alice.connect()
        assert a.request("message", text_message(bob.id, "x" * 11))["data"]["code"] == "too_large"
        sent = a.request("message", text_message(bob.id, "short"))["data"]
        a.barrier()
        time.sleep(0)  # the flag (300 s) wins over the file (1 s): an immediate recall works either way
        assert a.request("recall", {"conversationId": sent["conversationId"], "messageId": sent["messageId"]})["type"] == "ack"
    finally:
        node.cleanup()
        os.unlink(config.name)
    broken = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False)
    broken.write("{not json")
    broken.close()
    with pytest.raises(RuntimeError, match="configuration file"):
        Server("--config", broken.name).start()
    os.unlink(broken.name)
