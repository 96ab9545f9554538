"""Resumable uploads: tus 1.0 core + creation, creation-with-upload, expiration and termination
at /v1/media/uploads. An unmodified tus client (tuspy) uploads in three chunks; a PATCH whose
connection drops midway keeps the bytes that arrived and HEAD tells where to resume; the
protocol's errors (409, 412, 415, 423, 404, 413) are what tus says."""
import email.utils
import datetime
import io
import math
import time
import urllib.parse

import pytest
import requests
from tusclient import client as tus_client

from media_helpers import (EXIF_UPRIGHT_SIZE, FAST_REGISTRATION, HTML, MEDIA_ID, OFFSET_STREAM, bearer, drop,
                           exif_jpeg, get_media, open_partial_patch, random_bytes, sha256, stored, tus, tus_create,
                           tus_head, tus_metadata, tus_offset, tus_patch, upload, wait_until)
from parley import Server

BASE = "/v1/media/uploads"
KiB = 1024


@pytest.fixture(scope="module")
def node():
    server = Server(*FAST_REGISTRATION).start()
    yield server
    server.cleanup()


def tus_resumable(r):
    assert r.headers.get("Tus-Resumable") == "1.0.0", f"{r.request.method} {r.url}: {r.status_code} {dict(r.headers)}"
    return r


def completed(user, location, media_id, node=None):
    """GET <location> after the last byte: 200 with the MediaInfo of the media made."""
    r = tus_resumable(tus(node or user.server, "GET", location, user.token))
    assert r.status_code == 200, f"GET {location}: {r.status_code} {r.text[:300]}"
    info = r.json()
    assert info["mediaId"] == media_id and info["url"] == f"/v1/media/{media_id}", info
    return info


def patch_resuming(user, location, offset, data, node=None, timeout=15):
    """PATCHes from `offset`, retrying while the upload is still locked (423) by a PATCH whose
    connection dropped and that the node has not finished closing yet."""
    deadline = time.monotonic() + timeout
    while True:
        r = tus_patch(user, location, offset, data, node)
        if r.status_code != 423:
            return r
        assert time.monotonic() < deadline, f"the upload stayed locked (423) for {timeout}s"
        time.sleep(0.05)


def tuspy_upload(node, user, data, chunks, **metadata):
    """Uploads with tuspy as any tus client would; returns (uploader, offsets after each PATCH)."""
    client = tus_client.TusClient(node.http + BASE, headers=bearer(user.token))
    uploader = client.uploader(file_stream=io.BytesIO(data), chunk_size=math.ceil(len(data) / chunks),
                               metadata=metadata, retries=0)
    offsets = []
    one_chunk = uploader.upload_chunk

    def counted():
        one_chunk()
        offsets.append(uploader.offset)
    uploader.upload_chunk = counted
    uploader.upload()
    return uploader, offsets


def test_options_tells_the_version_extensions_and_max_size(node):
    r = requests.options(node.http + BASE, timeout=10)
    assert r.status_code == 204, r.status_code
    tus_resumable(r)
    assert "1.0.0" in [v.strip() for v in r.headers["Tus-Version"].split(",")]
    extensions = {e.strip() for e in r.headers["Tus-Extension"].split(",")}
    assert extensions == {"creation", "creation-with-upload", "expiration", "termination"}, extensions
    max_size = int(r.headers["Tus-Max-Size"])
    assert max_size > 0
    # Tus-Max-Size is the largest upload taken.
    alice = node.register()
    at_most = tus(node, "POST", BASE, alice.token, {"Upload-Length": str(max_size)})
    assert at_most.status_code == 201, at_most.text
    assert tus(node, "DELETE", at_most.headers["Location"], alice.token).status_code == 204
    over = tus(node, "POST", BASE, alice.token, {"Upload-Length": str(max_size + 1)})
    assert over.status_code == 413, over.status_code
    tus_resumable(over)


def test_tuspy_uploads_in_three_chunks(node):
    alice = node.register()
    data = random_bytes(3 * 50_000 + 17, "tuspy")
    uploader, offsets = tuspy_upload(node, alice, data, 3, filename="tuspy 上传.bin", filetype="application/octet-stream")
    chunk = math.ceil(len(data) / 3)
    assert offsets == [chunk, 2 * chunk, len(data)], offsets
    media_id = uploader.request.response_headers["parley-media-id"]
    assert MEDIA_ID.match(media_id), media_id
    location = urllib.parse.urlsplit(uploader.url).path
    assert location.startswith(BASE + "/")
    info = completed(alice, location, media_id)
    assert info["kind"] == "file" and info["size"] == len(data) and info["sha256"] == sha256(data)
    assert info["name"] == "tuspy 上传.bin"
    assert stored(alice, info) == data


