"""Media on S3 (moto's server on loopback as the bucket): a single node (any store) keeps the
bytes in the bucket, once per content; and in a cluster (PostgreSQL + NATS) a node serves,
ranges included, media another node stored, resumable uploads included."""
import pytest

from media_helpers import (FAST_REGISTRATION, assert_media_headers, blob_files, can_read, exif_jpeg, get_media,
                           random_bytes, send_media_ok, sha256, stored, tus, tus_create, tus_offset, tus_patch,
                           upload_ok)
from media_standins import S3StandIn
from parley import Server
from test_cluster import make_cluster, on


@pytest.fixture(scope="module")
def s3():
    stand_in = S3StandIn()
    yield stand_in
    stand_in.close()


@pytest.fixture(scope="module")
def single(s3):
    """One node on S3, on whichever store the run uses (SQLite or PostgreSQL)."""
    bucket = s3.bucket()
    node = Server(*s3.flags(bucket), *FAST_REGISTRATION).start()
    yield node, bucket
    node.cleanup()


@pytest.fixture(scope="module")
def cluster(s3):
    bucket = s3.bucket()
    nodes, _, cleanup = make_cluster(2, *s3.flags(bucket), *FAST_REGISTRATION)
    yield nodes, bucket
    cleanup()


def test_a_node_on_s3_keeps_the_bytes_in_the_bucket(s3, single):
    node, bucket = single
    alice = node.register()
    data = random_bytes(300_000, "s3-file")
    info = upload_ok(alice, data, "application/octet-stream", name="on-s3.bin")
    assert stored(alice, info) == data
    [key] = s3.keys_for(bucket, info["sha256"])
    assert s3.read(bucket, key) == data
    assert blob_files(node, info["sha256"]) == [], "nothing kept on the node's disk"
    ranged = get_media(alice, info["url"], {"Range": "bytes=1000-1999"})
    assert ranged.status_code == 206 and ranged.content == data[1000:2000]
    assert ranged.headers["Content-Range"] == f"bytes 1000-1999/{len(data)}"
    suffix = get_media(alice, info["url"], {"Range": "bytes=-100"})
    assert suffix.status_code == 206 and suffix.content == data[-100:]
    assert get_media(alice, info["url"], {"Range": f"bytes={len(data)}-"}).status_code == 416
    assert get_media(alice, info["url"], {"If-None-Match": f'"{info["sha256"]}"'}).status_code == 304


def test_an_image_and_its_thumbnail_are_in_the_bucket(s3, single):
    node, bucket = single
    alice, bob, carol = node.register(), node.register(), node.register()
    picture = upload_ok(alice, exif_jpeg(), "image/jpeg", name="photo.jpg")
    assert (picture["width"], picture["height"]) == (400, 800)
    body = stored(alice, picture)
    [key] = s3.keys_for(bucket, picture["sha256"])
    assert s3.read(bucket, key) == body
    thumbnail = get_media(alice, picture["thumbnail"]["url"])
    assert thumbnail.status_code == 200 and thumbnail.headers["Content-Type"] == "image/webp"
    assert_media_headers(thumbnail, sha256(thumbnail.content))
    assert len(s3.keys_for(bucket, sha256(thumbnail.content))) == 1
    send_media_ok(alice, bob, "image", picture["mediaId"])
    assert can_read(bob, picture["mediaId"]) and not can_read(carol, picture["mediaId"])


def test_the_same_bytes_are_one_object(s3, single):
    node, bucket = single
    alice, bob = node.register(), node.register()
    data = random_bytes(70_000, "s3-dedup")
    first = upload_ok(alice, data, "application/octet-stream")
    second = upload_ok(bob, data, "application/octet-stream")
    assert first["sha256"] == second["sha256"] == sha256(data) and first["mediaId"] != second["mediaId"]
    assert len(s3.keys_for(bucket, sha256(data))) == 1, s3.keys(bucket)
    assert stored(alice, first) == data and stored(bob, second) == data


def test_a_resumable_upload_lands_in_the_bucket(s3, single):
    node, bucket = single
    alice = node.register()
    data = random_bytes(150_000, "s3-tus")
    location = tus_create(alice, len(data), filename="resumable.bin")
    assert tus_patch(alice, location, 0, data[:60_000]).status_code == 204
    last = tus_patch(alice, location, 60_000, data[60_000:])
    assert last.status_code == 204, last.text
    media_id = last.headers["Parley-Media-Id"]
    r = get_media(alice, f"/v1/media/{media_id}")
    assert r.status_code == 200 and r.content == data
    assert len(s3.keys_for(bucket, sha256(data))) == 1


def test_media_on_s3_outlives_a_restart(s3):
    bucket = s3.bucket()
    node = Server(*s3.flags(bucket), *FAST_REGISTRATION).start()
    try:
        alice = node.register()
        data = random_bytes(40_000, "s3-restart")
        info = upload_ok(alice, data, "application/octet-stream")
        node.restart()
        assert stored(alice, info) == data
    finally:
        node.cleanup()


# --- a cluster on S3 ----------------------------------------------------------------------------

