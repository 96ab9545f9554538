"""`parley migrate` and the schema version check, on both stores."""
import os
import sqlite3
import subprocess
import tempfile
import uuid

import pytest

from parley import BINARY, Server, admin_url, postgres_admin


def migrate(*args):
    return subprocess.run([BINARY, "migrate", *args], capture_output=True, text=True, timeout=60)


def fresh_postgres_url():
    if not os.environ.get("PARLEY_TEST_POSTGRES"):
        if os.environ.get("CI") == "true":
            pytest.fail("PARLEY_TEST_POSTGRES is not set under CI")
        pytest.skip("no PostgreSQL test cluster (run scripts/test)")
    name = "m_" + uuid.uuid4().hex[:12]
    postgres_admin(f"CREATE DATABASE {name}")
    return name, admin_url().rsplit("/", 1)[0] + "/" + name


def test_sqlite_migrate_is_idempotent_and_refuses_a_newer_schema():
    directory = tempfile.mkdtemp(prefix="parley-migrate-")
    for _ in range(2):
        result = migrate("--data-dir", directory)
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith("sqlite schema at version ")
    db = sqlite3.connect(os.path.join(directory, "parley.sqlite"))
    db.execute("INSERT INTO schema_migrations (version, applied_at) VALUES (999, 0)")
    db.commit()
    db.close()
    refused = migrate("--data-dir", directory)
    assert refused.returncode != 0 and "newer than this Parley" in refused.stderr + refused.stdout
    node = Server(data_dir=directory, store="sqlite")
    with pytest.raises(RuntimeError, match="newer than this Parley"):
        node.start()


def test_postgres_migrate_is_idempotent_and_refuses_a_newer_schema():
    name, url = fresh_postgres_url()
    try:
        for _ in range(2):
            result = migrate("--database-url", url)
            assert result.returncode == 0, result.stderr
            assert result.stdout.startswith("postgres schema at version ")
        # A node starts on the migrated database and serves.
        node = Server(database_url=url).start()
        try:
            alice = node.register()
            assert alice.get("/v1/users/me").status_code == 200
        finally:
            node.stop()
        subprocess.run(["psql", url, "-qc", "INSERT INTO schema_migrations VALUES (999, 0)"], check=True, capture_output=True)
        refused = migrate("--database-url", url)
        assert refused.returncode != 0 and "newer than this Parley" in refused.stderr + refused.stdout
    finally:
        postgres_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_a_bad_database_url_stops_the_node_with_a_message():
    node = Server(database_url="mysql://nope")
    with pytest.raises(RuntimeError, match="postgres://"):
        node.start()
