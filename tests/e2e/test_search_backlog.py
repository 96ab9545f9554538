"""Search on the embedded store: texts reach the full-text index after the send's commit (issue
#17), and a message must be found from its ack on, exactly once, before and after the move."""
import os

import pytest

from parley import text_message
from push_helpers import eventually, metric

pytestmark = pytest.mark.skipif(
    os.environ.get("PARLEY_TEST_STORE") == "postgres", reason="the search backlog is the embedded store's")


def test_a_message_is_found_right_after_its_ack_and_after_indexing(server):
    alice, bob = server.register(), server.register()
    a = alice.connect()
    texts = [f"夜宵 plans number {n}" for n in range(30)]
    for text in texts:
        assert a.request("message", text_message(bob.id, text))["type"] == "ack"

    def found():
        r = bob.get("/v1/search/messages", q="夜宵", limit=50)
        assert r.status_code == 200, r.text
        return [hit["message"]["content"]["text"] for hit in r.json()["results"]]

    # Right after the acks: whatever the indexer has moved yet, each message once, newest first.
    assert found() == list(reversed(texts))
    indexed = eventually(
        lambda: metric(server.get("/metrics").text, "parley_search_backlog") == 0
        and metric(server.get("/metrics").text, "parley_search_indexed_total") >= len(texts),
        "the indexer never emptied the backlog", timeout=10)
    assert indexed
    assert found() == list(reversed(texts)), "the same results from the index"
    assert metric(server.get("/metrics").text, "parley_search_index_lag_max_milliseconds") < 5_000
