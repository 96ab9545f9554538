"""L4: the load generator runs its scenarios against a real node and reports JSON."""
import json

import pytest
import subprocess

from parley import BINARY, Server


def bench(server, *args):
    result = subprocess.run([BINARY, "bench", *args, "--server", server.http], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    return lines, json.loads(lines[-1])


@pytest.fixture(scope="module")
def server():
    """Load tests register users by the thousand from one address: the per-address limit is lifted."""
    node = Server("--register-rate", "100000", "--register-burst", "100000").start()
    yield node
    node.cleanup()


def test_private_chat_scenario_loses_nothing(server):
    lines, result = bench(server, "private", "--pairs", "3", "--rate", "60", "--duration", "1")
    assert result["sent"] == 60
    assert result["acknowledged"] == 60 and result["received"] == 60 and result["lost"] == 0
    assert result["endToEnd"]["count"] == 60 and 0 < result["endToEnd"]["p50"] <= result["endToEnd"]["max"]
    assert any(line.startswith("  end-to-end p50") for line in lines)


def test_offline_sync_scenario_fetches_everything(server):
    _, result = bench(server, "sync", "--missed", "250")
    assert result["missed"] == 250 and result["fetched"] == 250 and result["seconds"] > 0


def test_connect_scenario_opens_every_session(server):
    _, result = bench(server, "connect", "--connections", "30", "--users", "3", "--hold", "0",
                      "--server-pid", str(server.process.pid))
    assert result["connected"] == 30
    assert result["serverRSSHeld"] >= result["serverRSSBefore"] > 0


def test_fanout_scenario_delivers_to_every_online_member(server):
    lines, result = bench(server, "fanout", "--members", "2500", "--connected", "40", "--rate", "20", "--duration", "1")
    assert result["members"] == 2500 and result["connected"] == 40
    assert result["sent"] == 20 and result["acknowledged"] == 20
    assert result["expectedDeliveries"] == 800 and result["deliveries"] == 800 and result["lost"] == 0
    assert result["delivery"]["count"] == 800 and result["deliveriesPerSecond"] > 0
    assert any(line.startswith("  delivery ") for line in lines)
