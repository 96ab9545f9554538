"""F1–F3, the client side of offline push: devices register tokens, users choose their settings."""
import pytest

APNS = "a1b2c3d4" * 8  # 64 hex digits, an APNs device token's shape


def test_a_token_is_registered_once_listed_masked_and_deleted(server):
    user = server.register()
    first = user.ok("POST", "/v1/push/tokens", {"provider": "apns", "token": APNS, "deviceId": "phone", "sandbox": True})
    again = user.ok("POST", "/v1/push/tokens", {"provider": "apns", "token": APNS, "deviceId": "phone"})
    assert again["tokenId"] == first["tokenId"], "re-registering the same token must not duplicate it"
    user.ok("POST", "/v1/push/tokens", {"provider": "email", "token": "me@example.com", "deviceId": "web"})
    tokens = user.ok("GET", "/v1/push/tokens")["tokens"]
    assert [(t["provider"], t["deviceId"]) for t in tokens] == [("apns", "phone"), ("email", "web")]
    assert all(set(t) >= {"tokenId", "provider", "deviceId", "createdAt"} for t in tokens)
    assert APNS not in str(tokens) and "me@example.com" not in str(tokens), "tokens are shown masked"
    assert user.ok("DELETE", f"/v1/push/tokens/{first['tokenId']}") == {"status": "ok"}
    assert [t["provider"] for t in user.ok("GET", "/v1/push/tokens")["tokens"]] == ["email"]
    user.refused("DELETE", f"/v1/push/tokens/{first['tokenId']}", status=404, code="not_found")


def test_a_token_moved_to_another_user_leaves_the_first(server):
    alice, bob = server.register(), server.register()
    alice.ok("POST", "/v1/push/tokens", {"provider": "fcm", "token": "shared-phone-token", "deviceId": "phone"})
    bob.ok("POST", "/v1/push/tokens", {"provider": "fcm", "token": "shared-phone-token", "deviceId": "phone"})
    assert alice.ok("GET", "/v1/push/tokens")["tokens"] == []
    assert len(bob.ok("GET", "/v1/push/tokens")["tokens"]) == 1


def test_someone_elses_token_cannot_be_deleted(server):
    alice, bob = server.register(), server.register()
    token = alice.ok("POST", "/v1/push/tokens", {"provider": "fcm", "token": "alices-token", "deviceId": "phone"})["tokenId"]
    bob.refused("DELETE", f"/v1/push/tokens/{token}", status=404, code="not_found")
    assert len(alice.ok("GET", "/v1/push/tokens")["tokens"]) == 1


def test_logout_removes_the_tokens_of_that_login(server):
    user = server.register()
    other = server.post("/v1/auth/login", {"username": user.username, "password": user.password}).json()
    user.ok("POST", "/v1/push/tokens", {"provider": "fcm", "token": "this-login", "deviceId": "phone"})
    server.post("/v1/push/tokens", {"provider": "fcm", "token": "other-login", "deviceId": "tablet"}, other["accessToken"])
    assert user.ok("POST", "/v1/auth/logout") == {"status": "ok"}
    left = server.get("/v1/push/tokens", other["accessToken"]).json()["tokens"]
    assert [t["deviceId"] for t in left] == ["tablet"]


@pytest.mark.parametrize("body, field", [
    ({"provider": "carrier-pigeon", "token": "x", "deviceId": "phone"}, "provider"),
    ({"provider": "apns", "token": "not hex", "deviceId": "phone"}, "token"),
    ({"provider": "email", "token": "no-at-sign", "deviceId": "web"}, "token"),
    ({"provider": "fcm", "token": "has space", "deviceId": "phone"}, "token"),
    ({"provider": "fcm", "token": "x" * 5000, "deviceId": "phone"}, "token"),
    ({"provider": "fcm", "token": "ok", "deviceId": ""}, "deviceId"),
    ({"provider": "fcm", "token": "ok", "deviceId": "phone", "sandbox": True}, "sandbox"),
])
def test_bad_registrations_are_refused(server, body, field):
    user = server.register()
    error = user.refused("POST", "/v1/push/tokens", body, status=400, code="bad_request")
    assert field in error["message"]