def test_tuspy_uploads_an_image_processed_as_a_single_upload_would_be(node):
    alice = node.register()
    data = exif_jpeg()
    uploader, offsets = tuspy_upload(node, alice, data, 3, filename="photo.jpg", filetype="image/jpeg")
    assert len(offsets) == 3 and offsets[-1] == len(data)
    media_id = uploader.request.response_headers["parley-media-id"]
    info = completed(alice, urllib.parse.urlsplit(uploader.url).path, media_id)
    assert info["kind"] == "image" and info["mimeType"] == "image/jpeg" and info["name"] == "photo.jpg"
    assert (info["width"], info["height"]) == EXIF_UPRIGHT_SIZE, "rotated like POST /v1/media"
    assert info["thumbnail"]["mimeType"] == "image/webp"
    body = stored(alice, info)
    assert b"ParleyTestCam" not in body, "metadata stripped like POST /v1/media"


def test_a_patch_whose_connection_drops_keeps_what_arrived_and_resumes_from_head(node):
    alice = node.register()
    data = random_bytes(240_000, "resume")
    chunk, arrived = 80_000, 30_000
    location = tus_create(alice, len(data), filename="resumed.bin", filetype="application/octet-stream")

    first = tus_resumable(tus_patch(alice, location, 0, data[:chunk]))
    assert first.status_code == 204, first.text
    assert int(first.headers["Upload-Offset"]) == chunk

    # Chunk 2: the headers promise 80,000 bytes, 30,000 arrive, then the connection is gone.
    raw = open_partial_patch(node, alice.token, location, chunk, chunk, data[chunk:chunk + arrived])
    drop(raw)
    seen = []

    def resumable_at_what_arrived():
        seen.append(tus_offset(alice, location))
        return seen[-1] == chunk + arrived
    wait_until(resumable_at_what_arrived, 15, f"HEAD's offset reaching {chunk + arrived} (seen {seen[-5:]})")

    head = tus_resumable(tus_head(alice, location))
    assert head.headers["Cache-Control"] == "no-store"
    assert int(head.headers["Upload-Length"]) == len(data)
    offset = int(head.headers["Upload-Offset"])
    last = tus_resumable(patch_resuming(alice, location, offset, data[offset:]))
    assert last.status_code == 204, f"{last.status_code} {last.text[:300]}"
    assert int(last.headers["Upload-Offset"]) == len(data)
    media_id = last.headers["Parley-Media-Id"]
    assert MEDIA_ID.match(media_id), media_id
    info = completed(alice, location, media_id)
    assert info["size"] == len(data) and info["sha256"] == sha256(data) and info["name"] == "resumed.bin"
    r = get_media(alice, f"/v1/media/{media_id}")
    assert r.status_code == 200 and r.content == data, "the exact bytes, across the dropped connection"


def test_creation_answers_location_offset_and_expiry(node):
    alice = node.register()
    r = tus_resumable(tus(node, "POST", BASE, alice.token,
                          {"Upload-Length": "1000", "Upload-Metadata": tus_metadata(filename="a.bin")}))
    assert r.status_code == 201, r.text
    location = r.headers["Location"]
    assert location.startswith(BASE + "/") and "://" not in location, "a relative path"
    assert r.headers["Upload-Offset"] == "0"
    expires = email.utils.parsedate_to_datetime(r.headers["Upload-Expires"])
    assert expires > datetime.datetime.now(datetime.timezone.utc), r.headers["Upload-Expires"]
    head = tus_resumable(tus_head(alice, location))
    assert head.status_code == 200 and head.content == b""
    assert (head.headers["Upload-Offset"], head.headers["Upload-Length"]) == ("0", "1000")
    assert head.headers["Cache-Control"] == "no-store"


def test_creation_with_upload_takes_the_first_bytes_in_the_post(node):
    alice = node.register()
    data = random_bytes(20_000, "with-upload")
    r = tus_resumable(tus(node, "POST", BASE, alice.token,
                          {"Upload-Length": str(len(data)), "Content-Type": OFFSET_STREAM,
                           "Upload-Metadata": tus_metadata(filename="early.bin")}, data[:7_000]))
    assert r.status_code == 201, r.text
    assert r.headers["Upload-Offset"] == "7000"
    location = r.headers["Location"]
    assert tus_offset(alice, location) == 7000
    last = tus_resumable(tus_patch(alice, location, 7000, data[7000:]))
    assert last.status_code == 204, last.text
    info = completed(alice, location, last.headers["Parley-Media-Id"])
    assert stored(alice, info) == data


