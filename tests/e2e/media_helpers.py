"""What the media end-to-end tests share: uploads and downloads over plain HTTP, tus requests
(also over a raw socket that drops midway), messages that reference media, the blobs a node
keeps on disk, and generated test files (a JPEG with EXIF orientation and GPS, PNG/GIF/WebP/BMP,
PDF/ZIP/text/HTML, WAV from Python; MP4 and MP3 from ffmpeg when it is installed).

Generated files are made once per test process (`functools.cache`) and are deterministic.
Nothing here sleeps a fixed time: waits poll a condition until a deadline (`wait_until`)."""
from __future__ import annotations

import base64
import functools
import hashlib
import io
import math
import os
import random
import re
import shutil
import socket
import struct
import subprocess
import tempfile
import time
import urllib.parse
import uuid
import wave
import zipfile
from typing import Any, Callable

import pytest
import requests
from PIL import Image, ImageDraw
from PIL.PngImagePlugin import PngInfo

from parley import Server, User, text_message

TIMEOUT = 30
# Media modules register many users from one address.
FAST_REGISTRATION = ("--register-rate", "1000", "--register-burst", "1000")
TUS = {"Tus-Resumable": "1.0.0"}
OFFSET_STREAM = "application/offset+octet-stream"
MEDIA_ID = re.compile(r"^m_[0-9A-Za-z]{26}$")
# Headers every media download (GET/HEAD of the original, thumbnail or display) carries.
SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "sandbox",
                    "Referrer-Policy": "no-referrer"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def random_bytes(count: int, seed: int | str = 0) -> bytes:
    return random.Random(seed).randbytes(count)


def wait_until(predicate: Callable[[], Any], timeout: float = 10, message: str = "condition", interval: float = 0.05) -> Any:
    """Polls `predicate` until it returns something truthy (returned) or the deadline passes."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        assert time.monotonic() < deadline, f"{message} not reached within {timeout}s"
        time.sleep(interval)


# --- ffmpeg -------------------------------------------------------------------------------------

def media_tools() -> bool:
    """Whether ffmpeg and ffprobe are installed (the node uses them for video and audio)."""
    return bool(shutil.which("ffmpeg") and shutil.which("ffprobe"))


def require_ffmpeg(*encoders: str) -> None:
    """Skips a test that needs ffmpeg/ffprobe (and these encoders) where they are missing;
    under CI (CI=true, where scripts/test installs ffmpeg) a missing one fails instead."""
    missing = [tool for tool in ("ffmpeg", "ffprobe") if not shutil.which(tool)]
    if not missing and encoders:
        listed = subprocess.run(["ffmpeg", "-hide_banner", "-encoders"], capture_output=True, text=True, timeout=30).stdout
        missing = [f"the {e} encoder" for e in encoders if not re.search(rf"^\s*\S+\s+{re.escape(e)}\s", listed, re.M)]
    if missing:
        reason = "needs " + ", ".join(missing)
        if os.environ.get("CI") == "true":
            pytest.fail(reason + " (scripts/test installs ffmpeg)")
        pytest.skip(reason)


def _ffmpeg(args: list[str], suffix: str) -> bytes:
    with tempfile.TemporaryDirectory(prefix="parley-media-") as directory:
        out = os.path.join(directory, "out" + suffix)
        subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y", *args, out],
                       check=True, capture_output=True, timeout=120)
        with open(out, "rb") as f:
            return f.read()


@functools.cache
def mp4(seconds: int = 1, width: int = 320, height: int = 240) -> bytes:
    """An H.264 MP4 of ffmpeg's test pattern, `seconds` long at 10 fps (call require_ffmpeg("libx264") first)."""
    return _ffmpeg(["-f", "lavfi", "-i", f"testsrc=duration={seconds}:size={width}x{height}:rate=10",
                    "-c:v", "libx264", "-pix_fmt", "yuv420p", "-movflags", "+faststart"], ".mp4")


@functools.cache
def mp3(seconds: int = 1) -> bytes:
    """A 440 Hz tone as MP3 (call require_ffmpeg("libmp3lame") first)."""
    return _ffmpeg(["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}", "-c:a", "libmp3lame", "-b:a", "64k"], ".mp3")


# --- generated files ----------------------------------------------------------------------------