def test_a_node_serves_media_another_node_stored(s3, cluster):
    (one, two), bucket = cluster
    alice, bob, carol = one.register(), one.register(), one.register()
    picture = upload_ok(alice, exif_jpeg(), "image/jpeg", name="photo.jpg")
    data = random_bytes(200_000, "cluster-file")
    document = upload_ok(alice, data, "application/octet-stream", name="report.bin")
    original = stored(alice, picture)

    b = on(two, bob).connect()
    try:
        for info, content_type in ((picture, "image"), (document, "file")):
            ack = send_media_ok(alice, bob, content_type, info["mediaId"])
            received = b.message(messageId=ack["messageId"])["data"]["content"]
            assert received["url"] == info["url"] and received["size"] == info["size"], received
    finally:
        b.close()

    bob_two = on(two, bob)
    ranged = get_media(bob_two, picture["url"], {"Range": "bytes=0-99"})
    assert ranged.status_code == 206, ranged.text
    assert ranged.content == original[:100]
    assert ranged.headers["Content-Range"] == f"bytes 0-99/{len(original)}"
    assert_media_headers(ranged, picture["sha256"])
    middle = get_media(bob_two, document["url"], {"Range": "bytes=100000-100999"})
    assert middle.status_code == 206 and middle.content == data[100_000:101_000]
    assert stored(bob_two, document) == data and stored(bob_two, picture) == original
    thumbnail = get_media(bob_two, picture["thumbnail"]["url"])
    assert thumbnail.status_code == 200 and thumbnail.content == get_media(alice, picture["thumbnail"]["url"]).content
    assert get_media(bob_two, picture["url"], {"If-None-Match": f'"{picture["sha256"]}"'}).status_code == 304
    assert not can_read(on(two, carol), picture["mediaId"])
    assert len(s3.keys_for(bucket, picture["sha256"])) == 1 and len(s3.keys_for(bucket, sha256(data))) == 1
    assert blob_files(two, picture["sha256"]) == [] and blob_files(one, picture["sha256"]) == []


def test_the_same_bytes_from_two_nodes_are_one_object(s3, cluster):
    (one, two), bucket = cluster
    alice, bob = one.register(), one.register()
    data = random_bytes(64_000, "cluster-dedup")
    first = upload_ok(alice, data, "application/octet-stream")
    second = upload_ok(on(two, bob), data, "application/octet-stream")
    assert first["sha256"] == second["sha256"] and first["mediaId"] != second["mediaId"]
    assert len(s3.keys_for(bucket, sha256(data))) == 1, s3.keys(bucket)


def test_a_resumable_upload_finished_on_one_node_is_served_by_the_other(s3, cluster):
    """Unfinished uploads live on the node that took them (a load balancer keeps a client on one
    node, docs/operations.md); the media they become is in the bucket, for every node."""
    (one, two), _ = cluster
    alice = one.register()
    alice_two = on(two, alice)
    data = random_bytes(180_000, "cluster-tus")
    location = tus_create(alice, len(data), filename="across.bin")
    assert tus_patch(alice, location, 0, data[:60_000]).status_code == 204
    assert tus_offset(alice, location) == 60_000
    assert tus_patch(alice, location, 60_000, data[60_000:120_000]).status_code == 204
    last = tus_patch(alice, location, 120_000, data[120_000:])
    assert last.status_code == 204, last.text
    media_id = last.headers["Parley-Media-Id"]
    done = tus(one, "GET", location, alice.token)
    assert done.status_code == 200 and done.json()["mediaId"] == media_id
    for node, user in ((one, alice), (two, alice_two)):
        r = get_media(user, f"/v1/media/{media_id}", node=node)
        assert r.status_code == 200 and r.content == data


def test_a_resumable_upload_outlives_its_bucket_failing(s3):
    """The last byte is in but the bucket is gone: the node keeps every byte, answers 503, and an
    empty PATCH at the end (or a GET of the upload) finishes it once the bucket is back."""
    bucket = s3.bucket()
    node = Server(*s3.flags(bucket), *FAST_REGISTRATION).start()
    try:
        alice = node.register()
        uploads = []
        for name in ("by-patch.bin", "by-get.bin"):
            data = random_bytes(90_000, name)
            location = tus_create(alice, len(data), filename=name)
            assert tus_patch(alice, location, 0, data[:45_000]).status_code == 204
            uploads.append((location, data))
        s3.client.delete_bucket(Bucket=bucket)
        for location, data in uploads:
            last = tus_patch(alice, location, 45_000, data[45_000:])
            assert last.status_code == 503 and last.json()["error"]["code"] == "unavailable", (last.status_code, last.text)
            assert last.headers.get("Retry-After") and last.headers.get("Tus-Resumable") == "1.0.0"
            assert tus_offset(alice, location) == len(data), "every byte kept"
        s3.client.create_bucket(Bucket=bucket)

        (by_patch, first), (by_get, second) = uploads
        done = tus_patch(alice, by_patch, len(first), b"")
        assert done.status_code == 204, done.text
        info = tus(node, "GET", by_patch, alice.token).json()
        assert info["mediaId"] == done.headers["Parley-Media-Id"] and stored(alice, info) == first
        got = tus(node, "GET", by_get, alice.token)
        assert got.status_code == 200, got.text
        assert stored(alice, got.json()) == second
        assert len(s3.keys(bucket)) == 2
    finally:
        node.cleanup()
