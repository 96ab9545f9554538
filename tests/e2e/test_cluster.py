"""Two nodes on one PostgreSQL database and one NATS server: users on different nodes talk."""
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid

import pytest

from parley import Server, admin_url, postgres_admin, text_message
from test_groups import group_message


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def cluster():
    if not os.environ.get("PARLEY_TEST_POSTGRES"):
        if os.environ.get("CI") == "true":
            pytest.fail("PARLEY_TEST_POSTGRES is not set under CI")
        pytest.skip("no PostgreSQL test cluster (run scripts/test)")
    binary = shutil.which("nats-server") or "/usr/sbin/nats-server"
    store = tempfile.mkdtemp(prefix="parley-nats-")
    port = free_port()
    nats = subprocess.Popen([binary, "-a", "127.0.0.1", "-p", str(port), "-js", "-sd", store],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert time.monotonic() < deadline, "nats-server did not start"
            time.sleep(0.05)
    database = "c_" + uuid.uuid4().hex[:12]
    postgres_admin(f"CREATE DATABASE {database}")
    url = admin_url().rsplit("/", 1)[0] + "/" + database
    secret = uuid.uuid4().hex + uuid.uuid4().hex
    nodes = [Server("--nats-url", f"nats://127.0.0.1:{port}", "--node-id", str(i), "--jwt-secret", secret,
                    database_url=url).start() for i in (1, 2)]
    yield nodes
    for node in nodes:
        node.cleanup()
    nats.terminate()
    nats.wait(10)
    shutil.rmtree(store, ignore_errors=True)
    postgres_admin(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")


def on(node, user):
    """The same user, talking to another node (tokens are valid on every node)."""
    clone = type(user)(node, user.username, user.password, user.grant)
    return clone


def test_private_chat_receipts_and_typing_across_nodes(cluster):
    one, two = cluster
    alice, bob = one.register(), one.register()
    a = alice.connect()
    b = on(two, bob).connect()
    ack = a.request("message", text_message(bob.id, "from node 1 到 node 2"))
    assert ack["type"] == "ack"
    received = b.message(seq=1)["data"]
    assert received["content"] == {"text": "from node 1 到 node 2"} and received["senderId"] == alice.id
    cid = ack["data"]["conversationId"]
    b.request("ack", {"conversationId": cid, "seq": 1, "status": "read"})
    assert a.notification("read_receipt", conversationId=cid)["data"]["actionData"]["userId"] == bob.id
    b.send({"type": "typing", "data": {"conversationId": cid, "state": "start"}})
    assert a.notification("typing", conversationId=cid)["data"]["actionData"]["userId"] == bob.id
    # Alice's second device on the other node sees her own message too.
    a2 = on(two, alice).connect("tablet", "pad")
    a.request("message", text_message(bob.id, "second"))
    assert a2.message(seq=2)["data"]["content"] == {"text": "second"}
    assert b.message(seq=2)["data"]["content"] == {"text": "second"}


def test_group_across_nodes_and_membership_changes_reach_every_node(cluster):
    one, two = cluster
    owner, bob, carol = one.register(), one.register(), one.register()
    created = owner.ok("POST", "/v1/groups", {"name": "跨节点", "memberIds": [bob.id, carol.id]})
    gid, cid = created["groupId"], created["conversationId"]
    o = owner.connect()
    b = on(two, bob).connect()
    c = carol.connect()
    o.request("message", group_message(gid, "hello both nodes"))
    assert b.message(conversationId=cid)["data"]["seq"] == 1
    assert c.message(conversationId=cid)["data"]["seq"] == 1
    # Node 2 caches the members for its sends; a kick on node 1 must reach its cache.
    b.request("message", group_message(gid, "from node 2"))
    assert o.message(conversationId=cid, seq=2)
    owner.ok("DELETE", f"/v1/groups/{gid}/members/{carol.id}")
    b.request("message", group_message(gid, "carol is gone"))
    assert o.message(conversationId=cid, seq=3)
    c.barrier()
    assert [f for f in c.drain() if f["type"] == "message" and f["data"]["seq"] == 3] == []


def test_kicked_on_another_node(cluster):
    one, two = cluster
    alice = one.register()
    first = alice.connect("phone")
    replacement = on(two, alice).connect("phone")
    assert first.notification("kicked")["data"]["actionData"]["reason"] == "replaced"
    assert replacement.request("ping")["type"] == "pong"