# The EXIF JPEG: 800x400 pixels as stored in the file, left half red, right half blue, with
# Orientation 6 ("rotate 90° clockwise to view"): upright it is 400x800, red on top, blue below.
EXIF_RAW_SIZE = (800, 400)
EXIF_UPRIGHT_SIZE = (400, 800)
# Strings planted in the metadata: none may be left in what the node stores.
EXIF_MARKERS = (b"ParleyTestCam", b"LeakyModel", b"secret-comment-7f3a")
GPS_IFD = 0x8825
ORIENTATION = 0x0112
RED, BLUE = (220, 20, 20), (20, 20, 220)


@functools.cache
def exif_jpeg() -> bytes:
    """A JPEG with EXIF Orientation=6, camera make/model, GPS coordinates and a comment."""
    image = Image.new("RGB", EXIF_RAW_SIZE, RED)
    ImageDraw.Draw(image).rectangle((EXIF_RAW_SIZE[0] // 2, 0, EXIF_RAW_SIZE[0] - 1, EXIF_RAW_SIZE[1] - 1), fill=BLUE)
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    exif[0x010F] = "ParleyTestCam"   # Make
    exif[0x0110] = "LeakyModel"      # Model
    gps = exif.get_ifd(GPS_IFD)
    gps[1], gps[2] = "N", (31.0, 13.0, 49.44)     # GPSLatitudeRef, GPSLatitude
    gps[3], gps[4] = "E", (121.0, 28.0, 25.32)    # GPSLongitudeRef, GPSLongitude
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90, exif=exif.tobytes(), comment=EXIF_MARKERS[2])
    data = out.getvalue()
    # The generator itself is checked: the metadata is really in the file.
    written = Image.open(io.BytesIO(data)).getexif()
    assert written[ORIENTATION] == 6 and written.get_ifd(GPS_IFD)[1] == "N" and all(m in data for m in EXIF_MARKERS)
    return data


PNG_MARKER = b"parley-png-secret"


@functools.cache
def png(width: int = 640, height: int = 480) -> bytes:
    """A PNG (a gradient with shapes; compresses well) carrying a text chunk that must be stripped."""
    image = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    draw = ImageDraw.Draw(image)
    draw.rectangle((width // 8, height // 8, width // 3, height // 3), fill=RED)
    draw.ellipse((width // 2, height // 2, width - width // 8, height - height // 8), fill=BLUE)
    info = PngInfo()
    info.add_text("Comment", PNG_MARKER.decode())
    out = io.BytesIO()
    image.save(out, "PNG", pnginfo=info)
    return out.getvalue()


@functools.cache
def noise_png(width: int, height: int, seed: int = 1) -> bytes:
    """A PNG of random pixels: about width*height*3 bytes whatever the compression."""
    image = Image.frombytes("RGB", (width, height), random_bytes(width * height * 3, seed))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


@functools.cache
def gif(width: int = 120, height: int = 80) -> bytes:
    """A two-frame animated GIF: the first frame red, the second blue."""
    frames = [Image.new("RGB", (width, height), colour).convert("P") for colour in (RED, BLUE)]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    return out.getvalue()


@functools.cache
def webp(width: int = 300, height: int = 200) -> bytes:
    image = Image.new("RGB", (width, height), BLUE)
    ImageDraw.Draw(image).rectangle((0, 0, width // 2, height - 1), fill=RED)
    out = io.BytesIO()
    image.save(out, "WEBP", quality=80)
    return out.getvalue()


@functools.cache
def bmp(width: int = 32, height: int = 32) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), RED).save(out, "BMP")
    return out.getvalue()


def corrupt_png() -> bytes:
    """Starts like a PNG (signature and the start of IHDR), then garbage: not decodable."""
    return png()[:33] + random_bytes(2000, "corrupt")


HTML = (b"<!DOCTYPE html>\n<html><head><title>not an image</title></head>"
        b"<body><script>document.title = 'xss'</script><img src=x onerror=alert(1)></body></html>\n")

PDF = (b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
       b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
       b"trailer << /Root 1 0 R >>\n%%EOF\n")

TEXT = ("plain text, 你好 \u2603\n" * 40).encode()


@functools.cache
def zip_file() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("readme.txt", "inside the zip\n" * 20)
        archive.writestr("data.bin", random_bytes(500, "zip"))
    return out.getvalue()


@functools.cache
def wav(seconds: float = 1.0, rate: int = 8000) -> bytes:
    """A 16-bit mono 440 Hz tone (Python's wave module, no ffmpeg needed)."""
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / rate)))
                               for i in range(int(seconds * rate))))
    return out.getvalue()


