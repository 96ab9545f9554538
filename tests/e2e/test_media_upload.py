"""Media uploads in one request (POST /v1/media): each kind stored and read back; images turned
upright, stripped of metadata, with a thumbnail (and a display version when large); types
sniffed from the bytes, never trusted as declared; per-kind limits and the per-user quota;
identical bytes stored once; /readyz and the metrics."""
import time

import pytest
import requests

from media_helpers import (BLUE, EXIF_MARKERS, EXIF_UPRIGHT_SIZE, FAST_REGISTRATION, GPS_IFD, HTML, ORIENTATION, PDF,
                           PNG_MARKER, RED, TEXT, assert_media_headers, attachment_name, blob_files, bmp, can_read,
                           close_to, corrupt_png, decode, exif_jpeg, get_media, gif, media_tools, mp3, mp4, noise_png,
                           png, random_bytes, require_ffmpeg, sha256, stored, upload_ok, upload_refused, wav,
                           webp, zip_file)
from parley import Server
from push_helpers import metric

KiB = 1024
WAV_TYPES = ("audio/wav", "audio/x-wav", "audio/wave", "audio/vnd.wave")


@pytest.fixture(scope="module")
def node():
    server = Server(*FAST_REGISTRATION).start()
    yield server
    server.cleanup()


def check_thumbnail(user, info, source_size):
    """The thumbnail: a WebP whose longest side is 320 (no more than the source's), the
    source's aspect ratio, served with its own ETag; returns it decoded."""
    thumb = info["thumbnail"]
    assert thumb["url"] == f"/v1/media/{info['mediaId']}/thumbnail", thumb
    assert thumb["mimeType"] == "image/webp", thumb
    width, height = source_size
    longest = max(thumb["width"], thumb["height"])
    if max(width, height) > 320:
        assert longest == 320, thumb
    else:
        assert longest <= 320, thumb
    assert abs(thumb["width"] - thumb["height"] * width / height) <= 1.5, (thumb, source_size)
    r = get_media(user, thumb["url"])
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"] == "image/webp"
    assert_media_headers(r, sha256(r.content))  # the thumbnail's own sha256 is its ETag
    assert int(r.headers["Content-Length"]) == len(r.content)
    image = decode(r.content)
    assert image.format == "WEBP" and image.size == (thumb["width"], thumb["height"])
    return image


def test_a_jpeg_with_exif_orientation_and_gps_comes_back_upright_without_metadata_and_with_a_thumbnail(node):
    alice = node.register()
    before = int(time.time() * 1000)
    info = upload_ok(alice, exif_jpeg(), "image/jpeg", name="holiday.jpg")
    assert info["kind"] == "image" and info["mimeType"] == "image/jpeg" and info["name"] == "holiday.jpg"
    assert (info["width"], info["height"]) == EXIF_UPRIGHT_SIZE, "width/height are of the stored, rotated image"
    assert before - 60_000 <= info["createdAt"] <= int(time.time() * 1000) + 60_000
    assert info.get("display") is None, "800 px is not over 1920: no display version"

    body = stored(alice, info)
    r = get_media(alice, info["url"])
    assert r.headers["Content-Type"] == "image/jpeg"
    image = decode(body)
    assert image.format == "JPEG"
    assert image.size == EXIF_UPRIGHT_SIZE, f"raw pixels were 800x400 with orientation 6; stored {image.size}"
    # Rotated 90° clockwise: the left (red) half of the raw pixels is on top now.
    rgb = image.convert("RGB")
    assert close_to(rgb.getpixel((200, 150)), RED) and close_to(rgb.getpixel((200, 650)), BLUE), \
        (rgb.getpixel((200, 150)), rgb.getpixel((200, 650)))
    exif = image.getexif()
    assert ORIENTATION not in exif, "the orientation is applied, not kept"
    assert GPS_IFD not in exif and not exif.get_ifd(GPS_IFD), "GPS gone"
    assert not dict(exif), f"all metadata stripped, found {dict(exif)}"
    assert b"Exif\x00\x00" not in body
    for marker in EXIF_MARKERS:
        assert marker not in body, f"{marker!r} left in the stored file"

    thumbnail = check_thumbnail(alice, info, EXIF_UPRIGHT_SIZE).convert("RGB")
    assert thumbnail.size == (160, 320)
    assert close_to(thumbnail.getpixel((80, 60)), RED) and close_to(thumbnail.getpixel((80, 260)), BLUE), \
        "the thumbnail is upright too"


