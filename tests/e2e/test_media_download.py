"""Media downloads: ranges, ETag/304, `?access_token=`, and who may read: the uploader, and the
current members of a conversation holding a message that references the media (not a removed
member, not after a recall); the server fills a media message's url, size, type and sizes."""
import pytest

from media_helpers import (FAST_REGISTRATION, assert_media_headers, can_read, exif_jpeg, fetch, get_media,
                           group_media_message, history, mp4, png, random_bytes, require_ffmpeg, sha256,
                           send_media, send_media_ok, stored, upload_ok, wav)
from parley import Server, text_message
from push_helpers import make_group, recall

SIZE = 1000


@pytest.fixture(scope="module")
def node():
    server = Server(*FAST_REGISTRATION).start()
    yield server
    server.cleanup()


def a_file(user, size=SIZE, seed="download"):
    data = random_bytes(size, seed)
    return data, upload_ok(user, data, "application/octet-stream", name="data.bin")


def in_a_message(sender, receiver, info, content_type="image"):
    """Sends the media to `receiver` and waits for it to arrive there (HTTP send, socket receipt)."""
    sock = receiver.connect()
    try:
        ack = send_media_ok(sender, receiver, content_type, info["mediaId"])
        return ack, sock.message(messageId=ack["messageId"])["data"]
    finally:
        sock.close()


# --- ranges -------------------------------------------------------------------------------------

@pytest.mark.parametrize("header, first, last", [
    ("bytes=0-9", 0, 9),
    ("bytes=100-199", 100, 199),
    ("bytes=-50", SIZE - 50, SIZE - 1),
    ("bytes=500-", 500, SIZE - 1),
    ("bytes=990-5000", 990, SIZE - 1),
    ("bytes=0-0", 0, 0),
], ids=["first-bytes", "middle", "suffix", "open-ended", "end-past-the-size", "one-byte"])
def test_a_range_is_served_partially(node, header, first, last):
    alice = node.register()
    data, info = a_file(alice)
    r = get_media(alice, info["url"], {"Range": header})
    assert r.status_code == 206, (header, r.status_code, r.text[:200])
    assert r.headers["Content-Range"] == f"bytes {first}-{last}/{SIZE}"
    assert r.content == data[first:last + 1]
    assert int(r.headers["Content-Length"]) == last - first + 1
    assert r.headers["Content-Type"] == "application/octet-stream"
    assert_media_headers(r, sha256(data))


@pytest.mark.parametrize("header", ["bytes=1000-", "bytes=5000-6000", "bytes=1000-1000"])
def test_a_range_past_the_end_is_416(node, header):
    alice = node.register()
    _, info = a_file(alice)
    r = get_media(alice, info["url"], {"Range": header})
    assert r.status_code == 416, (header, r.status_code)
    assert r.headers["Content-Range"] == f"bytes */{SIZE}"


def test_more_than_one_range_is_416(node):
    alice = node.register()
    _, info = a_file(alice)
    r = get_media(alice, info["url"], {"Range": "bytes=0-9,20-29"})
    assert r.status_code == 416, r.status_code


def test_ranges_of_an_image_and_its_thumbnail(node):
    alice = node.register()
    info = upload_ok(alice, exif_jpeg(), "image/jpeg")
    whole = stored(alice, info)
    head = get_media(alice, info["url"], {"Range": "bytes=0-99"})
    assert head.status_code == 206 and head.content == whole[:100]
    assert head.headers["Content-Range"] == f"bytes 0-99/{len(whole)}" and head.headers["Content-Type"] == "image/jpeg"
    thumbnail = get_media(alice, info["thumbnail"]["url"]).content
    tail = get_media(alice, info["thumbnail"]["url"], {"Range": "bytes=-10"})
    assert tail.status_code == 206 and tail.content == thumbnail[-10:]
    assert tail.headers["Content-Range"] == f"bytes {len(thumbnail) - 10}-{len(thumbnail) - 1}/{len(thumbnail)}"