def decode(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def close_to(pixel: tuple, colour: tuple, tolerance: int = 60) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel[:3], colour))


# --- one-request upload and downloads ------------------------------------------------------------

def upload(user: User, data: bytes, content_type: str | None, name: str | None = None,
           node: Server | None = None) -> requests.Response:
    """POST /v1/media with the raw bytes as the body."""
    server = node or user.server
    headers = bearer(user.token)
    if content_type is not None:
        headers["Content-Type"] = content_type
    params = {"name": name} if name is not None else None
    return requests.post(server.http + "/v1/media", data=data, params=params, headers=headers, timeout=TIMEOUT)


def upload_ok(user: User, data: bytes, content_type: str | None, name: str | None = None,
              node: Server | None = None) -> dict:
    r = upload(user, data, content_type, name, node)
    assert r.status_code == 201, f"POST /v1/media ({content_type}, {len(data)} bytes): {r.status_code} {r.text[:500]}"
    info = r.json()
    assert MEDIA_ID.match(info["mediaId"]), info
    assert info["url"] == f"/v1/media/{info['mediaId']}", info
    return info


def upload_refused(user: User, data: bytes, content_type: str | None, status: int, code: str,
                   name: str | None = None) -> dict:
    r = upload(user, data, content_type, name)
    assert r.status_code == status, f"POST /v1/media ({content_type}): {r.status_code} {r.text[:500]}"
    assert r.json()["error"]["code"] == code, r.text
    return r.json()["error"]


def fetch(node: Server, path: str, token: str | None = None, headers: dict | None = None, method: str = "GET",
          params: dict | None = None) -> requests.Response:
    """A download without transfer compression (so Content-Length and ranges are of the bytes)."""
    sent = {"Accept-Encoding": "identity", **(bearer(token) if token else {}), **(headers or {})}
    return requests.request(method, node.http + path, headers=sent, params=params, timeout=TIMEOUT)


def get_media(user: User, path: str, headers: dict | None = None, method: str = "GET",
              node: Server | None = None) -> requests.Response:
    return fetch(node or user.server, path, user.token, headers, method)


def can_read(user: User, media_id: str, node: Server | None = None) -> bool:
    """True on 200; False on 404 not_found; anything else fails the test."""
    r = get_media(user, f"/v1/media/{media_id}", node=node)
    assert r.status_code in (200, 404), f"GET /v1/media/{media_id}: {r.status_code} {r.text[:300]}"
    if r.status_code == 404:
        assert r.json()["error"]["code"] == "not_found", r.text
    return r.status_code == 200


def stored(user: User, info: dict, node: Server | None = None) -> bytes:
    """The bytes GET url serves, after checking the headers every download carries."""
    r = get_media(user, info["url"], node=node)
    assert r.status_code == 200, f"GET {info['url']}: {r.status_code} {r.text[:300]}"
    assert_media_headers(r, sha256(r.content))
    assert r.content and sha256(r.content) == info["sha256"], "sha256 is of the bytes GET url returns"
    assert len(r.content) == info["size"] == int(r.headers["Content-Length"])
    return r.content


def assert_media_headers(r: requests.Response, etag_sha: str | None = None) -> None:
    for name, value in SECURITY_HEADERS.items():
        assert r.headers.get(name) == value, f"{name}: {r.headers.get(name)!r} on {r.request.method} {r.url}"
    assert r.headers.get("Cache-Control") == "private, max-age=3600", r.headers
    assert r.headers.get("Accept-Ranges") == "bytes", r.headers
    if etag_sha is not None:
        assert r.headers.get("ETag") == f'"{etag_sha}"', r.headers


def attachment_name(r: requests.Response) -> str | None:
    """The file name of `Content-Disposition: attachment; …; filename*=UTF-8''…` (decoded)."""
    disposition = r.headers.get("Content-Disposition", "")
    assert disposition.startswith("attachment"), f"Content-Disposition: {disposition!r}"
    found = re.search(r"filename\*=UTF-8''([^;\s]+)", disposition, re.I)
    return urllib.parse.unquote(found.group(1), encoding="utf-8") if found else None


# --- messages ----------------------------------------------------------------------------------

def media_message(receiver_id: str, content_type: str, media_id: str, **content: Any) -> dict:
    data = text_message(receiver_id, "x")
    data.update(contentType=content_type, content={"mediaId": media_id, **content})
    return data


