"""Push in a cluster (PostgreSQL + NATS JetStream): both nodes share one APNs stand-in; every
message to an offline user is pushed exactly once, whichever node took it, and a user online on
either node gets none."""
import pytest

from push_helpers import NODE_FLAGS, apns_token, make_group, register_token, send, send_group, wait_entry, wait_presence
from push_standins import ApnsStandIn, TestPKI, push_flags
from test_cluster import make_cluster, on

MESSAGES = 20


@pytest.fixture(scope="module")
def setup():
    pki = TestPKI()
    apns = ApnsStandIn(pki)
    try:
        nodes, _, cleanup = make_cluster(2, *push_flags(pki, apns), *NODE_FLAGS)
    except BaseException:
        apns.close()
        pki.cleanup()
        raise
    yield nodes, apns
    cleanup()
    apns.close()
    pki.cleanup()


def with_token(user):
    user.apns = apns_token()
    user.apns_id = register_token(user, "apns", user.apns)
    return user


def test_each_message_is_pushed_once_whichever_node_took_it(setup):
    (one, two), apns = setup
    alice, bob = one.register(display="Alice"), with_token(one.register())
    acks = [send(alice if i % 2 == 0 else on(two, alice), bob, f"m{i}") for i in range(MESSAGES)]
    apns.wait_for(MESSAGES, timeout=60, token=bob.apns)
    sentinel = send(on(two, alice), bob, "last")
    apns.wait_for(1, token=bob.apns, message_id=sentinel["messageId"])
    pushed = [r.message_id for r in apns.received(token=bob.apns)]
    assert sorted(pushed) == sorted([a["messageId"] for a in acks] + [sentinel["messageId"]]), "each exactly once"
    assert all(r.ok for r in apns.received(token=bob.apns))
    # Badges count across the cluster's one store: the last push saw every message unread.
    [last] = apns.received(message_id=sentinel["messageId"])
    assert last.body["aps"]["badge"] == MESSAGES + 1
    for ack in acks[:3]:
        entry = wait_entry(bob, ack["messageId"], bob.apns_id)
        assert (entry["status"], entry["attempts"]) == ("sent", 1)


def test_online_on_the_other_node_means_no_push(setup):
    (one, two), apns = setup
    alice, bob = one.register(display="Alice"), with_token(one.register())
    b = on(two, bob).connect()
    wait_presence(bob, "online", node=one)
    online = send(alice, bob, "you are on node 2")
    b.message(messageId=online["messageId"])
    b.close()
    wait_presence(bob, "offline", node=one)
    later = send(alice, bob, "now you are gone")
    apns.wait_for(1, token=bob.apns, message_id=later["messageId"])
    assert [r.message_id for r in apns.received(token=bob.apns)] == [later["messageId"]]


def test_a_group_message_pushes_once_to_each_member_across_nodes(setup):
    (one, two), apns = setup
    owner = one.register(display="Owner")
    members = [with_token(one.register()) for _ in range(6)]
    group = make_group(owner, members, name="Cluster crew")
    acks = [send_group(owner if i % 2 == 0 else on(two, owner), group["groupId"], f"g{i}") for i in range(4)]
    for ack in acks:
        pushes = apns.wait_for(len(members), message_id=ack["messageId"], timeout=30)
        assert sorted(r.token for r in pushes) == sorted(m.apns for m in members)
    sentinel = send_group(owner, group["groupId"], "last")
    apns.wait_for(len(members), message_id=sentinel["messageId"], timeout=30)
    for ack in acks:
        assert len(apns.received(message_id=ack["messageId"])) == len(members), "none twice"