def test_if_range_with_another_etag_gets_the_whole_file(node):
    alice = node.register()
    data, info = a_file(alice)
    stale = get_media(alice, info["url"], {"Range": "bytes=0-9", "If-Range": '"' + "0" * 64 + '"'})
    assert stale.status_code == 200 and stale.content == data
    current = get_media(alice, info["url"], {"Range": "bytes=0-9", "If-Range": f'"{info["sha256"]}"'})
    assert current.status_code == 206 and current.content == data[:10]


# --- ETag / 304 ---------------------------------------------------------------------------------

def test_if_none_match_answers_304(node):
    alice = node.register()
    data, info = a_file(alice)
    sha = info["sha256"]
    r = get_media(alice, info["url"])
    assert r.headers["ETag"] == f'"{sha}"' == f'"{sha256(data)}"'
    for validator in (f'"{sha}"', sha, f'W/"{sha}"', f'"{"1" * 64}", "{sha}"', "*"):
        again = get_media(alice, info["url"], {"If-None-Match": validator})
        assert again.status_code == 304, (validator, again.status_code)
        assert again.content == b""
        assert again.headers.get("ETag") == f'"{sha}"'
    other = get_media(alice, info["url"], {"If-None-Match": '"' + "1" * 64 + '"'})
    assert other.status_code == 200 and other.content == data


def test_the_thumbnail_has_its_own_etag(node):
    alice = node.register()
    info = upload_ok(alice, png(640, 480), "image/png")
    thumbnail = get_media(alice, info["thumbnail"]["url"])
    etag = thumbnail.headers["ETag"]
    assert etag == f'"{sha256(thumbnail.content)}"' != f'"{info["sha256"]}"'
    assert get_media(alice, info["thumbnail"]["url"], {"If-None-Match": etag}).status_code == 304
    assert get_media(alice, info["thumbnail"]["url"], {"If-None-Match": f'"{info["sha256"]}"'}).status_code == 200


# --- authentication -----------------------------------------------------------------------------

def test_an_access_token_in_the_query_works_for_get(node):
    alice = node.register()
    info = upload_ok(alice, png(640, 480), "image/png")
    for path in (info["url"], info["thumbnail"]["url"]):
        r = fetch(node, path, params={"access_token": alice.token})
        assert r.status_code == 200, (path, r.status_code, r.text[:200])
        assert_media_headers(r, sha256(r.content))
    assert fetch(node, info["url"], params={"access_token": alice.token}).content == stored(alice, info)
    ranged = fetch(node, info["url"], headers={"Range": "bytes=0-9"}, params={"access_token": alice.token})
    assert ranged.status_code == 206 and len(ranged.content) == 10


def test_without_a_valid_token_it_is_401(node):
    alice = node.register()
    _, info = a_file(alice)
    for params, token in ((None, None), ({"access_token": "forged"}, None), (None, "forged")):
        r = fetch(node, info["url"], token=token, params=params)
        assert r.status_code == 401, (params, token, r.status_code)
        assert r.json()["error"]["code"] == "unauthorized"


def test_another_user_gets_404(node):
    alice, bob = node.register(), node.register()
    info = upload_ok(alice, png(640, 480), "image/png")
    for path in (info["url"], info["thumbnail"]["url"]):
        r = get_media(bob, path)
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found", (path, r.status_code)
        assert get_media(bob, path, method="HEAD").status_code == 404
        assert fetch(node, path, params={"access_token": bob.token}).status_code == 404
    assert can_read(alice, info["mediaId"])


# --- access through messages --------------------------------------------------------------------

def test_a_recipient_can_read_media_a_message_references_and_the_message_is_filled(node):
    alice, bob, carol = node.register(), node.register(), node.register()
    info = upload_ok(alice, exif_jpeg(), "image/jpeg", name="photo.jpg")
    media_id = info["mediaId"]
    assert not can_read(bob, media_id)
    ack, received = in_a_message(alice, bob, info)
    expected = {"mediaId": media_id, "url": f"/v1/media/{media_id}", "width": 400, "height": 800,
                "size": info["size"], "mimeType": "image/jpeg", "thumbnailUrl": f"/v1/media/{media_id}/thumbnail"}
    assert received["contentType"] == "image"
    content = received["content"]
    assert {k: content.get(k) for k in expected} == expected, content
    [kept] = [m for m in history(bob, ack["conversationId"]) if m["messageId"] == ack["messageId"]]
    assert {k: kept["content"].get(k) for k in expected} == expected, kept
    assert stored(bob, info) == stored(alice, info)
    thumbnail = get_media(bob, content["thumbnailUrl"])
    assert thumbnail.status_code == 200 and thumbnail.headers["Content-Type"] == "image/webp"
    assert fetch(node, content["url"], params={"access_token": bob.token}).status_code == 200
    # Someone outside the conversation still cannot.
    assert not can_read(carol, media_id)
    assert get_media(carol, content["thumbnailUrl"]).status_code == 404


