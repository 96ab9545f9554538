"""Hardening of accounts and tokens: refresh tokens, login and password-change throttling,
registration limits and the hashing line, password byte limits, where an access token may
travel, error messages that leak no internals, and range-checked duration flags."""
import json
import re
import time
import uuid
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

import pytest
import requests
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from parley import Server, text_message


def error_code(response):
    try:
        return response.json()["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return None


def login(node, username, password):
    return requests.post(node.http + "/v1/auth/login", json={"username": username, "password": password}, timeout=30)


def fresh_node(*flags):
    """A node of its own: these tests use up per-address budgets (127.0.0.1 is every test's address)."""
    return Server(*flags).start()


@pytest.fixture
def own_node():
    nodes = []

    def start(*flags):
        node = fresh_node(*flags)
        nodes.append(node)
        return node

    yield start
    for node in nodes:
        node.cleanup()


# --- 2. refresh tokens -------------------------------------------------------------------------

def test_a_forged_refresh_secret_is_refused_and_the_login_keeps_working(server):
    user = server.register()
    socket = user.connect()
    login_id, secret = user.grant["refreshToken"].split(".", 1)
    forged = login_id + "." + ("A" if secret[0] != "A" else "B") + secret[1:]
    refused = server.post("/v1/auth/refresh", {"refreshToken": forged})
    assert refused.status_code == 401 and error_code(refused) == "unauthorized", refused.text

    # Nothing of the login was touched: its access token, its socket and its real refresh token.
    assert user.get("/v1/users/me").status_code == 200, "a forged secret must not revoke the login"
    assert socket.request("ping")["type"] == "pong"
    rotated = server.post("/v1/auth/refresh", {"refreshToken": user.grant["refreshToken"]})
    assert rotated.status_code == 200, rotated.text
    assert rotated.json()["userId"] == user.id
    socket.barrier()
    assert socket.notifications("kicked") == []


def test_replaying_a_rotated_refresh_token_revokes_the_whole_login(server):
    user = server.register()
    socket = user.connect()
    rotated = server.post("/v1/auth/refresh", {"refreshToken": user.grant["refreshToken"]})
    assert rotated.status_code == 200
    replay = server.post("/v1/auth/refresh", {"refreshToken": user.grant["refreshToken"]})
    assert replay.status_code == 401 and error_code(replay) == "unauthorized"
    assert socket.notification("kicked")["data"]["actionData"]["reason"] == "refresh_reuse"
    with pytest.raises(ConnectionClosed) as closed:
        socket.conn.recv(timeout=10)
    assert closed.value.rcvd.code == 4001
    assert server.post("/v1/auth/refresh", {"refreshToken": rotated.json()["refreshToken"]}).status_code == 401
    assert server.get("/v1/users/me", rotated.json()["accessToken"]).status_code == 401


def test_login_ids_are_32_random_lowercase_hex_characters(server):
    user = server.register()
    grants = [user.grant] + [server.post("/v1/auth/login", {"username": user.username, "password": user.password}).json()
                             for _ in range(3)]
    login_ids = [g["refreshToken"].split(".", 1)[0] for g in grants]
    for login_id in login_ids:
        assert re.fullmatch(r"[0-9a-f]{32}", login_id), f"login id {login_id!r} is not 32 lowercase hex chars"
    assert len(set(login_ids)) == len(login_ids)
    # Random, not time-ordered: consecutive logins do not share a long common prefix.
    assert len({login_id[:8] for login_id in login_ids}) == len(login_ids)


def test_refresh_is_rate_limited_per_address(own_node):
    """Defaults: 1 refresh a second per address, bursts of 30."""
    node = own_node()
    user = node.register()
    token = user.grant["refreshToken"]
    started = time.monotonic()
    answered = 0
    limited = None
    for _ in range(60):
        r = node.post("/v1/auth/refresh", {"refreshToken": token})
        if r.status_code == 429:
            limited = r
            break
        assert r.status_code == 200, r.text
        token = r.json()["refreshToken"]
        answered += 1
    elapsed = time.monotonic() - started
    assert limited is not None, "60 refreshes in a row from one address were never rate limited"
    assert error_code(limited) == "rate_limited" and limited.json()["error"]["retryAfterMs"] > 0
    assert int(limited.headers["Retry-After"]) >= 1
    assert answered <= 30 + int(elapsed) + 1, (answered, elapsed)
    # Being limited does not burn the login: the last token is still good once the bucket refills.
    deadline = time.monotonic() + 5
    while True:
        r = node.post("/v1/auth/refresh", {"refreshToken": token})
        if r.status_code != 429:
            break
        assert time.monotonic() < deadline, "the refresh bucket never refilled"
        time.sleep(int(r.json()["error"]["retryAfterMs"]) / 1000)
    assert r.status_code == 200, r.text


# --- 3. concurrent wrong passwords ----------------------------------------------------------------

def test_concurrent_wrong_passwords_get_at_most_the_attempt_limit_of_401s(own_node):
    node = own_node()
    victim = node.register()
    with ThreadPoolExecutor(40) as pool:
        answers = list(pool.map(lambda i: login(node, victim.username, f"wrong guess {i}"), range(40)))
    statuses = [a.status_code for a in answers]
    assert set(statuses) <= {401, 429}, statuses
    assert 1 <= statuses.count(401) <= 5, f"{statuses.count(401)} guesses were checked (limit 5)"
    assert all(error_code(a) == "rate_limited" for a in answers if a.status_code == 429)


# --- 4. password change throttling -----------------------------------------------------------------

@pytest.fixture(scope="module")
def throttled():
    """Own node: the tests below spend failed attempts of the shared per-address budget."""
    node = Server().start()
    yield node
    node.cleanup()


def test_wrong_current_passwords_are_forbidden_then_throttled(throttled):
    user = throttled.register()
    for i in range(5):
        user.refused("POST", "/v1/auth/password", {"currentPassword": f"not it {i}", "newPassword": "a much better one"})
    limited = user.server.call("POST", "/v1/auth/password", {"currentPassword": "still not it", "newPassword": "a much better one"},
                               user.token)
    assert limited.status_code == 429 and error_code(limited) == "rate_limited", limited.text
    assert int(limited.headers["Retry-After"]) >= 1
    # The count is the login throttle's: logging in is throttled too, even with the right password.
    blocked = login(throttled, user.username, user.password)
    assert blocked.status_code == 429 and error_code(blocked) == "rate_limited"
    # And nothing changed.
    assert user.get("/v1/users/me").status_code == 200


def test_failed_logins_count_against_password_changes(throttled):
    user = throttled.register()
    for i in range(5):
        assert login(throttled, user.username, f"wrong guess {i}").status_code == 401
    limited = user.server.call("POST", "/v1/auth/password", {"currentPassword": "a guess", "newPassword": "a much better one"},
                               user.token)
    assert limited.status_code == 429 and error_code(limited) == "rate_limited", limited.text


# --- 5. registrations: per-address limit, bounded hashing line, logins first -----------------------

def test_registration_is_rate_limited_per_address(own_node):
    """Defaults: 5 registrations a second per address, bursts of 100."""
    node = own_node()
    first = node.register()
    started = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda i: register_raw(node, i), range(200)))
    elapsed = time.monotonic() - started
    statuses = [a.status_code for a in answers]
    assert set(statuses) <= {200, 429, 503}, statuses
    limited = [a for a in answers if a.status_code == 429]
    assert limited, f"201 registrations from one address in {elapsed:.1f}s were never rate limited"
    assert error_code(limited[0]) == "rate_limited" and limited[0].json()["error"]["retryAfterMs"] > 0
    assert int(limited[0].headers["Retry-After"]) >= 1
    # The default bucket: a burst of 100, then 5 a second.
    assert 1 + statuses.count(200) <= 100 + 5 * elapsed + 1, (statuses.count(200), elapsed)
    # Logins are not registrations: they still work from the same address.
    assert login(node, first.username, first.password).status_code == 200