@pytest.mark.parametrize("make, declared, size, pillow_format", [
    (lambda: png(640, 480), "image/png", (640, 480), "PNG"),
    (lambda: webp(300, 200), "image/webp", (300, 200), "WEBP"),
    (lambda: gif(120, 80), "image/gif", (120, 80), "GIF"),
], ids=["png", "webp", "gif"])
def test_png_webp_and_gif_are_stored_as_images_with_a_thumbnail(node, make, declared, size, pillow_format):
    alice = node.register()
    data = make()
    info = upload_ok(alice, data, declared, name="picture")
    assert info["kind"] == "image" and info["mimeType"] == declared
    assert (info["width"], info["height"]) == size
    body = stored(alice, info)
    assert get_media(alice, info["url"]).headers["Content-Type"] == declared
    image = decode(body)
    assert image.format == pillow_format and image.size == size
    if declared == "image/gif":
        assert body == data, "GIF is stored as uploaded"
        assert info["sha256"] == sha256(data) and info["size"] == len(data)
        assert getattr(image, "n_frames", 1) == 2, "still animated"
    if declared == "image/png":
        assert PNG_MARKER not in body, "PNG text chunks are metadata too"
    thumbnail = check_thumbnail(alice, info, size).convert("RGB")
    if declared == "image/gif":
        centre = (thumbnail.width // 2, thumbnail.height // 2)
        assert close_to(thumbnail.getpixel(centre), RED), "the thumbnail is of the first frame"


def test_a_large_image_gets_a_display_version(node):
    alice = node.register()
    info = upload_ok(alice, png(2500, 1000), "image/png", name="panorama.png")
    assert (info["width"], info["height"]) == (2500, 1000), "the original keeps its size"
    assert decode(stored(alice, info)).size == (2500, 1000)
    display = info["display"]
    assert display["url"] == f"/v1/media/{info['mediaId']}/display"
    assert (display["width"], display["height"]) == (1920, 768), display
    r = get_media(alice, display["url"])
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"] == display["mimeType"]
    assert_media_headers(r)
    shown = decode(r.content)
    assert shown.size == (1920, 768)
    assert shown.format.lower() in display["mimeType"], (shown.format, display["mimeType"])
    assert check_thumbnail(alice, info, (2500, 1000)).size == (320, 128)


def test_an_mp4_video_gets_its_duration_size_and_a_poster_frame(node):
    require_ffmpeg("libx264")
    alice = node.register()
    data = mp4(1, 320, 240)
    info = upload_ok(alice, data, "video/mp4", name="clip.mp4")
    assert info["kind"] == "video" and info["mimeType"] == "video/mp4" and info["name"] == "clip.mp4"
    assert stored(alice, info) == data, "video is stored as uploaded"
    assert info["sha256"] == sha256(data) and info["size"] == len(data)
    assert get_media(alice, info["url"]).headers["Content-Type"] == "video/mp4"
    assert (info["width"], info["height"]) == (320, 240)
    assert 700 <= info["durationMs"] <= 1300, info["durationMs"]
    poster = info["thumbnail"]
    assert poster["url"] == f"/v1/media/{info['mediaId']}/thumbnail" and poster["mimeType"] == "image/jpeg", poster
    assert max(poster["width"], poster["height"]) <= 320
    r = get_media(alice, poster["url"])
    assert r.status_code == 200 and r.headers["Content-Type"] == "image/jpeg"
    assert_media_headers(r, sha256(r.content))
    frame = decode(r.content)
    assert frame.format == "JPEG" and frame.size == (poster["width"], poster["height"])


def test_a_wav_is_stored_as_audio(node):
    alice = node.register()
    data = wav(1.0)
    info = upload_ok(alice, data, "audio/wav", name="tone.wav")
    assert info["kind"] == "audio" and info["mimeType"] in WAV_TYPES, info
    assert stored(alice, info) == data
    assert info["sha256"] == sha256(data) and info["size"] == len(data)
    assert get_media(alice, info["url"]).headers["Content-Type"] == info["mimeType"]
    if media_tools():
        assert 900 <= info["durationMs"] <= 1100, info
    else:
        assert info.get("durationMs") is None, "without ffprobe the upload works, with no duration"
    assert info.get("width") is None and info.get("height") is None


def test_an_mp3_is_stored_as_audio_with_its_duration(node):
    require_ffmpeg("libmp3lame")
    alice = node.register()
    data = mp3(1)
    info = upload_ok(alice, data, "audio/mpeg", name="tone.mp3")
    assert info["kind"] == "audio" and info["mimeType"] == "audio/mpeg"
    assert stored(alice, info) == data
    assert 800 <= info["durationMs"] <= 1300, info


@pytest.mark.parametrize("data, declared, name, mime_types", [
    (PDF, "application/pdf", "报告 2026.pdf", ("application/pdf",)),
    (zip_file(), "application/zip", "archive.zip", ("application/zip",)),
    (TEXT, "text/plain", "notes.txt", ("text/plain", "text/plain; charset=utf-8", "application/octet-stream")),
], ids=["pdf", "zip", "txt"])
def test_files_are_stored_as_uploaded_and_served_as_attachments(node, data, declared, name, mime_types):
    alice = node.register()
    info = upload_ok(alice, data, declared, name=name)
    assert info["kind"] == "file" and info["mimeType"] in mime_types, info
    assert info["name"] == name and info["size"] == len(data) and info["sha256"] == sha256(data)
    assert info.get("thumbnail") is None and info.get("width") is None
    assert stored(alice, info) == data
    r = get_media(alice, info["url"])
    assert r.headers["Content-Type"] == "application/octet-stream", "files are never served as what they say they are"
    assert attachment_name(r) == name


def test_head_answers_the_headers_without_the_body(node):
    alice = node.register()
    data = random_bytes(3000, "head")
    info = upload_ok(alice, data, "application/octet-stream", name="blob.bin")
    r = get_media(alice, info["url"], method="HEAD")
    assert r.status_code == 200 and r.content == b""
    assert int(r.headers["Content-Length"]) == len(data)
    assert_media_headers(r, sha256(data))


def test_html_declared_as_an_image_is_refused_and_as_a_file_is_served_as_an_attachment(node):
    alice = node.register()
    for declared in ("image/png", "image/jpeg", "video/mp4", "audio/mpeg"):
        upload_refused(alice, HTML, declared, 415, "unsupported_media_type", name="evil.png")
    info = upload_ok(alice, HTML, "text/html", name="page.html")
    assert info["kind"] == "file" and not info["mimeType"].startswith("image/")
    assert stored(alice, info) == HTML
    r = get_media(alice, info["url"])
    assert r.headers["Content-Type"] == "application/octet-stream"
    assert r.headers["X-Content-Type-Options"] == "nosniff" and r.headers["Content-Security-Policy"] == "sandbox"
    assert attachment_name(r) == "page.html"


def test_the_kind_follows_the_bytes_not_the_declared_type(node):
    alice = node.register()
    as_bytes = upload_ok(alice, png(640, 480), "application/octet-stream", name="really-a.png")
    assert as_bytes["kind"] == "image" and as_bytes["mimeType"] == "image/png" and as_bytes["thumbnail"]
    mislabelled = upload_ok(alice, exif_jpeg(), "image/png")
    assert mislabelled["kind"] == "image" and mislabelled["mimeType"] == "image/jpeg"
    assert get_media(alice, mislabelled["url"]).headers["Content-Type"] == "image/jpeg"
    audio = upload_ok(alice, wav(0.5), "application/octet-stream")
    assert audio["kind"] == "audio"


def test_unsupported_undecodable_and_empty_uploads_are_refused(node):
    alice = node.register()
    upload_refused(alice, bmp(), "image/bmp", 415, "unsupported_media_type")
    upload_refused(alice, corrupt_png(), "image/png", 415, "unsupported_media_type")
    upload_refused(alice, wav(0.5), "image/jpeg", 415, "unsupported_media_type")
    upload_refused(alice, b"", "application/octet-stream", 400, "bad_request")
    # BMP is fine as a file.
    as_file = upload_ok(alice, bmp(), "application/octet-stream", name="old.bmp")
    assert as_file["kind"] == "file"


def test_uploads_need_a_login(node):
    for headers in ({}, {"Authorization": "Bearer not-a-token"}):
        r = requests.post(node.http + "/v1/media", data=PDF, headers={"Content-Type": "application/pdf", **headers},
                          timeout=30)
        assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized", (headers, r.status_code, r.text)


def test_unknown_media_is_not_found(node):
    alice = node.register()
    for path in ("/v1/media/m_" + "0" * 26, "/v1/media/m_" + "0" * 26 + "/thumbnail", "/v1/media/nonsense"):
        r = get_media(alice, path)
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found", (path, r.status_code)


def test_each_kind_has_its_own_size_limit():
    limited = Server("--media-max-image", "64KiB", "--media-max-audio", "65536", "--media-max-file", "1MiB",
                     *FAST_REGISTRATION).start()
    try:
        alice = limited.register()
        big = noise_png(160, 160)
        assert len(big) > 64 * KiB
        error = upload_refused(alice, big, "image/png", 413, "too_large")
        assert error["message"]
        upload_ok(alice, png(200, 100), "image/png")
        long_tone = wav(5.0)
        assert len(long_tone) > 65536
        upload_refused(alice, long_tone, "audio/wav", 413, "too_large")
        upload_ok(alice, wav(1.0), "audio/wav")
        # The image limit is for images: a file of that size is under the file limit.
        upload_ok(alice, random_bytes(100 * KiB, "file"), "application/octet-stream")
        upload_refused(alice, random_bytes(1024 * KiB + 1, "big file"), "application/octet-stream", 413, "too_large")
    finally:
        limited.cleanup()


def test_a_user_over_quota_is_refused_while_a_small_upload_still_fits():
    quota = Server("--media-quota", "100KiB", *FAST_REGISTRATION).start()
    try:
        alice, bob = quota.register(), quota.register()
        upload_ok(alice, random_bytes(60 * KiB, "q1"), "application/octet-stream")
        error = upload_refused(alice, random_bytes(50 * KiB, "q2"), "application/octet-stream", 413, "too_large")
        assert "quota" in error["message"].lower(), error
        upload_ok(alice, random_bytes(30 * KiB, "q3"), "application/octet-stream")
        upload_refused(alice, random_bytes(20 * KiB, "q4"), "application/octet-stream", 413, "too_large")
        # The quota is per user.
        upload_ok(bob, random_bytes(60 * KiB, "q5"), "application/octet-stream")
    finally:
        quota.cleanup()


def test_the_same_bytes_uploaded_twice_are_stored_once(node):
    alice, bob = node.register(), node.register()
    data = random_bytes(50 * KiB, "dedup")
    first = upload_ok(alice, data, "application/octet-stream", name="a.bin")
    second = upload_ok(bob, data, "application/octet-stream", name="b.bin")
    assert first["sha256"] == second["sha256"] == sha256(data)
    assert first["mediaId"] != second["mediaId"]
    assert len(blob_files(node, sha256(data))) == 1, blob_files(node, sha256(data))
    assert stored(alice, first) == data and stored(bob, second) == data
    # Sharing the bytes shares no access.
    assert not can_read(bob, first["mediaId"]) and not can_read(alice, second["mediaId"])

    picture = png(700, 500)
    one = upload_ok(alice, picture, "image/png")
    two = upload_ok(alice, picture, "image/png")
    assert one["sha256"] == two["sha256"] and one["mediaId"] != two["mediaId"]
    assert len(blob_files(node, one["sha256"])) == 1
    thumbs = [get_media(alice, info["thumbnail"]["url"]).content for info in (one, two)]
    assert sha256(thumbs[0]) == sha256(thumbs[1])
    assert len(blob_files(node, sha256(thumbs[0]))) == 1, "the thumbnail is stored once too"


def test_readyz_reports_media_processing(node):
    r = node.get("/readyz")
    assert r.status_code == 200, r.text
    ready = r.json()
    assert ready["status"] == "ready" and ready["store"] == "ok"
    assert ready["media"]["images"] == "ok", ready
    assert ready["media"]["video"] == ("ok" if media_tools() else "unavailable"), ready


def test_uploads_and_downloads_are_counted(node):
    alice = node.register()
    before = node.get("/metrics").text
    data = random_bytes(10 * KiB, "metrics")
    info = upload_ok(alice, data, "application/octet-stream")
    upload_ok(alice, png(400, 300), "image/png")
    stored(alice, info)
    after = node.get("/metrics").text
    assert metric(after, "parley_media_uploads_total", kind="file") >= metric(before, "parley_media_uploads_total", kind="file") + 1
    assert metric(after, "parley_media_uploads_total", kind="image") >= metric(before, "parley_media_uploads_total", kind="image") + 1
    assert metric(after, "parley_media_bytes_in_total") >= metric(before, "parley_media_bytes_in_total") + len(data)
    assert metric(after, "parley_media_bytes_out_total") >= metric(before, "parley_media_bytes_out_total") + len(data)
    assert metric(after, "parley_media_processing_seconds_count") >= metric(before, "parley_media_processing_seconds_count") + 1