def test_group_members_read_it_until_they_are_removed(node):
    owner, bob, carol, later = (node.register() for _ in range(4))
    group = make_group(owner, [bob, carol])
    info = upload_ok(owner, png(640, 480), "image/png")
    media_id = info["mediaId"]
    assert not can_read(bob, media_id)
    sent = owner.post("/v1/messages", group_media_message(group["groupId"], "image", media_id))
    assert sent.status_code == 200, sent.text
    assert can_read(bob, media_id) and can_read(carol, media_id)
    owner.ok("DELETE", f"/v1/groups/{group['groupId']}/members/{bob.id}")
    assert not can_read(bob, media_id), "a removed member loses access"
    assert get_media(bob, info["thumbnail"]["url"]).status_code == 404
    assert can_read(carol, media_id) and can_read(owner, media_id)
    # Access is for current members: one who joins later reads what the conversation holds.
    assert not can_read(later, media_id)
    owner.ok("POST", f"/v1/groups/{group['groupId']}/members", {"userIds": [later.id]})
    assert can_read(later, media_id)


def test_a_recalled_message_no_longer_grants_access(node):
    alice, bob = node.register(), node.register()
    info = upload_ok(alice, png(640, 480), "image/png")
    ack = send_media_ok(alice, bob, "image", info["mediaId"])
    assert can_read(bob, info["mediaId"])
    recall(alice, ack)
    assert not can_read(bob, info["mediaId"]), "the recall removed the message's reference"
    assert get_media(bob, info["thumbnail"]["url"]).status_code == 404
    assert can_read(alice, info["mediaId"]), "the uploader keeps it"


def test_a_recall_leaves_access_that_another_message_gives(node):
    alice, bob = node.register(), node.register()
    info = upload_ok(alice, png(640, 480), "image/png")
    first = send_media_ok(alice, bob, "image", info["mediaId"])
    send_media_ok(alice, bob, "image", info["mediaId"])
    recall(alice, first)
    assert can_read(bob, info["mediaId"])


def test_only_who_can_read_media_may_send_it(node):
    alice, bob, carol, dave = (node.register() for _ in range(4))
    info = upload_ok(alice, png(640, 480), "image/png")
    # Dave cannot read Alice's upload: he cannot send it either (it does not exist for him).
    denied = send_media(dave, bob, "image", info["mediaId"])
    assert denied.status_code == 404 and denied.json()["error"]["code"] == "not_found", denied.text
    assert not can_read(bob, info["mediaId"])
    for unknown_id in ("m_" + "a" * 26, "m_" + "0" * 26):  # well-formed but unknown; not even of the shape
        unknown = send_media(alice, bob, "image", unknown_id)
        assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "not_found", unknown.text
    # Bob, who received it, may pass it on; Carol then reads it.
    send_media_ok(alice, bob, "image", info["mediaId"])
    send_media_ok(bob, carol, "image", info["mediaId"])
    assert can_read(carol, info["mediaId"])


def test_a_forward_carries_its_media_along(node):
    alice, bob, carol = node.register(), node.register(), node.register()
    info = upload_ok(alice, png(640, 480), "image/png")
    ack = send_media_ok(alice, bob, "image", info["mediaId"])
    assert not can_read(carol, info["mediaId"])
    forward = text_message(carol.id, "x")
    forward.update(contentType="forward", content={"conversationId": ack["conversationId"], "messageIds": [ack["messageId"]]})
    r = bob.post("/v1/messages", forward)
    assert r.status_code == 200, r.text
    assert can_read(carol, info["mediaId"])