def register_raw(node, i):
    return requests.post(node.http + "/v1/auth/register",
                         json={"username": f"crowd{i}-{uuid.uuid4().hex[:6]}", "password": "correct horse"}, timeout=60)


def test_a_login_stays_fast_while_registrations_wait_for_hashing(own_node):
    node = own_node("--bcrypt-cost", "10")
    existing = node.register()
    with ThreadPoolExecutor(60) as pool:
        crowd = [pool.submit(register_raw, node, i) for i in range(60)]
        # Once one is answered, the others are at the server, waiting for the hasher.
        wait(crowd, timeout=60, return_when=FIRST_COMPLETED)
        started = time.monotonic()
        answer = login(node, existing.username, existing.password)
        took = time.monotonic() - started
        in_flight = sum(not f.done() for f in crowd)
        results = [f.result() for f in crowd]
    assert answer.status_code == 200, answer.text
    assert took < 1.5, f"a login took {took:.2f}s behind 60 registrations"
    assert in_flight > 0 or any(r.status_code == 503 for r in results), "the registrations were not competing with the login"
    for r in results:
        assert r.status_code in (200, 503), r.text
        if r.status_code == 503:
            assert error_code(r) == "unavailable" and "Retry-After" in r.headers


def test_registration_is_unavailable_when_the_hashing_line_is_full(own_node):
    node = own_node("--bcrypt-cost", "10")
    with ThreadPoolExecutor(100) as pool:
        results = list(pool.map(lambda i: register_raw(node, i), range(100)))
    statuses = [r.status_code for r in results]
    assert set(statuses) <= {200, 503}, statuses
    busy = [r for r in results if r.status_code == 503]
    assert busy, "100 concurrent registrations at bcrypt cost 10 all waited: the hashing line is not bounded"
    for r in busy:
        assert error_code(r) == "unavailable", r.text
        assert int(r.headers["Retry-After"]) >= 0
    assert 200 in statuses, "nobody got through"


