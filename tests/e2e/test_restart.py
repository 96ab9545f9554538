"""A restart loses nothing: accounts, tokens, messages, cursors and seqs survive."""
import pytest

from parley import Server, text_message


@pytest.fixture(scope="module")
def node():
    server = Server().start()
    yield server
    server.cleanup()


def test_restart_keeps_everything(node):
    alice, bob = node.register(), node.register()
    a = alice.connect()
    acks = [a.request("message", text_message(bob.id, f"before {i}"))["data"] for i in range(4)]
    cid = acks[0]["conversationId"]
    bob.post(f"/v1/conversations/{cid}/receipts", {"seq": 2, "status": "read"})
    a.close()

    node.restart()

    # Tokens issued before the restart still work (the secret is kept in the data directory).
    assert alice.get("/v1/users/me").status_code == 200
    login = node.post("/v1/auth/login", {"username": bob.username, "password": bob.password})
    assert login.status_code == 200
    refreshed = node.post("/v1/auth/refresh", {"refreshToken": alice.grant["refreshToken"]})
    assert refreshed.status_code == 200

    history = bob.get(f"/v1/conversations/{cid}/messages", afterSeq=0).json()["messages"]
    assert [(m["seq"], m["messageId"], m["content"]["text"]) for m in history] == \
        [(x["seq"], x["messageId"], f"before {i}") for i, x in enumerate(acks)]
    [state] = bob.get("/v1/conversations").json()["conversations"]
    assert state["readSeq"] == 2 and state["unread"] == 2 and state["lastSeq"] == 4

    # Seqs continue without a gap, and an old localId is still recognized.
    a = alice.connect()
    assert a.request("message", text_message(bob.id, "after"))["data"]["seq"] == 5
    retry = a.request("message", text_message(bob.id, "dup", acks[0]["localId"]))["data"]
    assert retry == acks[0]


def test_a_stopping_node_tells_sessions_to_reconnect_and_loses_nothing():
    import signal
    from websockets.exceptions import ConnectionClosed
    from parley import Server, text_message
    node = Server().start()
    try:
        alice, bob = node.register(), node.register()
        a, b = alice.connect(), bob.connect()
        acked = [a.request("message", text_message(bob.id, f"before {i}"))["data"] for i in range(5)]
        node.process.send_signal(signal.SIGTERM)
        for sock in (a, b):
            try:
                while True:
                    sock.conn.recv(timeout=10)
            except ConnectionClosed as closed:
                assert closed.rcvd is not None and closed.rcvd.code == 1012, closed
        assert node.process.wait(20) == 0
        node.start()
        history = bob.get(f"/v1/conversations/{acked[0]['conversationId']}/messages", afterSeq=0).json()["messages"]
        assert [m["messageId"] for m in history] == [x["messageId"] for x in acked]
    finally:
        node.cleanup()