def test_a_user_holds_a_bounded_number_of_tokens(server):
    user = server.register()
    for i in range(20):
        user.ok("POST", "/v1/push/tokens", {"provider": "fcm", "token": f"token-{i}", "deviceId": f"d{i}"})
    user.refused("POST", "/v1/push/tokens", {"provider": "fcm", "token": "one-more", "deviceId": "d20"}, status=409, code="conflict")
    # Updating one that is there is still fine.
    user.ok("POST", "/v1/push/tokens", {"provider": "fcm", "token": "token-3", "deviceId": "d3-renamed"})


def test_settings_default_change_and_clear_quiet_hours(server):
    user = server.register()
    assert user.ok("GET", "/v1/push/settings") == {"enabled": True, "preview": True, "quietHours": None}
    quiet = {"start": "22:30", "end": "07:00", "timeZone": "Asia/Shanghai"}
    changed = user.ok("PATCH", "/v1/push/settings", {"preview": False, "quietHours": quiet})
    assert changed == {"enabled": True, "preview": False, "quietHours": quiet}
    assert user.ok("PATCH", "/v1/push/settings", {"enabled": False})["quietHours"] == quiet, "absent fields stay"
    cleared = user.ok("PATCH", "/v1/push/settings", {"quietHours": None})
    assert cleared == {"enabled": False, "preview": False, "quietHours": None}
    assert user.ok("GET", "/v1/push/settings") == cleared


@pytest.mark.parametrize("quiet, field", [
    ({"start": "25:00", "end": "07:00", "timeZone": "UTC"}, "quietHours.start"),
    ({"start": "22:00", "end": "7:00", "timeZone": "UTC"}, "quietHours.end"),
    ({"start": "22:00", "end": "07:00", "timeZone": "Mars/Olympus"}, "quietHours.timeZone"),
])
def test_bad_quiet_hours_are_refused(server, quiet, field):
    user = server.register()
    error = user.refused("PATCH", "/v1/push/settings", {"quietHours": quiet}, status=400, code="bad_request")
    assert field in error["message"]


def test_forty_registrations_at_once_keep_the_bound(server):
    from concurrent.futures import ThreadPoolExecutor
    import requests
    user = server.register()
    url, headers = server.http + "/v1/push/tokens", {"Authorization": f"Bearer {user.token}"}
    with ThreadPoolExecutor(40) as pool:
        codes = list(pool.map(lambda i: requests.post(url, json={"provider": "fcm", "token": f"burst-{i}", "deviceId": f"d{i}"},
                                                      headers=headers, timeout=30).status_code, range(40)))
    assert sorted(set(codes)) == [200, 409] and codes.count(200) == 20, codes
    assert len(user.ok("GET", "/v1/push/tokens")["tokens"]) == 20


def test_reading_the_push_log_counts_against_the_read_limit():
    """40 reads at once of the push log: the user's read budget (here 5) serves five, the rest
    are told to wait; reads of another user are not affected."""
    from concurrent.futures import ThreadPoolExecutor
    from parley import Server
    node = Server("--read-burst", "5", "--read-rate", "0.01").start()
    try:
        alice, bob = node.register(), node.register()
        with ThreadPoolExecutor(40) as pool:
            statuses = list(pool.map(lambda _: alice.get("/v1/push/log").status_code, range(40)))
        assert statuses.count(200) == 5 and statuses.count(429) == 35, statuses
        limited = alice.get("/v1/push/log").json()
        assert limited["error"]["code"] == "rate_limited", limited
        assert bob.get("/v1/push/log").status_code == 200
    finally:
        node.cleanup()
