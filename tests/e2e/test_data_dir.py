"""Item 15: what Parley writes to disk is private to its user: a data directory it creates is
0700, the SQLite database (and its journal files) 0600, whatever the umask."""
import os
import shutil
import stat
import tempfile

import pytest

from parley import Server

ON_POSTGRES = os.environ.get("PARLEY_TEST_STORE") == "postgres"


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def start_with_umask(node, umask=0o022):
    """Starts the node under a permissive umask, the common default, so the test does not
    depend on the runner's."""
    previous = os.umask(umask)
    try:
        return node.start()
    finally:
        os.umask(previous)


@pytest.fixture
def parent():
    path = tempfile.mkdtemp(prefix="parley-test-")
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_a_data_directory_parley_creates_is_private(parent):
    data = os.path.join(parent, "data")
    node = start_with_umask(Server(data_dir=data))
    try:
        node.register()
        assert mode(data) == 0o700, oct(mode(data))
        if not ON_POSTGRES:
            database = os.path.join(data, "parley.sqlite")
            assert mode(database) == 0o600, oct(mode(database))
    finally:
        node.cleanup()


@pytest.mark.skipif(ON_POSTGRES, reason="the SQLite file exists only on the embedded store")
def test_the_database_file_is_private_in_an_existing_directory(parent):
    os.chmod(parent, 0o755)
    node = start_with_umask(Server(data_dir=parent))
    try:
        user = node.register()
        user.post("/v1/groups", {"name": "something to write"})
        for name in ("parley.sqlite", "parley.sqlite-wal", "parley.sqlite-shm", "jwt-secret"):
            path = os.path.join(parent, name)
            if name == "parley.sqlite" or os.path.exists(path):
                assert mode(path) == 0o600, f"{name} is {oct(mode(path))}"
    finally:
        node.cleanup()
