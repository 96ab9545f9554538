"""D1: register, login, refresh with rotation, logout; 401 before the WebSocket upgrade."""
import pytest
import requests
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from parley import User


def test_register_returns_tokens_and_profile(server):
    user = server.register(display="Zhang San 张三")
    assert set(user.grant) >= {"userId", "accessToken", "refreshToken", "expiresIn"}
    assert isinstance(user.grant["expiresIn"], int) and user.grant["expiresIn"] > 0
    me = user.get("/v1/users/me")
    assert me.status_code == 200
    assert me.json()["userId"] == user.id
    assert me.json()["displayName"] == "Zhang San 张三"
    assert me.json()["username"] == user.username


def test_duplicate_username_is_a_conflict(server):
    user = server.register()
    again = server.post("/v1/auth/register", {"username": user.username, "password": "another pass", "displayName": "x"})
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "conflict"


@pytest.mark.parametrize("body, field", [
    ({"username": "a", "password": "longenough", "displayName": "x"}, "username"),
    ({"username": "x" * 65, "password": "longenough", "displayName": "x"}, "username"),
    ({"username": "bad name!", "password": "longenough", "displayName": "x"}, "username"),
    ({"username": "goodname", "password": "five5", "displayName": "x"}, "password"),
    ({"password": "longenough", "displayName": "x"}, "username"),
    ({"username": 42, "password": "longenough"}, "username"),
])
def test_register_validates_input(server, body, field):
    r = server.post("/v1/auth/register", body)
    assert r.status_code == 400
    error = r.json()["error"]
    assert error["code"] == "bad_request"
    assert field in error["message"]


def test_malformed_json_body_is_bad_request(server):
    r = requests.post(server.http + "/v1/auth/login", data="{not json", headers={"Content-Type": "application/json"}, timeout=5)
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "bad_request"


def test_login_checks_the_password(server):
    user = server.register()
    ok = server.post("/v1/auth/login", {"username": user.username, "password": user.password})
    assert ok.status_code == 200
    assert ok.json()["userId"] == user.id
    wrong = server.post("/v1/auth/login", {"username": user.username, "password": "wrong password"})
    assert wrong.status_code == 401
    assert wrong.json()["error"]["code"] == "unauthorized"
    unknown = server.post("/v1/auth/login", {"username": "nobody-here", "password": "whatever1"})
    assert unknown.status_code == 401


def test_refresh_rotates_and_detects_reuse(server):
    user = server.register()
    first = server.post("/v1/auth/refresh", {"refreshToken": user.grant["refreshToken"]})
    assert first.status_code == 200
    rotated = first.json()
    assert rotated["refreshToken"] != user.grant["refreshToken"]
    assert rotated["userId"] == user.id
    assert server.get("/v1/users/me", rotated["accessToken"]).status_code == 200
    # The old refresh token was rotated away: presenting it again revokes the whole login.
    reuse = server.post("/v1/auth/refresh", {"refreshToken": user.grant["refreshToken"]})
    assert reuse.status_code == 401
    assert server.post("/v1/auth/refresh", {"refreshToken": rotated["refreshToken"]}).status_code == 401
    assert server.get("/v1/users/me", rotated["accessToken"]).status_code == 401


def test_logout_revokes_tokens_and_closes_the_socket(server):
    user = server.register()
    other_login = User(server, user.username, user.password,
                       server.post("/v1/auth/login", {"username": user.username, "password": user.password}).json())
    socket = user.connect("laptop")
    survivor = other_login.connect("tablet")
    assert user.post("/v1/auth/logout").status_code == 200
    kicked = socket.notification("kicked")
    assert kicked["data"]["priority"] == "high"
    assert user.get("/v1/users/me").status_code == 401
    assert server.post("/v1/auth/refresh", {"refreshToken": user.grant["refreshToken"]}).status_code == 401
    # The other login is untouched.
    assert other_login.get("/v1/users/me").status_code == 200
    assert survivor.request("ping")["type"] == "pong"


@pytest.mark.parametrize("headers, query", [
    ({}, ""),
    ({"Authorization": "Bearer not-a-token"}, ""),
    ({}, "&access_token=eyJhbGciOiJIUzI1NiJ9.e30.bad"),
])
def test_websocket_without_valid_token_is_401_before_upgrade(server, headers, query):
    with pytest.raises(InvalidStatus) as failure:
        connect(f"{server.ws}/v1/ws?deviceId=d&platform=web{query}", additional_headers=headers, open_timeout=5)
    assert failure.value.response.status_code == 401


def test_websocket_accepts_token_in_query(server):
    user = server.register()
    conn = connect(f"{server.ws}/v1/ws?deviceId=browser&platform=web&access_token={user.token}", open_timeout=5)
    import json
    frame = json.loads(conn.recv(timeout=5))
    assert frame["type"] == "connected"
    assert frame["data"]["userId"] == user.id
    conn.close()


def test_http_api_requires_a_token(server):
    r = server.get("/v1/conversations")
    assert r.status_code == 401
    assert r.json() == {"error": {"code": "unauthorized", "message": r.json()["error"]["message"]}}


def test_health_counts_sessions(server):
    before = server.get("/healthz")
    assert before.status_code == 200 and before.json()["status"] == "ok"
    user = server.register()
    phone, laptop = user.connect("phone"), user.connect("laptop")
    during = server.get("/healthz").json()
    # Other tests' sockets may close meanwhile, so only a floor is certain.
    assert during["sessions"] >= 2 and during["users"] >= 1
    assert isinstance(before.json()["sessions"], int)
    phone.close()
    laptop.close()


def test_common_username_styles_are_accepted(server):
    import uuid
    for name in (f"user-{uuid.uuid4()}", f"alice+{uuid.uuid4().hex[:8]}@example.com", f"Bob_{uuid.uuid4().hex[:6]}"):
        r = server.post("/v1/auth/register", {"username": name, "password": "secret-phrase"})
        assert r.status_code == 200, r.text
        me = server.get("/v1/users/me", r.json()["accessToken"]).json()
        assert me["username"] == name and me["displayName"] == name


@pytest.mark.parametrize("query", ["deviceId=d&platform=toaster", "deviceId=bad%20id&platform=ios"])
def test_websocket_with_a_bad_device_is_400_before_upgrade(server, query):
    user = server.register()
    with pytest.raises(InvalidStatus) as failure:
        connect(f"{server.ws}/v1/ws?{query}", additional_headers={"Authorization": f"Bearer {user.token}"}, open_timeout=5)
    assert failure.value.response.status_code == 400
    assert b"bad_request" in failure.value.response.body


def test_a_malformed_websocket_handshake_gets_a_400_answer(server):
    """No Sec-WebSocket-Key: the upgrade cannot happen, and the client hears why."""
    import requests
    user = server.register()
    answer = requests.get(f"{server.http}/v1/ws?deviceId=d", timeout=10, headers={
        "Authorization": f"Bearer {user.token}", "Upgrade": "websocket", "Connection": "Upgrade",
        "Sec-WebSocket-Version": "13"})
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "bad_request"
