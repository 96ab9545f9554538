"""The node serves its browser client: a page at /, versioned immutable assets, a strict policy."""
import gzip
import re

import pytest
import requests

from parley import Server


@pytest.fixture(scope="module")
def node():
    server = Server().start()
    yield server
    server.cleanup()


def asset_paths(page: str) -> list[str]:
    return re.findall(r'(?:src|href)="(/assets/[^"]+)"', page)


def test_the_page_is_revalidated_and_runs_under_a_strict_policy(node):
    page = requests.get(node.http + "/", timeout=10)
    assert page.status_code == 200
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert page.headers["Cache-Control"] == "no-cache"
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy and "unsafe" not in policy
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["X-Frame-Options"] == "DENY"
    # No inline script or style may be needed: the policy would block it.
    assert not re.search(r"<script(?![^>]*\ssrc=)[^>]*>", page.text)
    assert " style=" not in page.text and " onclick=" not in page.text.lower()

    again = requests.get(node.http + "/", headers={"If-None-Match": page.headers["ETag"]}, timeout=10)
    assert again.status_code == 304 and again.content == b""


def test_every_asset_and_module_import_is_served_under_one_version(node):
    page = requests.get(node.http + "/", timeout=10).text
    version = page.split("/assets/", 1)[1].split("/", 1)[0]
    assert re.fullmatch(r"[0-9a-f]{16}", version)
    assert requests.get(node.http + "/", timeout=10).headers["ETag"] == f'W/"{version}"'
    queue, seen = asset_paths(page), set()
    assert any(p.endswith(".js") for p in queue) and any(p.endswith(".css") for p in queue)
    while queue:
        path = queue.pop()
        if path in seen:
            continue
        seen.add(path)
        response = requests.get(node.http + path, timeout=10)
        assert response.status_code == 200, path
        assert path.startswith(f"/assets/{version}/"), path
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        if path.endswith(".js"):
            assert response.headers["Content-Type"] == "text/javascript; charset=utf-8"
            # Follow the module graph: each relative import resolves under the same version.
            base = path.rsplit("/", 1)[0]
            for spec in re.findall(r"""(?:import|export)[^'"]*?from\s*['"](\.[^'"]+)['"]|import\s*\(\s*['"](\.[^'"]+)['"]""",
                                   response.text):
                relative = next(s for s in spec if s)
                parts = base.split("/")
                for piece in relative.split("/"):
                    if piece == "..":
                        parts.pop()
                    elif piece != ".":
                        parts.append(piece)
                queue.append("/".join(parts))
        elif path.endswith(".css"):
            assert response.headers["Content-Type"] == "text/css; charset=utf-8"
    assert len(seen) > 3


def test_files_are_gzipped_for_browsers_that_take_it(node):
    page = requests.get(node.http + "/", timeout=10).text
    script = next(p for p in asset_paths(page) if p.endswith("app.js"))
    for path in ["/", script]:
        plain = requests.get(node.http + path, headers={"Accept-Encoding": "identity"}, timeout=10)
        assert "Content-Encoding" not in plain.headers and plain.headers["Vary"] == "Accept-Encoding"
        zipped = requests.get(node.http + path, headers={"Accept-Encoding": "br, gzip;q=0.8"}, timeout=10, stream=True)
        assert zipped.headers["Content-Encoding"] == "gzip"
        raw = zipped.raw.read(decode_content=False)
        assert raw[:2] == b"\x1f\x8b" and len(raw) < len(plain.content) * 0.9
        assert gzip.decompress(raw) == plain.content
        refused = requests.get(node.http + path, headers={"Accept-Encoding": "gzip;q=0"}, timeout=10)
        assert "Content-Encoding" not in refused.headers


def test_head_answers_as_get_without_a_body(node):
    page = requests.get(node.http + "/", headers={"Accept-Encoding": "identity"}, timeout=10)
    script = next(p for p in asset_paths(page.text) if p.endswith("app.js"))
    for path, full in [("/", page), (script, requests.get(node.http + script, headers={"Accept-Encoding": "identity"}, timeout=10))]:
        head = requests.head(node.http + path, headers={"Accept-Encoding": "identity"}, timeout=10)
        assert head.status_code == 200 and head.content == b""
        assert head.headers["Content-Length"] == str(len(full.content))
        assert head.headers["Content-Type"] == full.headers["Content-Type"]
        assert head.headers["Cache-Control"] == full.headers["Cache-Control"]
    assert requests.head(node.http + "/assets/0123456789abcdef/app.js", timeout=10).status_code == 404


def test_other_versions_and_unknown_files_are_not_found(node):
    page = requests.get(node.http + "/", timeout=10).text
    version = page.split("/assets/", 1)[1].split("/", 1)[0]
    for path in ["/assets/0123456789abcdef/app.js", f"/assets/{version}/nope.js", f"/assets/{version}/../parley.sqlite",
                 f"/assets/{version}/%2e%2e/%2e%2e/etc/passwd", f"/assets/{version}/index.html", "/assets/app.js"]:
        response = requests.get(node.http + path, timeout=10)
        assert response.status_code == 404, path
        assert response.json()["error"]["code"] == "not_found"


def test_an_api_only_node_serves_no_client():
    server = Server("--web-client", "false").start()
    try:
        assert requests.get(server.http + "/", timeout=10).status_code == 404
        assert requests.get(server.http + "/healthz", timeout=10).status_code == 200
    finally:
        server.cleanup()