def test_a_patch_at_the_wrong_offset_is_409(node):
    alice = node.register()
    location = tus_create(alice, 1000)
    assert tus_patch(alice, location, 0, b"a" * 100).status_code == 204
    for wrong in (0, 50, 101, 1000):
        r = tus_resumable(tus_patch(alice, location, wrong, b"b" * 10))
        assert r.status_code == 409, (wrong, r.status_code)
    assert tus_offset(alice, location) == 100, "nothing was written"


def test_a_patch_of_another_content_type_is_415(node):
    alice = node.register()
    location = tus_create(alice, 1000)
    for content_type in ("application/octet-stream", "text/plain"):
        r = tus_resumable(tus_patch(alice, location, 0, b"x" * 10, content_type=content_type))
        assert r.status_code == 415, (content_type, r.status_code)
    assert tus_offset(alice, location) == 0


def test_without_tus_resumable_1_0_0_it_is_412(node):
    alice = node.register()
    location = tus_create(alice, 1000)
    for version in (None, "0.2.2"):
        for method, path, headers in (("POST", BASE, {"Upload-Length": "10"}), ("HEAD", location, {}),
                                      ("PATCH", location, {"Upload-Offset": "0", "Content-Type": OFFSET_STREAM}),
                                      ("GET", location, {}), ("DELETE", location, {})):
            r = tus(node, method, path, alice.token, headers, b"" if method == "PATCH" else None, version=version)
            assert r.status_code == 412, (version, method, r.status_code)
            assert "1.0.0" in r.headers.get("Tus-Version", ""), (method, dict(r.headers))
    assert tus_offset(alice, location) == 0, "the DELETE without the header did nothing"


def test_an_unfinished_upload_is_409_to_get(node):
    alice = node.register()
    location = tus_create(alice, 1000)
    tus_patch(alice, location, 0, b"z" * 10)
    r = tus_resumable(tus(node, "GET", location, alice.token))
    assert r.status_code == 409 and r.json()["error"]["code"] == "conflict", r.text


def test_another_users_upload_is_404_and_a_login_is_needed(node):
    alice, bob = node.register(), node.register()
    location = tus_create(alice, 1000)
    assert tus_head(bob, location).status_code == 404
    assert tus_patch(bob, location, 0, b"x" * 10).status_code == 404
    assert tus(node, "GET", location, bob.token).status_code == 404
    assert tus(node, "DELETE", location, bob.token).status_code == 404
    assert tus(node, "HEAD", location, None).status_code == 401
    assert tus(node, "POST", BASE, None, {"Upload-Length": "10"}).status_code == 401
    assert tus_offset(alice, location) == 0, "still there, untouched"
    assert tus_head(alice, BASE + "/no-such-upload").status_code == 404


def test_delete_drops_an_unfinished_upload(node):
    alice = node.register()
    location = tus_create(alice, 1000)
    tus_patch(alice, location, 0, b"d" * 100)
    r = tus_resumable(tus(node, "DELETE", location, alice.token))
    assert r.status_code == 204, r.status_code
    assert tus_head(alice, location).status_code == 404
    assert tus_patch(alice, location, 100, b"d" * 10).status_code == 404


def test_upload_length_is_required_and_cannot_be_deferred(node):
    alice = node.register()
    for headers in ({"Upload-Defer-Length": "1"}, {}, {"Upload-Length": "-5"}, {"Upload-Length": "ten"}):
        r = tus_resumable(tus(node, "POST", BASE, alice.token, headers))
        assert r.status_code == 400, (headers, r.status_code)


def test_bytes_past_the_upload_length_are_refused(node):
    alice = node.register()
    location = tus_create(alice, 100)
    r = tus_patch(alice, location, 0, b"p" * 150)
    assert r.status_code in (400, 413), r.status_code
    assert tus_offset(alice, location) <= 100