def group_media_message(group_id: str, content_type: str, media_id: str, **content: Any) -> dict:
    return {"conversationType": "group", "groupId": group_id, "contentType": content_type,
            "content": {"mediaId": media_id, **content}, "localId": uuid.uuid4().hex, "atUsers": [], "replyTo": None}


def send_media(sender: User, receiver: User, content_type: str, media_id: str, **content: Any) -> requests.Response:
    """A private message over HTTP whose content references an upload."""
    return sender.post("/v1/messages", media_message(receiver.id, content_type, media_id, **content))


def send_media_ok(sender: User, receiver: User, content_type: str, media_id: str, **content: Any) -> dict:
    r = send_media(sender, receiver, content_type, media_id, **content)
    assert r.status_code == 200, f"sending {content_type} {media_id}: {r.status_code} {r.text}"
    return r.json()


def history(user: User, conversation_id: str) -> list[dict]:
    return user.ok("GET", f"/v1/conversations/{conversation_id}/messages")["messages"]


# --- what a node keeps on disk -----------------------------------------------------------------

def media_dir(node: Server) -> str:
    """The default --media-dir: <data-dir>/media."""
    return os.path.join(node.data_dir, "media")


def blob_files(node: Server, sha: str) -> list[str]:
    """The files under <media-dir>/blobs/ (any depth) whose name starts with `sha`."""
    found = []
    for directory, _, names in os.walk(os.path.join(media_dir(node), "blobs")):
        found += [os.path.join(directory, n) for n in names if n.startswith(sha)]
    return found


# --- tus ---------------------------------------------------------------------------------------

def tus_metadata(**pairs: str) -> str:
    return ",".join(f"{key} {base64.b64encode(value.encode()).decode()}" for key, value in pairs.items())


def tus(node: Server, method: str, path: str, token: str | None, headers: dict | None = None,
        data: bytes | None = None, version: str | None = "1.0.0") -> requests.Response:
    """A tus request: Bearer and `Tus-Resumable: <version>` (none when version is None)."""
    sent = {**(bearer(token) if token else {}), **({"Tus-Resumable": version} if version else {}), **(headers or {})}
    return requests.request(method, node.http + path, headers=sent, data=data, timeout=TIMEOUT)


def tus_create(user: User, length: int, node: Server | None = None, **metadata: str) -> str:
    """POST /v1/media/uploads; returns the Location (a relative path)."""
    headers = {"Upload-Length": str(length)}
    if metadata:
        headers["Upload-Metadata"] = tus_metadata(**metadata)
    r = tus(node or user.server, "POST", "/v1/media/uploads", user.token, headers)
    assert r.status_code == 201, f"tus create: {r.status_code} {r.text[:300]}"
    location = r.headers["Location"]
    assert location.startswith("/v1/media/uploads/"), location
    return location


def tus_head(user: User, location: str, node: Server | None = None) -> requests.Response:
    return tus(node or user.server, "HEAD", location, user.token)


def tus_offset(user: User, location: str, node: Server | None = None) -> int:
    r = tus_head(user, location, node)
    assert r.status_code == 200, f"HEAD {location}: {r.status_code}"
    return int(r.headers["Upload-Offset"])


def tus_patch(user: User, location: str, offset: int, data: bytes, node: Server | None = None,
              content_type: str = OFFSET_STREAM) -> requests.Response:
    return tus(node or user.server, "PATCH", location, user.token,
               {"Upload-Offset": str(offset), "Content-Type": content_type}, data)


def open_partial_patch(node: Server, token: str, location: str, offset: int, declared_length: int,
                       sent: bytes) -> socket.socket:
    """Starts a PATCH over a raw socket: headers with the full Content-Length, then only `sent`
    of the body. The caller closes the socket (the connection drops midway)."""
    assert len(sent) < declared_length
    head = (f"PATCH {location} HTTP/1.1\r\nHost: 127.0.0.1:{node.port}\r\nAuthorization: Bearer {token}\r\n"
            f"Tus-Resumable: 1.0.0\r\nUpload-Offset: {offset}\r\nContent-Type: {OFFSET_STREAM}\r\n"
            f"Content-Length: {declared_length}\r\n\r\n").encode()
    raw = socket.create_connection(("127.0.0.1", node.port), timeout=10)
    raw.sendall(head + sent)
    return raw


def drop(raw: socket.socket) -> None:
    """Closes a connection midway: the bytes sent so far are delivered, then a FIN."""
    try:
        raw.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    raw.close()
