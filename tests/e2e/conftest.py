import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from parley import Server  # noqa: E402


@pytest.fixture(scope="module")
def server():
    """A node with default limits, shared by the tests of one module."""
    node = Server("--message-rate", "1000", "--message-burst", "1000").start()
    yield node
    node.cleanup()
