"""Two nodes on one PostgreSQL database and one NATS server: users on different nodes talk."""
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid

import pytest

from parley import Server, admin_url, postgres_admin, text_message
from test_event_webhook import Receiver, sent_texts
from test_friends import befriend
from test_groups import group_message


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Nats:
    """A nats-server -js on a loopback port; restartable on the same port."""

    def __init__(self):
        self.binary = shutil.which("nats-server") or "/usr/sbin/nats-server"
        self.store = tempfile.mkdtemp(prefix="parley-nats-")
        self.port = free_port()
        self.process = None
        self.start()

    def start(self):
        self.process = subprocess.Popen([self.binary, "-a", "127.0.0.1", "-p", str(self.port), "-js", "-sd", self.store],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                assert time.monotonic() < deadline, "nats-server did not start"
                time.sleep(0.05)

    def stop(self):
        self.process.terminate()
        self.process.wait(10)

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.store, ignore_errors=True)

    @property
    def url(self):
        return f"nats://127.0.0.1:{self.port}"


def make_cluster(count=2, *extra, shared_secret=True):
    if not os.environ.get("PARLEY_TEST_POSTGRES"):
        if os.environ.get("CI") == "true":
            pytest.fail("PARLEY_TEST_POSTGRES is not set under CI")
        pytest.skip("no PostgreSQL test cluster (run scripts/test)")
    nats = Nats()
    database = "c_" + uuid.uuid4().hex[:12]
    postgres_admin(f"CREATE DATABASE {database}")
    url = admin_url().rsplit("/", 1)[0] + "/" + database
    secret = ("--jwt-secret", uuid.uuid4().hex + uuid.uuid4().hex) if shared_secret else ()
    nodes = [Server("--nats-url", nats.url, "--node-id", str(i + 1), *secret, *extra,
                    database_url=url).start() for i in range(count)]

    def cleanup():
        for node in nodes:
            node.cleanup()
        nats.cleanup()
        postgres_admin(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
    return nodes, nats, cleanup


@pytest.fixture(scope="module")
def cluster():
    nodes, _, cleanup = make_cluster()
    yield nodes
    cleanup()


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


def test_a_profile_change_or_deletion_reaches_every_nodes_names(cluster):
    one, two = cluster
    alice, bob = one.register(display="Alice"), one.register()
    cid = alice.ok("POST", "/v1/messages", text_message(bob.id, "hello"))["conversationId"]
    bob_two = on(two, bob)
    def sender_name():
        return bob_two.ok("GET", f"/v1/conversations/{cid}/messages")["messages"][0]["senderName"]
    assert sender_name() == "Alice"  # node 2 now holds Alice's profile in its cache
    alice.ok("PATCH", "/v1/users/me", {"displayName": "Alicia"})
    wait_for(lambda: sender_name() == "Alicia", "node 2 kept the old name after a rename on node 1")
    assert alice.ok("DELETE", "/v1/users/me", {"password": alice.password}) == {"status": "ok"}
    wait_for(lambda: sender_name() == "Deleted user", "node 2 kept the name of a deleted account")


def test_a_killed_node_loses_no_acknowledged_message():
    import signal
    (one, two), _, cleanup = make_cluster()
    try:
        alice, bob = one.register(), one.register()
        a = alice.connect()
        acked = {}
        for i in range(20):
            reply = a.request("message", text_message(bob.id, f"m{i}", local_id=f"kill-{i}"))
            acked[f"kill-{i}"] = reply["data"]["messageId"]
        # More sends in flight when the node dies: some may be stored without their ack arriving.
        for i in range(20, 40):
            a.send({"type": "message", "requestId": f"kill-{i}", "data": text_message(bob.id, f"m{i}", local_id=f"kill-{i}")})
        one.process.send_signal(signal.SIGKILL)
        one.process.wait(10)
        # The client moves to the other node and resends everything it has no ack for.
        moved = on(two, alice).connect()
        for i in range(20, 40):
            reply = moved.request("message", text_message(bob.id, f"m{i}", local_id=f"kill-{i}"))
            assert reply["type"] == "ack", reply
            assert acked.setdefault(f"kill-{i}", reply["data"]["messageId"]) == reply["data"]["messageId"]
        b = on(two, bob).connect()
        page = b.request("sync", {"since": 0, "notificationsAfter": 0})["data"]
        cid = page["conversations"][0]["conversationId"]
        history = b.request("history", {"conversationId": cid, "afterSeq": 0, "limit": 200})["data"]["messages"]
        assert sorted(m["localId"] for m in history) == sorted(acked), "every message exactly once"
        assert [m["seq"] for m in history] == list(range(1, 41))
    finally:
        cleanup()


def test_nodes_resume_after_nats_restarts():
    (one, two), nats, cleanup = make_cluster()
    try:
        alice, bob = one.register(), one.register()
        a, b = alice.connect(), on(two, bob).connect()
        a.request("message", text_message(bob.id, "before"))
        assert b.message(seq=1)["data"]["content"] == {"text": "before"}
        nats.stop()
        # Sends still commit while NATS is away (the store is the source of truth).
        assert a.request("message", text_message(bob.id, "during"))["type"] == "ack"
        nats.start()
        deadline = time.monotonic() + 15
        seen = set()
        # Events published before the other node subscribed again are lost live (clients repair
        # them by sync); what matters is that live delivery resumes.
        while not any(seq >= 3 for seq in seen):
            assert time.monotonic() < deadline, "live delivery did not resume after NATS came back"
            a.request("message", text_message(bob.id, "after"))
            b.barrier()
            seen |= {f["data"]["seq"] for f in b.drain() if f["type"] == "message"}
        history = b.request("history", {"conversationId": f"p_{min(alice.id, bob.id)}_{max(alice.id, bob.id)}", "afterSeq": 0})
        assert [m["content"]["text"] for m in history["data"]["messages"]][:2] == ["before", "during"]
    finally:
        cleanup()


@pytest.fixture(scope="module")
def trio():
    """Three nodes whose presence entries live 3 s without a heartbeat."""
    nodes, _, cleanup = make_cluster(3, "--presence-ttl", "3")
    yield nodes
    cleanup()


def published(node, route):
    """How many bus messages a node has sent to other nodes on a route (from /metrics)."""
    text = node.get("/metrics").text
    line = next(l for l in text.splitlines() if l.startswith(f'parley_bus_published_total{{route="{route}"}}'))
    return int(line.split()[-1])


def test_presence_across_nodes(trio):
    one, two, three = trio
    alice, bob = one.register(), one.register()
    befriend(alice, bob)
    b = on(two, bob).connect()
    phone = alice.connect("phone", "ios")
    online = b.notification("presence", userId=alice.id, status="online")["data"]["actionData"]
    assert online["devices"] == [], "device ids go to their owner only"
    # A second device on a third node: every node sees both, whichever is asked (by their
    # owner: only they see device ids). (Each step
    # waits until every node has seen the one before: changes on two nodes within one NATS hop
    # of each other may reach the announcing node in either order, a transient flap.)
    def everywhere(expected):
        for node in trio:
            def listed():
                answer = on(node, alice).ok("GET", f"/v1/presence?userIds={alice.id}")["presence"][0]
                return sorted((d["deviceId"], d["status"]) for d in answer["devices"]) == expected
            wait_for(listed, f"node {node.port} does not see {expected}")
    desk = on(three, alice).connect("desk", "desktop")
    everywhere([("desk", "online"), ("phone", "online")])
    phone.request("presence", {"status": "away"})
    everywhere([("desk", "online"), ("phone", "away")])
    desk.request("presence", {"status": "away"})
    b.notification("presence", userId=alice.id, status="away")
    phone.close()
    everywhere([("desk", "away")])
    desk.close()
    offline = b.notification("presence", userId=alice.id, status="offline")["data"]["actionData"]
    assert offline["devices"] == []
    # Each change was announced once, whichever node noticed it.
    b.barrier()
    statuses = [n["data"]["actionData"]["status"] for n in b.notifications("presence")]
    assert statuses == [], statuses
    assert on(three, bob).ok("GET", f"/v1/presence?userIds={alice.id}")["presence"][0]["status"] == "offline"


def test_a_dead_nodes_sessions_expire():
    import signal
    (one, two, three), _, cleanup = make_cluster(3, "--presence-ttl", "3")
    try:
        alice, bob = one.register(), one.register()
        befriend(alice, bob)
        b = on(two, bob).connect()
        on(three, alice).connect("laptop", "desktop")
        b.notification("presence", userId=alice.id, status="online")
        three.process.send_signal(signal.SIGKILL)
        three.process.wait(10)
        # Nobody closed the session: the entries age out of the bucket and the mirrors.
        started = time.monotonic()
        b.notification("presence", userId=alice.id, status="offline", timeout=15)
        assert time.monotonic() - started < 10
        # Each node's mirror drops the dead node's entries on its own heartbeat: node 1 follows
        # the announcing node within one.
        wait_for(lambda: bob.ok("GET", f"/v1/presence?userIds={alice.id}")["presence"][0]["status"] == "offline",
                 "node 1 still shows the dead node's session", timeout=5)
        assert on(two, bob).ok("GET", f"/v1/presence?userIds={alice.id}")["presence"][0]["lastSeen"] > 0
    finally:
        cleanup()


def test_group_fanout_goes_once_per_node(trio):
    one, two, three = trio
    owner = one.register()
    members = [one.register() for _ in range(11)]
    created = owner.ok("POST", "/v1/groups", {"name": "fanout", "memberIds": [m.id for m in members]})
    gid, cid = created["groupId"], created["conversationId"]
    # Four members on each node (the owner among them on node one).
    nodes = [one, two, three]
    sockets = [owner.connect()] + [on(nodes[(i + 1) // 4], m).connect() for i, m in enumerate(members)]
    assert [((i + 1) // 4) for i in range(11)].count(0) == 3
    # Wait until node one's directory knows the members on the other nodes.
    def everyone_visible():
        listed = owner.ok("GET", "/v1/presence?userIds=" + ",".join(m.id for m in members))["presence"]
        return all(p["status"] == "online" for p in listed)
    wait_for(everyone_visible, "node one does not see every member online")
    before_node, before_user = published(one, "node"), published(one, "user")
    for i in range(10):
        assert sockets[0].request("message", group_message(gid, f"g{i}"))["type"] == "ack"
    for s in sockets[1:]:
        assert [s.message(conversationId=cid, seq=i + 1)["data"]["seq"] for i in range(10)] == list(range(1, 11))
    # One bus message per message and remote node, not one per member.
    assert published(one, "node") - before_node == 10 * 2
    assert published(one, "user") - before_user == 0


def wait_for(condition, message, timeout=10):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, message
        time.sleep(0.05)


def test_queued_tasks_outlive_the_node_that_queued_them():
    import signal
    receiver = Receiver()
    hook = ("--event-webhook-url", receiver.url, "--event-webhook-timeout-ms", "1000", "--task-attempts", "10",
            "--task-backoff-ms", "200")
    (one, two), _, cleanup = make_cluster(2, *hook)
    try:
        alice, bob = one.register(), one.register()
        receiver.down = True
        a = alice.connect()
        for i in range(5):
            a.request("message", text_message(bob.id, f"queued {i}"))
        receiver.wait(lambda calls: len({c[0] for c in calls}) == 5)
        one.process.send_signal(signal.SIGKILL)
        one.process.wait(10)
        receiver.down = False
        # Node two's workers take over the queue: every event arrives, once taken.
        receiver.wait(lambda calls: len({c[0] for c in calls if c[3] == 200}) == 5, timeout=30)
        assert sent_texts(receiver.taken()) == [f"queued {i}" for i in range(5)]
    finally:
        cleanup()
        receiver.close()


def test_a_drained_node_loses_nothing():
    import signal
    from websockets.exceptions import ConnectionClosed
    (one, two), _, cleanup = make_cluster()
    try:
        alice, bob = one.register(), one.register()
        a, b = alice.connect(), on(two, bob).connect()
        acked = {}
        for i in range(10):
            acked[f"d-{i}"] = a.request("message", text_message(bob.id, f"m{i}", local_id=f"d-{i}"))["data"]["messageId"]
        # More in flight when the node is asked to stop.
        for i in range(10, 30):
            a.send({"type": "message", "requestId": f"d-{i}", "data": text_message(bob.id, f"m{i}", local_id=f"d-{i}")})
        one.process.send_signal(signal.SIGTERM)
        try:
            while True:
                frame = json.loads(a.conn.recv(timeout=10))
                if frame["type"] == "ack":
                    acked[frame["data"]["localId"]] = frame["data"]["messageId"]
        except ConnectionClosed as closed:
            assert closed.rcvd is not None and closed.rcvd.code == 1012, closed
        assert one.process.wait(20) == 0
        # The client reconnects to the other node and resends what it has no ack for.
        moved = on(two, alice).connect()
        for i in range(30):
            reply = moved.request("message", text_message(bob.id, f"m{i}", local_id=f"d-{i}"))
            assert acked.setdefault(f"d-{i}", reply["data"]["messageId"]) == reply["data"]["messageId"]
        cid = moved.request("sync", {"since": 0, "notificationsAfter": 0})["data"]["conversations"][0]["conversationId"]
        history = b.request("history", {"conversationId": cid, "afterSeq": 0, "limit": 200})["data"]["messages"]
        assert sorted(m["localId"] for m in history) == sorted(acked), "every message exactly once"
        assert [m["seq"] for m in history] == list(range(1, 31))
    finally:
        cleanup()


def test_login_throttling_counts_across_nodes():
    (one, two), _, cleanup = make_cluster(2, "--login-attempts", "3")
    try:
        alice, bob = one.register(), one.register()
        b = on(two, bob).connect()
        assert two.post("/v1/auth/login", {"username": alice.username, "password": "wrong guess"}).status_code == 401
        for _ in range(2):
            assert one.post("/v1/auth/login", {"username": alice.username, "password": "wrong guess"}).status_code == 401
        # A message from node one to node two goes the same way after the failures: once it
        # arrived, node two has heard of them.
        alice.connect().request("message", text_message(bob.id, "after the guesses"))
        b.message(seq=1)
        refused = two.post("/v1/auth/login", {"username": alice.username, "password": alice.password})
        assert refused.status_code == 429 and refused.json()["error"]["code"] == "rate_limited"
        assert one.post("/v1/auth/login", {"username": alice.username, "password": alice.password}).status_code == 429
    finally:
        cleanup()


def test_nodes_without_a_configured_secret_accept_each_others_tokens():
    """No --jwt-secret: the first node keeps one in the shared database and every node uses it."""
    (one, two), _, cleanup = make_cluster(2, shared_secret=False)
    try:
        alice = one.register()
        assert on(two, alice).connect().request("ping")["type"] == "pong"
        assert two.call("GET", "/v1/users/me", token=alice.token).status_code == 200
        two.restart()
        assert on(two, alice).connect().request("ping")["type"] == "pong", "the secret survives a restart"
    finally:
        cleanup()


def test_a_node_id_in_use_is_refused_and_a_dead_nodes_id_is_taken_over():
    import signal
    (one, two), nats, cleanup = make_cluster(2, "--presence-ttl", "3")
    try:
        duplicate = Server("--nats-url", nats.url, "--node-id", "1", "--presence-ttl", "3",
                           database_url=one.database_url)
        with pytest.raises(RuntimeError):
            duplicate.start()  # node 1 is alive: two nodes would mint the same ids
        duplicate.cleanup()
        one.process.send_signal(signal.SIGKILL)
        one.process.wait(10)
        # Its heartbeat stopped: a new node 1 waits one heartbeat to see that, then starts.
        successor = Server("--nats-url", nats.url, "--node-id", "1", "--presence-ttl", "3",
                           database_url=one.database_url).start()
        try:
            alice = successor.register()
            assert successor.get("/healthz").status_code == 200 and alice.connect().request("ping")["type"] == "pong"
        finally:
            successor.cleanup()
        # A node that stops cleanly leaves its id free at once. Restarted with a 30 s TTL, a node
        # that waited for the old holder's heartbeat would take 10 s more to start.
        two.stop()
        at = two.args.index("--presence-ttl")
        two.args[at + 1] = "30"
        started = time.monotonic()
        two.start()
        assert time.monotonic() - started < 8
    finally:
        cleanup()
