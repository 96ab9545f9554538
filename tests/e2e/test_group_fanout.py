"""Fanout: a 2,000-member group with 200 connected devices; every online member receives every
message exactly once, in seq order."""
import uuid

import pytest
from concurrent.futures import ThreadPoolExecutor

from parley import Server
from test_groups import group_message

MEMBERS = 2000
CONNECTED = 200
MESSAGES_EACH = 10


@pytest.fixture(scope="module")
def server():
    """Load tests register users by the thousand from one address: the per-address limit is lifted."""
    node = Server("--register-rate", "100000", "--register-burst", "100000").start()
    yield node
    node.cleanup()


def test_every_online_member_receives_every_message_once(server):
    with ThreadPoolExecutor(16) as pool:
        users = list(pool.map(lambda i: server.register(f"fan{i}-{uuid.uuid4().hex[:6]}"), range(MEMBERS)))
    owner, members = users[0], users[1:]
    created = owner.ok("POST", "/v1/groups", {"name": "town hall", "memberIds": [m.id for m in members]})
    gid, cid = created["groupId"], created["conversationId"]
    assert owner.ok("GET", f"/v1/groups/{gid}")["memberCount"] == MEMBERS

    online = members[:CONNECTED]
    with ThreadPoolExecutor(16) as pool:
        sockets = list(pool.map(lambda u: u.connect(), online))
    speakers = [owner.connect(), sockets[0]]
    sent = []
    for round_ in range(MESSAGES_EACH):
        for speaker in speakers:
            ack = speaker.request("message", group_message(gid, f"m{round_}"))
            assert ack["type"] == "ack", ack
            sent.append(ack["data"]["seq"])
    assert sorted(sent) == list(range(1, len(sent) + 1))

    for index, sock in enumerate(sockets):
        sock.barrier()
        seqs = [f["data"]["seq"] for f in sock.drain() if f["type"] == "message" and f["data"]["conversationId"] == cid]
        # The speaking member's own device does not get its own messages back.
        expected = [s for s in sorted(sent) if index != 0 or s % 2 == 1]
        assert seqs == expected, f"member {index}: {len(seqs)} frames"
    for sock in sockets:
        sock.close()