def test_at_most_twenty_unfinished_uploads_per_user(node):
    alice, bob = node.register(), node.register()
    locations = [tus_create(alice, 1000) for _ in range(20)]
    r = tus(node, "POST", BASE, alice.token, {"Upload-Length": "1000"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "conflict", (r.status_code, r.text)
    tus_create(bob, 1000)
    assert tus(node, "DELETE", locations[0], alice.token).status_code == 204
    tus_create(alice, 1000)


def test_a_second_patch_while_one_is_running_is_423(node):
    alice = node.register()
    data = random_bytes(50_000, "locked")
    location = tus_create(alice, len(data))
    raw = open_partial_patch(node, alice.token, location, 0, len(data), data[:10_000])
    try:
        answers = []

        def locked():
            # An empty PATCH at the current offset: harmless if the first has not started yet.
            r = tus_patch(alice, location, tus_offset(alice, location), b"")
            answers.append(r.status_code)
            return r.status_code == 423
        wait_until(locked, 10, f"a 423 while the first PATCH runs (answers {answers[-5:]})")
    finally:
        drop(raw)
    wait_until(lambda: tus_offset(alice, location) == 10_000, 15, "the dropped PATCH's bytes kept")
    last = patch_resuming(alice, location, 10_000, data[10_000:])
    assert last.status_code == 204, last.text
    info = completed(alice, location, last.headers["Parley-Media-Id"])
    assert stored(alice, info) == data


def test_the_last_patch_answers_a_processing_refusal(node):
    alice = node.register()
    location = tus_create(alice, len(HTML), filename="evil.png", filetype="image/png")
    first = tus_patch(alice, location, 0, HTML[:50])
    assert first.status_code == 204, "the bytes are judged when the last one arrives"
    r = tus_patch(alice, location, 50, HTML[50:])
    assert r.status_code == 415 and r.json()["error"]["code"] == "unsupported_media_type", (r.status_code, r.text)
    assert "Parley-Media-Id" not in r.headers


def test_upload_length_over_the_limits_or_the_quota_is_413():
    limited = Server("--media-max-image", "256KiB", "--media-max-video", "1MiB", "--media-max-audio", "256KiB",
                     "--media-max-file", "512KiB", "--media-quota", "100KiB", *FAST_REGISTRATION).start()
    try:
        alice = limited.register()
        for length in (1024 * KiB + 1, 200 * KiB):  # over the largest per-kind limit; over the quota
            r = tus_resumable(tus(limited, "POST", BASE, alice.token, {"Upload-Length": str(length)}))
            assert r.status_code == 413 and r.json()["error"]["code"] == "too_large", (length, r.status_code, r.text)
        data = random_bytes(60 * KiB, "quota")
        location = tus_create(alice, len(data))
        last = tus_patch(alice, location, 0, data)
        assert last.status_code == 204, last.text
        # 60 KiB used of 100: 50 more is over the remaining quota.
        r = tus(limited, "POST", BASE, alice.token, {"Upload-Length": str(50 * KiB)})
        assert r.status_code == 413, r.status_code
        tus_create(alice, 30 * KiB)
        # Unfinished uploads count too: 60 KiB stored and 30 announced leave no room for 20 more.
        r = tus(limited, "POST", BASE, alice.token, {"Upload-Length": str(20 * KiB)})
        assert r.status_code == 413 and "unfinished" in r.json()["error"]["message"], (r.status_code, r.text)
    finally:
        limited.cleanup()


def test_a_user_receives_at_most_four_uploads_at_once(node):
    """Each upload in flight holds a spool on disk and a connection: a fifth at once is 429."""
    alice = node.register()
    held = []
    try:
        for index in range(4):
            location = tus_create(alice, 10_000, filename=f"slow-{index}.bin")
            held.append(open_partial_patch(node, alice.token, location, 0, 10_000, b"x" * 1_000))
            wait_until(lambda: tus_offset(alice, location) == 1_000, message="the slow PATCH is being received")
        r = upload(alice, b"one more", "application/octet-stream")
        assert r.status_code == 429 and r.json()["error"]["code"] == "rate_limited", (r.status_code, r.text)
        assert r.headers.get("Retry-After"), dict(r.headers)
    finally:
        for raw in held:
            drop(raw)
    wait_until(lambda: upload(alice, b"one more", "application/octet-stream").status_code == 201,
               message="the slots are free once the connections dropped")


def test_upload_expires_follows_the_expiry_setting():
    """The shortest expiry the node takes is 60 s: waiting one out is too slow for this suite, so
    the test checks the promise (Upload-Expires) the node makes and keeps to."""
    short = Server("--media-upload-expiry", "90m", *FAST_REGISTRATION).start()
    try:
        alice = short.register()
        created = tus_resumable(tus(short, "POST", BASE, alice.token, {"Upload-Length": "1000"}))
        assert created.status_code == 201, created.text
        expires = email.utils.parsedate_to_datetime(created.headers["Upload-Expires"])
        expected = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=90)
        assert abs((expires - expected).total_seconds()) <= 120, (created.headers["Upload-Expires"], expected)
        assert tus_head(alice, created.headers["Location"]).status_code == 200
    finally:
        short.cleanup()
