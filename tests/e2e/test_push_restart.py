"""A push the provider refused (503 with Retry-After) when the node was killed is sent exactly
once after the node restarts on the same data."""
import signal

from parley import Server
from push_helpers import NODE_FLAGS, apns_token, eventually, push_log, register_token, send, wait_entry, wait_metric
from push_standins import ApnsStandIn, TestPKI, push_flags


def test_a_pending_push_is_sent_once_after_a_kill():
    pki = TestPKI()
    apns = ApnsStandIn(pki)
    node = Server(*push_flags(pki, apns), *NODE_FLAGS).start()
    try:
        alice, bob = node.register(display="Alice"), node.register()
        token = apns_token()
        token_id = register_token(bob, "apns", token)
        # Long enough a Retry-After that the retry is still waiting when the node dies.
        apns.script(token, [(503, {"Retry-After": "3"}, {"reason": "ServiceUnavailable"})])
        ack = send(alice, bob, "survives a kill")
        [refused] = apns.wait_for(1, token=token)
        assert refused.status == 503
        # Killed once the node has taken the answer and queued the retry (not mid-call: a task
        # claimed by a dead node waits out its lease before another run).
        eventually(lambda: any(e["status"] == "pending" and e["attempts"] == 1 for e in push_log(bob)),
                   "the refused attempt is not logged as pending")
        wait_metric(node, "parley_tasks_retried_total", 1)
        node.process.send_signal(signal.SIGKILL)
        node.process.wait(10)
        node.start()

        delivered = apns.wait_until(lambda rs: [r for r in rs if r.ok and r.message_id == ack["messageId"]], timeout=30)
        assert len(delivered) == 1
        assert delivered[0].headers["apns-id"] == refused.headers["apns-id"], "the retry is the same notification"
        assert delivered[0].body["aps"]["alert"] == {"title": "Alice", "body": "survives a kill"}
        entry = wait_entry(bob, ack["messageId"], token_id)
        assert entry["status"] == "sent" and entry["attempts"] >= 2
        # A later message's push: a second run of the first, started with it, would have shown by then.
        later = send(alice, bob, "after the restart")
        apns.wait_for(1, token=token, message_id=later["messageId"])
        assert [r.status for r in apns.received(message_id=ack["messageId"])] == [503, 200]
        assert [e["status"] for e in push_log(bob, 200) if e["messageId"] == ack["messageId"]] == ["sent"]
    finally:
        node.cleanup()
        apns.close()
        pki.cleanup()