def test_the_media_kind_must_match_the_content_type(node):
    alice, bob = node.register(), node.register()
    sound = upload_ok(alice, wav(0.5), "audio/wav")
    picture = upload_ok(alice, png(640, 480), "image/png")
    for content_type, media in (("image", sound), ("video", picture), ("audio", picture)):
        r = send_media(alice, bob, content_type, media["mediaId"])
        assert r.status_code == 400 and r.json()["error"]["code"] == "bad_request", (content_type, r.text)
    assert not can_read(bob, sound["mediaId"]) and not can_read(bob, picture["mediaId"])


def test_file_content_may_carry_any_kind_and_gets_the_upload_name(node):
    alice, bob = node.register(), node.register()
    data, document = a_file(alice, 2048, "document")
    picture = upload_ok(alice, png(640, 480), "image/png", name="diagram.png")
    _, received = in_a_message(alice, bob, document, "file")
    content = received["content"]
    assert content["mediaId"] == document["mediaId"] and content["url"] == document["url"]
    assert content["name"] == "data.bin" and content["size"] == len(data)
    assert content["mimeType"] == document["mimeType"]
    named = send_media_ok(alice, bob, "file", picture["mediaId"], name="renamed.png")
    [kept] = [m for m in history(bob, named["conversationId"]) if m["messageId"] == named["messageId"]]
    assert kept["content"]["name"] == "renamed.png", "a name given is kept"
    assert kept["content"]["url"] == picture["url"]
    assert can_read(bob, document["mediaId"]) and can_read(bob, picture["mediaId"])


def test_a_video_id_sent_as_an_image_is_refused_and_as_a_video_is_filled(node):
    require_ffmpeg("libx264")
    alice, bob = node.register(), node.register()
    video = upload_ok(alice, mp4(1, 320, 240), "video/mp4", name="clip.mp4")
    refused = send_media(alice, bob, "image", video["mediaId"])
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "bad_request", refused.text
    _, received = in_a_message(alice, bob, video, "video")
    content = received["content"]
    assert content["url"] == video["url"] and content["mimeType"] == "video/mp4" and content["size"] == video["size"]
    assert (content["width"], content["height"]) == (320, 240)
    assert 0.7 <= content["duration"] <= 1.3, content
    assert content["thumbnailUrl"] == f"/v1/media/{video['mediaId']}/thumbnail"
    assert get_media(bob, content["thumbnailUrl"]).headers["Content-Type"] == "image/jpeg"


def test_an_audio_message_gets_its_duration(node):
    require_ffmpeg()
    alice, bob = node.register(), node.register()
    sound = upload_ok(alice, wav(1.0), "audio/wav")
    _, received = in_a_message(alice, bob, sound, "audio")
    content = received["content"]
    assert content["url"] == sound["url"] and content["size"] == sound["size"]
    assert 0.9 <= content["duration"] <= 1.1, content
    assert can_read(bob, sound["mediaId"])


def test_usage_shows_what_counts_against_the_quota(node):
    alice = node.register()
    assert alice.ok("GET", "/v1/media/usage") == {"usedBytes": 0, "quotaBytes": 1 << 30}
    data = random_bytes(12_345, "usage")
    upload_ok(alice, data, "application/octet-stream")
    assert alice.ok("GET", "/v1/media/usage")["usedBytes"] == len(data)


def test_an_operator_takes_media_down_for_everyone():
    admin = "admin-token-for-media-tests-0123456789"
    server = Server("--admin-token", admin, *FAST_REGISTRATION).start()
    try:
        alice, bob = server.register(), server.register()
        info = upload_ok(alice, png(64, 48), "image/png")
        send_media_ok(alice, bob, "image", info["mediaId"])
        assert can_read(bob, info["mediaId"])
        assert server.call("DELETE", f"/v1/admin/media/{info['mediaId']}", token=bob.token).status_code == 401
        assert server.call("DELETE", f"/v1/admin/media/{info['mediaId']}", token=admin).status_code == 200
        assert not can_read(bob, info["mediaId"]) and not can_read(alice, info["mediaId"])
        assert server.call("DELETE", f"/v1/admin/media/{info['mediaId']}", token=admin).status_code == 404
    finally:
        server.cleanup()