# --- 14. passwords are 8...72 UTF-8 bytes -----------------------------------------------------------

CJK = "长城黄河泰山昆仑长江珠峰"  # 3 bytes each, no character repeated next to itself


def test_passwords_are_limited_to_72_utf8_bytes(server):
    at_limit = (CJK * 2)[:24]                                   # 24 characters, 72 bytes
    over = (CJK * 3)[:25]                                       # 25 characters, 75 bytes
    assert len(at_limit.encode()) == 72 and len(over.encode()) == 75
    ok = server.post("/v1/auth/register", {"username": "u" + uuid.uuid4().hex[:12], "password": at_limit})
    assert ok.status_code == 200, ok.text
    for password in (over, "ab3" * 24 + "x"):                   # 75 bytes; 73 ASCII bytes
        r = server.post("/v1/auth/register", {"username": "u" + uuid.uuid4().hex[:12], "password": password})
        assert r.status_code == 400 and error_code(r) == "bad_request", (len(password.encode()), r.text)
        assert "password" in r.json()["error"]["message"]
    short = server.post("/v1/auth/register", {"username": "u" + uuid.uuid4().hex[:12], "password": "ab3cd4e"})
    assert short.status_code == 400 and error_code(short) == "bad_request"
    user = server.register()
    user.refused("POST", "/v1/auth/password", {"currentPassword": user.password, "newPassword": over},
                 status=400, code="bad_request")


def test_passwords_equal_in_their_first_72_bytes_are_not_interchangeable(server):
    base = "Tr0ub4dor&3-" * 6                                   # 72 bytes
    assert len(base.encode()) == 72
    user = server.register(password=base)
    assert server.post("/v1/auth/login", {"username": user.username, "password": base}).status_code == 200
    longer = server.post("/v1/auth/login", {"username": user.username, "password": base + "-and-more"})
    assert longer.status_code != 200, "a password longer than 72 bytes logged in as its 72-byte prefix"
    assert longer.status_code in (400, 401), longer.text


# --- 16. where an access token may travel; errors without internals; unparsable requests -----------

def test_access_token_in_the_query_is_only_for_the_websocket_upgrade(server):
    user = server.register()
    r = requests.get(f"{server.http}/v1/users/me", params={"access_token": user.token}, timeout=10)
    assert r.status_code == 401 and error_code(r) == "unauthorized", r.text
    r = requests.get(f"{server.http}/v1/conversations", params={"access_token": user.token}, timeout=10)
    assert r.status_code == 401
    # Browsers still need it on the upgrade.
    conn = connect(f"{server.ws}/v1/ws?deviceId=browser&platform=web&access_token={user.token}", open_timeout=5)
    try:
        assert json.loads(conn.recv(timeout=5))["type"] == "connected"
    finally:
        conn.close()


def test_decoding_errors_do_not_name_swift_types(server):
    alice, bob = server.register(), server.register()
    cid = alice.post("/v1/messages", text_message(bob.id, "hi")).json()["conversationId"]
    r = bob.post(f"/v1/conversations/{cid}/receipts", {"seq": 1, "status": "bogus"})
    assert r.status_code == 400 and error_code(r) == "bad_request", r.text
    message = r.json()["error"]["message"]
    assert "ReceiptStatus" not in message and "Cannot initialize" not in message, message
    assert "status" in message


