"""An embedded node killed (SIGKILL) under pipelined load loses no acknowledged message.

Eight senders keep up to 32 sends each in flight to eight receivers; once a few hundred are
acknowledged the node is killed mid-stream. After a restart on the same data, every ack names a
stored message (same id, same seq), seqs have no gap, and resending what had no ack (same
`localId`) stores each message exactly once. The send path's optimisations must keep this true.
"""
import asyncio
import json
import signal
import uuid

from websockets.asyncio.client import connect

from parley import Server, text_message

LIFTED = ("--durability", "full", "--message-rate", "100000", "--message-burst", "100000",
          "--user-message-rate", "100000", "--user-message-burst", "100000")
PAIRS, WINDOW, KILL_AFTER = 8, 32, 400


async def pipeline(url: str, token: str, receiver: str, tag: str, acked: dict, sent: dict, stop: asyncio.Event,
                   enough: asyncio.Event):
    """Sends to `receiver` with up to WINDOW in flight until the node dies; records acks."""
    try:
        async with connect(url, additional_headers={"Authorization": f"Bearer {token}"}, open_timeout=10) as ws:
            slots = asyncio.Semaphore(WINDOW)

            async def reader():
                try:
                    async for raw in ws:
                        frame = json.loads(raw)
                        if frame.get("type") == "ack" and frame.get("requestId") in sent:
                            acked[frame["requestId"]] = frame["data"]
                            slots.release()
                            if len(acked) >= KILL_AFTER:
                                enough.set()
                finally:
                    for _ in range(WINDOW):  # the writer must not wait for acks that cannot come
                        slots.release()

            reading = asyncio.create_task(reader())
            n = 0
            while not stop.is_set() and not reading.done():
                await slots.acquire()
                local_id = f"{tag}-{n}-{uuid.uuid4().hex[:8]}"
                sent[local_id] = (receiver, f"{tag} {n}")
                await ws.send(json.dumps({"type": "message", "requestId": local_id,
                                          "data": text_message(receiver, f"{tag} {n}", local_id)}))
                n += 1
            await reading
    except Exception:
        pass  # the node was killed under us: what matters is what was acknowledged


async def load_until_killed(node: Server, senders, receivers) -> tuple[dict, dict]:
    acked: dict = {}
    sent: dict = {}
    stop, enough = asyncio.Event(), asyncio.Event()
    url = f"{node.ws}/v1/ws?deviceId=load&platform=desktop"
    tasks = [asyncio.create_task(pipeline(url, s.token, r.id, f"s{i}", acked, sent, stop, enough))
             for i, (s, r) in enumerate(zip(senders, receivers))]
    try:
        await asyncio.wait_for(enough.wait(), 30)
    except TimeoutError:
        raise AssertionError(f"only {len(acked)} acks in 30 s")
    node.process.send_signal(signal.SIGKILL)
    node.process.wait(10)
    stop.set()
    await asyncio.wait_for(asyncio.gather(*tasks), 15)
    return acked, sent


def history(user, conversation_id: str) -> list[dict]:
    messages, after = [], 0
    while True:
        page = user.get(f"/v1/conversations/{conversation_id}/messages", afterSeq=after, limit=100).json()["messages"]
        if not page:
            return messages
        messages += page
        after = page[-1]["seq"]


def test_a_killed_embedded_node_loses_no_acknowledged_message():
    node = Server(*LIFTED).start()
    try:
        senders = [node.register() for _ in range(PAIRS)]
        receivers = [node.register() for _ in range(PAIRS)]
        acked, sent = asyncio.run(load_until_killed(node, senders, receivers))
        assert len(acked) >= KILL_AFTER and len(sent) > len(acked)
        node.process = None
        node.start()

        # Every acknowledged message is stored as acknowledged.
        stored = {}
        for sender, receiver in zip(senders, receivers):
            cid = f"p_{min(sender.id, receiver.id)}_{max(sender.id, receiver.id)}"
            messages = history(receiver, cid)
            assert [m["seq"] for m in messages] == list(range(1, len(messages) + 1)), "no gap in seqs"
            stored.update({m["localId"]: m for m in messages})
        for local_id, ack in acked.items():
            message = stored.get(local_id)
            assert message is not None, f"acknowledged {local_id} was lost"
            assert (message["messageId"], message["seq"]) == (ack["messageId"], ack["seq"])

        # The client resends what it had no ack for; each lands exactly once.
        by_sender = {s.id: s.connect(device="resend") for s in senders}
        receiver_of = {r.id: s for s, r in zip(senders, receivers)}
        for local_id, (receiver, text) in sent.items():
            if local_id in acked:
                continue
            reply = by_sender[receiver_of[receiver].id].request("message", text_message(receiver, text, local_id))
            assert reply["type"] == "ack", reply
            if local_id in stored:
                assert reply["data"]["messageId"] == stored[local_id]["messageId"], "a resend is not a new message"
        total = 0
        for sender, receiver in zip(senders, receivers):
            cid = f"p_{min(sender.id, receiver.id)}_{max(sender.id, receiver.id)}"
            messages = history(receiver, cid)
            ids = [m["localId"] for m in messages]
            assert len(ids) == len(set(ids)), "a message stored twice"
            assert [m["seq"] for m in messages] == list(range(1, len(messages) + 1))
            total += len(messages)
        assert total == len(sent)
    finally:
        node.cleanup()
