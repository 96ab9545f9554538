"""`/openapi.json` describes the HTTP API, and schemathesis finds no server error in it."""
import os
import subprocess
import sys
import tempfile

from parley import text_message


def test_openapi_document_lists_the_api(server):
    document = server.get("/openapi.json").json()
    assert document["openapi"].startswith("3.")
    for path in ("/v1/auth/register", "/v1/messages", "/v1/groups/{groupId}", "/v1/search/messages", "/v1/friends/requests"):
        assert path in document["paths"], path
    assert document["paths"]["/v1/messages"]["post"]["security"] == [{"bearer": []}]


def test_schemathesis_finds_no_server_error(server):
    user = server.register()
    other = server.register()
    user.post("/v1/messages", text_message(other.id, "seed data"))
    cli = os.path.join(os.path.dirname(sys.executable), "schemathesis")
    result = subprocess.run(
        [cli, "run", f"{server.http}/openapi.json", "-H", f"Authorization: Bearer {user.token}",
         "--checks", "not_a_server_error", "-n", "25", "--request-timeout", "10",
         # These end the test's own login; everything else is fair game.
         "--exclude-path", "/v1/auth/logout", "--exclude-path", "/v1/auth/password", "--seed", "20261122"],
        capture_output=True, text=True, timeout=240, cwd=tempfile.mkdtemp(prefix="parley-schemathesis-"))
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