def test_an_unparsable_http_request_gets_a_400_before_the_close(server):
    answer, closed = server.raw_http(b"GARBAGE\r\n\r\n", timeout=5)
    assert answer.startswith(b"HTTP/1.1 400"), answer[:200]
    assert closed, "the server answered 400 but kept the connection open"


# --- 11 and the duration flags: range-checked, an error exit naming the flag, never a crash --------

BAD_FLAGS = [
    (["--access-token-ttl", "10000000000000000"], "access-token-ttl"),
    (["--access-token-ttl", "-5"], "access-token-ttl"),
    (["--access-token-ttl=-5"], "access-token-ttl"),            # parsed as a value, so the range check sees it
    (["--access-token-ttl", "59"], "access-token-ttl"),
    (["--access-token-ttl", "31536001"], "access-token-ttl"),
    (["--refresh-token-ttl", "299"], "refresh-token-ttl"),
    (["--refresh-token-ttl", "31536001"], "refresh-token-ttl"),
    (["--refresh-token-ttl", "10000000000000000"], "refresh-token-ttl"),
    (["--access-token-ttl", "7200", "--refresh-token-ttl", "3600"], "refresh-token-ttl"),
    (["--heartbeat-interval", "0"], "heartbeat-interval"),
    (["--heartbeat-interval", "3601"], "heartbeat-interval"),
    (["--idle-timeout", "0"], "idle-timeout"),
    (["--idle-timeout", "86401"], "idle-timeout"),
    (["--idle-timeout", "10000000000000000"], "idle-timeout"),
    (["--recall-window=-1"], "recall-window"),
    (["--recall-window", "31536001"], "recall-window"),
    (["--recall-window", "10000000000000000"], "recall-window"),
    (["--edit-window=-1"], "edit-window"),
    (["--heartbeat-interval=-1"], "heartbeat-interval"),
    (["--edit-window", "31536001"], "edit-window"),
    (["--edit-window", "10000000000000000"], "edit-window"),
]


@pytest.mark.parametrize("flags, name", BAD_FLAGS, ids=[" ".join(f) for f, _ in BAD_FLAGS])
def test_out_of_range_durations_exit_with_an_error_naming_the_flag(flags, name):
    code, stderr = Server.run_expecting_exit(*flags)
    assert code is not None, f"parley serve {' '.join(flags)} started"
    assert code > 0, f"parley serve {' '.join(flags)} died of signal {-code}: {stderr[-500:]}"
    assert name in stderr, stderr[-500:]


def test_durations_at_the_edges_of_their_ranges_are_accepted():
    node = Server("--access-token-ttl", "60", "--refresh-token-ttl", "31536000", "--heartbeat-interval", "1",
                  "--idle-timeout", "1", "--recall-window", "0", "--edit-window", "31536000").start()
    try:
        user = node.register()
        assert user.grant["expiresIn"] == 60
        assert user.connect().connected["data"]["idleTimeout"] == 1
    finally:
        node.cleanup()
    node = Server("--access-token-ttl", "31536000", "--refresh-token-ttl", "31536000", "--heartbeat-interval", "3600",
                  "--idle-timeout", "86400", "--recall-window", "31536000", "--edit-window", "0").start()
    try:
        user = node.register()
        assert user.grant["expiresIn"] == 31536000
        assert user.get("/v1/users/me").status_code == 200
    finally:
        node.cleanup()


def test_registration_and_refresh_limit_flags(own_node):
    node = own_node("--register-burst", "3", "--register-rate", "0.01", "--refresh-burst", "2", "--refresh-rate", "0.01")
    users = [node.register() for _ in range(3)]
    limited = node.post("/v1/auth/register", {"username": "u" + uuid.uuid4().hex[:12], "password": "correct horse"})
    assert limited.status_code == 429 and error_code(limited) == "rate_limited", limited.text
    assert limited.json()["error"]["retryAfterMs"] > 1000
    token = users[0].grant["refreshToken"]
    for _ in range(2):
        r = node.post("/v1/auth/refresh", {"refreshToken": token})
        assert r.status_code == 200, r.text
        token = r.json()["refreshToken"]
    limited = node.post("/v1/auth/refresh", {"refreshToken": token})
    assert limited.status_code == 429 and error_code(limited) == "rate_limited", limited.text
