import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from parley import Server  # noqa: E402


@pytest.fixture(scope="module")
def server():
    """A node with default settings, shared by the tests of one module."""
    node = Server().start()
    yield node
    node.cleanup()
