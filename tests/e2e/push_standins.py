"""Loopback stand-ins for the push providers Parley talks to: APNs, FCM, HMS, MiPush, a push
webhook receiver and an SMTP sink, with a throwaway PKI for their TLS.

Each stand-in runs in-process on its own thread and asyncio loop, on a random port of
127.0.0.1, and records every request it receives (`Request`: parsed body, headers, path, the
claims it verified). Answers are scriptable per device token:

    apns.script(token, [(503, {"Retry-After": "1"}, {"reason": "ServiceUnavailable"}), (200, {}, None)])
    apns.always(token, (410, {}, {"reason": "Unregistered"}))

A reply is `(status, headers, body)` or `(status, headers, body, delay_seconds)` (or a `Reply`);
a dict body is sent as JSON, `None` as the provider's natural success body for a 2xx (an empty
body otherwise). Tokens without a script get the provider's success answer.

Waiting never sleeps a fixed time: `wait_for(count, timeout, **match)` and
`wait_until(predicate, timeout)` wait on a condition the serving thread notifies.

    pki = TestPKI()
    apns = ApnsStandIn(pki)
    node = Server("--push-ca-file", pki.ca_file, *apns.flags()).start()
    ...
    [push] = apns.wait_for(1, token=device_token)
    push.body["aps"]["badge"], push.headers["apns-priority"], push.claims["iss"]

Nothing here knows about Parley beyond the flag names in `flags()`.
"""
from __future__ import annotations

import asyncio
import base64
import copy
import datetime
import email
import email.policy
import hashlib
import hmac
import ipaddress
import json
import os
import secrets
import shutil
import socket
import ssl
import tempfile
import threading
import time
import urllib.parse
import uuid
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

FCM_SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"


# --- PKI --------------------------------------------------------------------------------------

class TestPKI:
    """A CA and a server certificate for 127.0.0.1 and localhost, as PEM files in a temp dir.

    `ca_file` is what a node gets as `--push-ca-file`; `cert_file`/`key_file` are what the
    stand-ins serve. `client_context()` trusts the CA (for checks from Python)."""

    __test__ = False  # not a pytest test class

    def __init__(self, directory: str | None = None):
        self.dir = directory or tempfile.mkdtemp(prefix="parley-pki-")
        self.owns_dir = directory is None
        now = datetime.datetime.now(datetime.timezone.utc)
        self.ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Parley Test CA " + uuid.uuid4().hex[:8])])
        ca_ski = x509.SubjectKeyIdentifier.from_public_key(self.ca_key.public_key())
        self.ca_cert = (
            x509.CertificateBuilder()
            .subject_name(ca_name).issuer_name(ca_name)
            .public_key(self.ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                         crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(ca_ski, critical=False)
            .sign(self.ca_key, hashes.SHA256())
        )
        self.server_key = ec.generate_private_key(ec.SECP256R1())
        self.server_cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
            .issuer_name(ca_name)
            .public_key(self.server_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(self.server_key.public_key()), critical=False)
            .sign(self.ca_key, hashes.SHA256())
        )
        self.ca_file = self._write("ca.pem", self.ca_cert.public_bytes(serialization.Encoding.PEM))
        self.cert_file = self._write("server.pem", self.server_cert.public_bytes(serialization.Encoding.PEM))
        self.key_file = self._write("server-key.pem", self.server_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))

    def _write(self, name: str, data: bytes | str, mode: int = 0o600) -> str:
        path = os.path.join(self.dir, name)
        with open(path, "wb") as f:
            f.write(data.encode() if isinstance(data, str) else data)
        os.chmod(path, mode)
        return path

    def write(self, name: str, data: bytes | str) -> str:
        """Writes a file into the PKI's directory (the stand-ins keep their keys there)."""
        return self._write(name, data)

    def server_context(self, alpn: Iterable[str] | None = None) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(self.cert_file, self.key_file)
        if alpn:
            context.set_alpn_protocols(list(alpn))
        return context

    def client_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=self.ca_file)
        return context

    def cleanup(self) -> None:
        if self.owns_dir:
            shutil.rmtree(self.dir, ignore_errors=True)


# --- JWT --------------------------------------------------------------------------------------

def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class JWTError(Exception):
    pass


def verify_jwt(token: str, public_key: Any, alg: str) -> tuple[dict, dict]:
    """Verifies a compact JWS (ES256 or RS256) and returns (header, claims)."""
    parts = token.split(".")
    if len(parts) != 3:
        raise JWTError("not a compact JWS")
    try:
        header = json.loads(b64url_decode(parts[0]))
        claims = json.loads(b64url_decode(parts[1]))
        signature = b64url_decode(parts[2])
    except (ValueError, UnicodeDecodeError) as error:
        raise JWTError(f"undecodable: {error}") from error
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise JWTError("header and claims must be objects")
    if header.get("alg") != alg:
        raise JWTError(f"alg {header.get('alg')!r}, expected {alg}")
    signing_input = (parts[0] + "." + parts[1]).encode()
    try:
        if alg == "ES256":
            if len(signature) != 64:
                raise JWTError(f"ES256 signature of {len(signature)} bytes (must be raw r||s, 64 bytes)")
            der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
            public_key.verify(der, signing_input, ec.ECDSA(hashes.SHA256()))
        elif alg == "RS256":
            public_key.verify(signature, signing_input, padding.PKCS1v15(), hashes.SHA256())
        else:
            raise JWTError(f"unsupported alg {alg}")
    except InvalidSignature as error:
        raise JWTError("bad signature") from error
    return header, claims


def sign_jwt(header: dict, claims: dict, private_key: Any) -> str:
    """Makes a compact JWS (ES256 for EC keys, RS256 for RSA keys); for the self-test."""
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
    signing_input = b64url(json.dumps(header, separators=(",", ":")).encode()) + "." + \
        b64url(json.dumps(claims, separators=(",", ":")).encode())
    if isinstance(private_key, ec.EllipticCurvePrivateKey):
        r, s = decode_dss_signature(private_key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))
        signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    else:
        signature = private_key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return signing_input + "." + b64url(signature)


# --- recording and scripting -----------------------------------------------------------------

@dataclass
class Reply:
    status: int = 200
    headers: dict = field(default_factory=dict)
    body: Any = None
    delay: float = 0.0

    @staticmethod
    def of(value: "Reply | tuple | int") -> "Reply":
        if isinstance(value, Reply):
            return value
        if isinstance(value, int):
            return Reply(value)
        status, headers, body, *rest = value
        return Reply(status, dict(headers or {}), body, float(rest[0]) if rest else 0.0)


@dataclass
class Request:
    """One request a stand-in received, as it parsed it."""
    standin: str                      # "apns", "fcm", "hms", "mipush", "webhook"
    kind: str                         # "send" or "oauth"
    method: str
    path: str
    query: str
    headers: dict[str, str]           # lower-case names; repeated headers joined with ", "
    raw: bytes
    body: Any                         # parsed JSON, or a dict of form fields, or None
    http_version: str
    at: float                         # time.time() when it arrived
    token: str | None = None          # the device token it is for (sends only)
    message_id: str | None = None
    conversation_id: str | None = None
    data: dict | None = None          # the provider's custom data, parsed (FCM/HMS/MiPush payload)
    claims: dict | None = None        # verified JWT claims (APNs JWT, FCM assertion) or signature facts
    jwt_header: dict | None = None
    status: int = 0                   # what the stand-in answered
    reply_headers: dict = field(default_factory=dict)
    reply_body: Any = None
    ok: bool = False                  # the answer was the provider's "delivered"
    error: str | None = None          # why the stand-in itself refused it (auth, shape), if it did

    def header(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name.lower(), default)


def _matches(item: Any, match: dict) -> bool:
    for key, expected in match.items():
        if key == "where":
            if not expected(item):
                return False
        elif getattr(item, key) != expected:
            return False
    return True


class Recorder:
    """What every stand-in shares: the record of requests and the waits on it."""

    name = "standin"

    def __init__(self) -> None:
        self.lock = threading.Condition()
        self.requests: list[Any] = []
        self._scripts: dict[str, list[Reply]] = {}
        self._always: dict[str, Reply] = {}

    # scripting
    def script(self, token: str, replies: Iterable[Reply | tuple | int]) -> None:
        """Answers the next requests for `token` with these replies, in order; then the default."""
        with self.lock:
            self._scripts.setdefault(token, []).extend(Reply.of(r) for r in replies)

    def always(self, token: str, reply: Reply | tuple | int | None) -> None:
        """Answers every request for `token` (after any scripted ones) with `reply`; None resets."""
        with self.lock:
            if reply is None:
                self._always.pop(token, None)
            else:
                self._always[token] = Reply.of(reply)

    def _scripted(self, token: str | None) -> Reply | None:
        if token is None:
            return None
        with self.lock:
            queue = self._scripts.get(token)
            if queue:
                return queue.pop(0)
            return self._always.get(token)

    def _record(self, item: Any) -> None:
        with self.lock:
            self.requests.append(item)
            self.lock.notify_all()

    # reading
    def received(self, **match: Any) -> list[Any]:
        """The requests so far that match every `attribute=value` (and `where=callable`)."""
        with self.lock:
            return [r for r in self.requests if _matches(r, match)]

    def delivered(self, **match: Any) -> list[Any]:
        """The matching requests the stand-in answered as delivered."""
        return [r for r in self.received(**match) if r.ok]

    def wait_until(self, predicate: Callable[[list[Any]], Any], timeout: float = 15) -> Any:
        """Waits until `predicate(all requests so far)` is truthy; returns its value."""
        deadline = time.monotonic() + timeout
        with self.lock:
            while True:
                value = predicate(list(self.requests))
                if value:
                    return value
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"{self.name}: condition not met within {timeout}s; received: {self.summary()}")
                self.lock.wait(remaining)

    def wait_for(self, count: int = 1, timeout: float = 15, **match: Any) -> list[Any]:
        """Waits until at least `count` requests match; returns all that match then."""
        def enough(items: list[Any]) -> list[Any] | None:
            found = [r for r in items if _matches(r, match)]
            return found if len(found) >= count else None
        try:
            return self.wait_until(enough, timeout)
        except AssertionError:
            raise AssertionError(f"{self.name}: fewer than {count} requests matching {match} within {timeout}s; "
                                 f"received: {self.summary()}") from None

    def summary(self) -> str:
        with self.lock:
            items = self.requests[-20:]
        return "[" + ", ".join(self._describe(r) for r in items) + f"] ({len(self.requests)} in all)"

    def _describe(self, r: Any) -> str:
        return f"{r.kind} {r.path} token={r.token} msg={r.message_id} -> {r.status}" + (f" ({r.error})" if r.error else "")


# --- HTTP stand-ins on hypercorn --------------------------------------------------------------

class HttpStandIn(Recorder):
    """An ASGI app served by hypercorn on 127.0.0.1:<random>, HTTPS when given a PKI."""

    alpn: list[str] = ["h2", "http/1.1"]

    def __init__(self, pki: TestPKI | None) -> None:
        super().__init__()
        self.pki = pki
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        sock.listen(128)  # connections queue from now on, before the loop accepts
        self.port = sock.getsockname()[1]
        self._fd = sock.detach()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._started = threading.Event()
        self._failure: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=f"{self.name}-standin", daemon=True)
        self._thread.start()
        if not self._started.wait(10):
            raise RuntimeError(f"{self.name} stand-in did not start")
        if self._failure:
            raise RuntimeError(f"{self.name} stand-in failed to start") from self._failure

    @property
    def url(self) -> str:
        return f"{'https' if self.pki else 'http'}://127.0.0.1:{self.port}"

    def _config(self) -> Any:
        from hypercorn.config import Config
        config = Config()
        config.bind = [f"fd://{self._fd}"]
        if self.pki:
            config.certfile, config.keyfile = self.pki.cert_file, self.pki.key_file
            config.alpn_protocols = list(self.alpn)
        config.keep_alive_timeout = 300
        config.keep_alive_max_requests = 1_000_000
        config.graceful_timeout = 0.2
        config.loglevel = "WARNING"
        config.accesslog = None
        return config

    def _run(self) -> None:
        from hypercorn.asyncio import serve
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        try:
            self._stop = asyncio.Event()
            config = self._config()
            loop.call_soon(self._started.set)
            loop.run_until_complete(serve(self._asgi, config, shutdown_trigger=self._stop.wait))
        except BaseException as error:  # noqa: BLE001 — reported to the starting thread
            if not self._started.is_set():
                self._failure = error
                self._started.set()
        finally:
            # hypercorn's graceful stop leaves idle keep-alive connections to their timeout:
            # whatever still runs now is cancelled and allowed to unwind, quietly.
            loop.set_exception_handler(lambda _loop, _context: None)
            tasks = asyncio.all_tasks(loop)
            for task in tasks:
                task.cancel()
            if tasks:
                try:
                    loop.run_until_complete(asyncio.wait(tasks, timeout=2))
                except BaseException:  # noqa: BLE001
                    pass
            loop.close()

    def close(self) -> None:
        """Stops serving: every task of the loop is cancelled, open connections included (a
        graceful stop would wait for idle keep-alive connections to end by themselves)."""
        if not (self._loop and self._thread.is_alive()):
            return

        def cancel_all() -> None:
            self._loop.set_exception_handler(lambda _loop, _context: None)
            for task in asyncio.all_tasks():
                task.cancel()

        for _ in range(3):
            self._loop.call_soon_threadsafe(cancel_all)
            self._thread.join(1)
            if not self._thread.is_alive():
                return
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    def __enter__(self):
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    async def _asgi(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        raw = b""
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            raw += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers: dict[str, str] = {}
        for name, value in scope["headers"]:
            key = name.decode("latin-1").lower()
            text = value.decode("latin-1")
            headers[key] = headers[key] + ", " + text if key in headers else text
        request = Request(standin=self.name, kind="send", method=scope["method"], path=scope["path"],
                          query=scope.get("query_string", b"").decode("latin-1"), headers=headers, raw=raw,
                          body=None, http_version=scope.get("http_version", ""), at=time.time())
        try:
            reply = self.handle(request)
        except Exception as error:  # noqa: BLE001 — a stand-in bug must show, not hang the node
            request.error = f"stand-in error: {error!r}"
            reply = Reply(500, {}, {"error": request.error})
        body = self._encode(request, reply)
        request.status, request.reply_headers, request.reply_body = reply.status, dict(reply.headers), reply.body
        self._record(request)
        if reply.delay:
            await asyncio.sleep(reply.delay)
        out_headers = [(k.lower().encode(), str(v).encode()) for k, v in reply.headers.items()]
        if body is not None and not any(k == b"content-type" for k, _ in out_headers):
            out_headers.append((b"content-type", b"application/json"))
        out_headers.append((b"content-length", str(len(body or b"")).encode()))
        await send({"type": "http.response.start", "status": reply.status, "headers": out_headers})
        await send({"type": "http.response.body", "body": body or b""})

    def _encode(self, request: Request, reply: Reply) -> bytes | None:
        if reply.body is None:
            return None
        if isinstance(reply.body, bytes):
            return reply.body
        if isinstance(reply.body, str):
            return reply.body.encode()
        return json.dumps(reply.body).encode()

    # helpers for subclasses
    @staticmethod
    def _json(request: Request) -> Any:
        try:
            return json.loads(request.raw)
        except ValueError:
            return None

    @staticmethod
    def _form(request: Request) -> dict[str, str]:
        fields = urllib.parse.parse_qs(request.raw.decode("utf-8", "replace"), keep_blank_values=True)
        return {k: v[0] if len(v) == 1 else v for k, v in fields.items()}  # type: ignore[misc]

    @staticmethod
    def _bearer(request: Request) -> str | None:
        value = request.headers.get("authorization", "")
        if value[:7].lower() == "bearer ":
            return value[7:].strip()
        return None

    def _answer(self, request: Request, success: Reply, ok: Callable[[Reply], bool] | None = None) -> Reply:
        """The scripted reply for the request's token, else `success`; sets `request.ok`."""
        reply = self._scripted(request.token)
        if reply is None:
            reply = success
        elif reply.body is None and 200 <= reply.status < 300:
            reply = Reply(reply.status, {**success.headers, **reply.headers}, success.body, reply.delay)
        reply = Reply(reply.status, dict(reply.headers), copy.deepcopy(reply.body), reply.delay)
        request.ok = ok(reply) if ok else 200 <= reply.status < 300
        return reply


class ApnsStandIn(HttpStandIn):
    """APNs over HTTP/2 (ALPN h2 only): POST /3/device/<token>, an ES256 provider JWT.

    It writes the signing key as a PKCS#8 .p8 file; `flags()` gives the node's --apns-* flags.
    A second instance made with `key_from=first` shares the key, key id, team and topic (use it
    as the sandbox: `sandbox_flags()`). `expire_provider_tokens()` makes every JWT seen so far
    answer 403 ExpiredProviderToken, as APNs does after an hour."""

    name = "apns"
    alpn = ["h2"]

    def __init__(self, pki: TestPKI, key_id: str = "KEY1234567", team_id: str = "TEAM123456",
                 topic: str = "com.example.parley", key_from: "ApnsStandIn | None" = None, max_token_age: int = 3600):
        if key_from is not None:
            self.key, self.key_id, self.team_id, self.topic = key_from.key, key_from.key_id, key_from.team_id, key_from.topic
            self.key_file = key_from.key_file
        else:
            self.key = ec.generate_private_key(ec.SECP256R1())
            self.key_id, self.team_id, self.topic = key_id, team_id, topic
            self.key_file = pki.write(f"AuthKey_{key_id}_{uuid.uuid4().hex[:6]}.p8", self.key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
        self.max_token_age = max_token_age
        self._expired: set[str] = set()
        self._seen_jwts: set[str] = set()
        super().__init__(pki)

    def flags(self) -> list[str]:
        return ["--apns-key-file", self.key_file, "--apns-key-id", self.key_id, "--apns-team-id", self.team_id,
                "--apns-topic", self.topic, "--apns-url", self.url]

    def sandbox_flags(self) -> list[str]:
        return ["--apns-sandbox-url", self.url]

    def expire_provider_tokens(self) -> None:
        with self.lock:
            self._expired |= self._seen_jwts

    def jwts(self) -> list[str]:
        """The distinct provider JWTs seen, in the order first seen."""
        seen: list[str] = []
        for r in self.received():
            value = self._bearer(r)
            if value and value not in seen:
                seen.append(value)
        return seen

    def handle(self, request: Request) -> Reply:
        prefix = "/3/device/"
        request.body = self._json(request)
        if request.path.startswith(prefix):
            request.token = request.path[len(prefix):]
        if isinstance(request.body, dict):
            request.message_id = request.body.get("messageId")
            request.conversation_id = request.body.get("conversationId")
        apns_id = request.headers.get("apns-id") or str(uuid.uuid4()).upper()
        ids = {"apns-id": apns_id, "apns-unique-id": str(uuid.uuid4())}

        def refuse(status: int, reason: str) -> Reply:
            request.error = reason
            return Reply(status, ids, {"reason": reason})

        if request.http_version != "2":
            return refuse(505, f"HTTP/{request.http_version} (APNs is HTTP/2 only)")
        if request.method != "POST" or not request.token:
            return refuse(405 if request.method != "POST" else 404, "MethodNotAllowed" if request.method != "POST" else "BadPath")
        jwt = self._bearer(request)
        if not jwt:
            return refuse(403, "MissingProviderToken")
        try:
            request.jwt_header, request.claims = verify_jwt(jwt, self.key.public_key(), "ES256")
        except JWTError as error:
            request.error = f"InvalidProviderToken: {error}"
            return Reply(403, ids, {"reason": "InvalidProviderToken"})
        with self.lock:
            self._seen_jwts.add(jwt)
            expired = jwt in self._expired
        if request.jwt_header.get("kid") != self.key_id or request.claims.get("iss") != self.team_id:
            return refuse(403, "InvalidProviderToken")
        iat = request.claims.get("iat")
        if not isinstance(iat, int) or iat > time.time() + 60:
            return refuse(403, "InvalidProviderToken")
        if expired or iat < time.time() - self.max_token_age:
            return refuse(403, "ExpiredProviderToken")
        topic = request.headers.get("apns-topic")
        if not topic:
            return refuse(400, "MissingTopic")
        if topic != self.topic:
            return refuse(400, "TopicDisallowed")
        if not isinstance(request.body, dict) or not isinstance(request.body.get("aps"), dict):
            return refuse(400, "PayloadEmpty" if not request.raw else "BadPayload")
        if len(request.raw) > 4096:
            return refuse(413, "PayloadTooLarge")
        reply = self._answer(request, Reply(200, ids, None))
        reply.headers = {**ids, **reply.headers}
        if reply.status == 410 and isinstance(reply.body, dict):
            reply.body.setdefault("timestamp", int(time.time() * 1000))
        return reply


def fcm_error(code: int, status: str, error_code: str | None = None, message: str = "",
              field: str | None = None) -> tuple[int, dict, dict]:
    """An FCM v1 error reply, e.g. fcm_error(404, "NOT_FOUND", "UNREGISTERED"); `field` adds the
    BadRequest field violation FCM names (e.g. "message.token" for a malformed token)."""
    error: dict = {"code": code, "message": message or status, "status": status}
    if error_code:
        error["details"] = [{"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": error_code}]
    if field:
        error.setdefault("details", []).append(
            {"@type": "type.googleapis.com/google.rpc.BadRequest", "fieldViolations": [{"field": field, "description": message}]})
    return (code, {}, {"error": error})


class OAuthStandIn(HttpStandIn):
    """A provider that issues OAuth access tokens (FCM, HMS): its token requests, its sends, and
    revoking what it issued (the next send gets 401)."""
    _issued: dict[str, float]
    _revoked: set[str]

    def oauth_requests(self) -> list[Request]:
        return self.received(kind="oauth")

    def sends(self, **match: Any) -> list[Request]:
        return self.received(kind="send", **match)

    def revoke_access_tokens(self) -> None:
        with self.lock:
            self._revoked |= set(self._issued)


class FcmStandIn(OAuthStandIn):
    """FCM HTTP v1 and Google's OAuth token endpoint, on one HTTPS server.

    It writes a service-account JSON (token_uri pointing at itself) for --fcm-credentials-file.
    OAuth requests are recorded with kind="oauth" and the verified assertion claims.
    `revoke_access_tokens()` makes every access token issued so far answer 401."""

    name = "fcm"

    def __init__(self, pki: TestPKI, project_id: str = "parley-test", expires_in: int = 3599,
                 key_id: str | None = "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678"):
        self.project_id = project_id
        self.expires_in = expires_in
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.private_key_id = key_id
        self.client_email = f"parley-push@{project_id}.iam.gserviceaccount.com"
        self._issued: dict[str, float] = {}
        self._revoked: set[str] = set()
        self.pki = pki
        super().__init__(pki)
        self.token_uri = self.url + "/token"
        account = {"type": "service_account", "project_id": project_id,
                   "private_key": self.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                         serialization.NoEncryption()).decode(),
                   "client_email": self.client_email, "client_id": "100000000000000000001",
                   "auth_uri": "https://accounts.google.com/o/oauth2/auth", "token_uri": self.token_uri}
        if key_id:
            account["private_key_id"] = key_id
        self.credentials_file = pki.write(f"fcm-{uuid.uuid4().hex[:8]}.json", json.dumps(account, indent=2))

    def flags(self) -> list[str]:
        return ["--fcm-credentials-file", self.credentials_file, "--fcm-url", self.url]

    def handle(self, request: Request) -> Reply:
        if request.path == "/token":
            return self._oauth(request)
        request.body = self._json(request)
        message = request.body.get("message") if isinstance(request.body, dict) else None
        if isinstance(message, dict):
            request.token = message.get("token")
            data = message.get("data")
            if isinstance(data, dict):
                request.data = data
                request.message_id, request.conversation_id = data.get("messageId"), data.get("conversationId")
        expected = f"/v1/projects/{self.project_id}/messages:send"
        if request.method != "POST" or request.path != expected:
            request.error = f"unexpected {request.method} {request.path} (expected POST {expected})"
            return Reply.of(fcm_error(404, "NOT_FOUND", message="Requested entity was not found."))
        bearer = self._bearer(request)
        with self.lock:
            valid = bearer in self._issued and bearer not in self._revoked and self._issued[bearer] > time.time()
        if not valid:
            request.error = "unknown, revoked or expired access token"
            reply = Reply.of(fcm_error(401, "UNAUTHENTICATED", message="Request had invalid authentication credentials."))
            reply.headers["www-authenticate"] = 'Bearer realm="https://accounts.google.com/"'
            return reply
        if not isinstance(message, dict) or not request.token:
            request.error = "no message.token"
            return Reply.of(fcm_error(400, "INVALID_ARGUMENT", "INVALID_ARGUMENT"))
        success = Reply(200, {}, {"name": f"projects/{self.project_id}/messages/0:{time.time_ns()}%{uuid.uuid4().hex[:16]}"})
        return self._answer(request, success)

    def _oauth(self, request: Request) -> Reply:
        request.kind = "oauth"
        request.body = self._form(request)

        def refuse(description: str) -> Reply:
            request.error = description
            return Reply(400, {}, {"error": "invalid_grant", "error_description": description})

        if request.method != "POST":
            return refuse("POST only")
        if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            return refuse(f"content-type {request.headers.get('content-type')!r}, expected a form")
        if request.body.get("grant_type") != JWT_BEARER:
            return Reply(400, {}, {"error": "unsupported_grant_type", "error_description": str(request.body.get("grant_type"))})
        try:
            request.jwt_header, request.claims = verify_jwt(str(request.body.get("assertion", "")), self.key.public_key(), "RS256")
        except JWTError as error:
            return refuse(f"Invalid JWT Signature: {error}")
        header, claims, now = request.jwt_header, request.claims, time.time()
        if header.get("typ") not in ("JWT", None) or (self.private_key_id and header.get("kid") not in (self.private_key_id, None)):
            return refuse(f"bad header {header}")
        if claims.get("iss") != self.client_email:
            return refuse(f"iss {claims.get('iss')!r}")
        if FCM_SCOPE not in str(claims.get("scope", "")).split():
            return refuse(f"scope {claims.get('scope')!r}")
        if claims.get("aud") != self.token_uri:
            return refuse(f"aud {claims.get('aud')!r}, expected {self.token_uri}")
        iat, exp = claims.get("iat"), claims.get("exp")
        if not isinstance(iat, int) or not isinstance(exp, int) or abs(iat - now) > 300 or not (iat < exp <= iat + 3600):
            return refuse(f"Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe (iat={iat}, exp={exp})")
        access = "ya29." + secrets.token_urlsafe(32)
        with self.lock:
            self._issued[access] = now + self.expires_in
        request.ok = True
        return Reply(200, {}, {"access_token": access, "expires_in": self.expires_in, "token_type": "Bearer"})


def hms_error(code: str, msg: str = "error", status: int = 200) -> tuple[int, dict, dict]:
    """An HMS reply with a result code, e.g. hms_error("80300007", "All the tokens are invalid")."""
    return (status, {}, {"code": code, "msg": msg, "requestId": uuid.uuid4().hex})


class HmsStandIn(OAuthStandIn):
    """Huawei Push Kit: OAuth client credentials at /oauth2/v3/token and
    POST /v1/<client-id>/messages:send. `revoke_access_tokens()` makes issued tokens answer 401."""

    name = "hms"

    def __init__(self, pki: TestPKI, client_id: str = "104857600", expires_in: int = 3600):
        self.client_id = client_id
        self.client_secret = secrets.token_hex(32)
        self.expires_in = expires_in
        self._issued: dict[str, float] = {}
        self._revoked: set[str] = set()
        super().__init__(pki)
        self.token_url = self.url + "/oauth2/v3/token"

    def flags(self) -> list[str]:
        return ["--hms-client-id", self.client_id, "--hms-client-secret", self.client_secret,
                "--hms-token-url", self.token_url, "--hms-url", self.url]

    def handle(self, request: Request) -> Reply:
        if request.path == "/oauth2/v3/token":
            request.kind = "oauth"
            request.body = self._form(request)
            form = request.body
            if form.get("grant_type") != "client_credentials":
                request.error = f"grant_type {form.get('grant_type')!r}"
                return Reply(400, {}, {"error": 1102, "sub_error": 20001, "error_description": "invalid grant_type"})
            if form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
                request.error = "bad client credentials"
                return Reply(400, {}, {"error": 1101, "sub_error": 20068, "error_description": "invalid client"})
            access = secrets.token_urlsafe(40) + "="
            with self.lock:
                self._issued[access] = time.time() + self.expires_in
            request.ok = True
            return Reply(200, {}, {"access_token": access, "expires_in": self.expires_in, "token_type": "Bearer"})
        request.body = self._json(request)
        message = request.body.get("message") if isinstance(request.body, dict) else None
        if isinstance(message, dict):
            tokens = message.get("token")
            if isinstance(tokens, list) and tokens:
                request.token = tokens[0]
            try:
                request.data = json.loads(message.get("data") or "null")
            except (TypeError, ValueError):
                request.data = None
            if isinstance(request.data, dict):
                request.message_id, request.conversation_id = request.data.get("messageId"), request.data.get("conversationId")
        expected = f"/v1/{self.client_id}/messages:send"
        if request.method != "POST" or request.path != expected:
            request.error = f"unexpected {request.method} {request.path} (expected POST {expected})"
            return Reply.of(hms_error("80100001", "path", status=404))
        bearer = self._bearer(request)
        with self.lock:
            valid = bearer in self._issued and bearer not in self._revoked and self._issued[bearer] > time.time()
        if not valid:
            request.error = "unknown, revoked or expired access token"
            return Reply.of(hms_error("80200003", "OAuth token expired.", status=401))
        if not isinstance(message, dict) or not request.token or not isinstance(message.get("data"), str):
            request.error = "message.token must be a list and message.data a JSON string"
            return Reply.of(hms_error("80100003", "Illegal payload"))
        return self._answer(request, Reply.of(hms_error("80000000", "Success")),
                            ok=lambda r: r.status == 200 and isinstance(r.body, dict) and r.body.get("code") == "80000000")


def mipush_error(code: int, reason: str = "error", status: int = 200) -> tuple[int, dict, dict]:
    """A MiPush error reply, e.g. mipush_error(20301, "invalid registration id")."""
    return (status, {}, {"result": "error", "code": code, "reason": reason, "description": reason,
                         "trace_id": uuid.uuid4().hex})


class MiPushStandIn(HttpStandIn):
    """Xiaomi push: POST /v3/message/regid, a form, authorization: key=<app secret>."""

    name = "mipush"

    def __init__(self, pki: TestPKI, package: str = "com.example.parley"):
        self.app_secret = "mi" + secrets.token_hex(24)  # never "-…", which a command line would take for a flag
        self.package = package
        super().__init__(pki)

    def flags(self) -> list[str]:
        return ["--mipush-app-secret", self.app_secret, "--mipush-package", self.package, "--mipush-url", self.url]

    def handle(self, request: Request) -> Reply:
        request.body = self._form(request)
        request.token = request.body.get("registration_id")
        try:
            request.data = json.loads(request.body.get("payload") or "null")
        except (TypeError, ValueError):
            request.data = None
        if isinstance(request.data, dict):
            request.message_id, request.conversation_id = request.data.get("messageId"), request.data.get("conversationId")
        if request.method != "POST" or request.path != "/v3/message/regid":
            request.error = f"unexpected {request.method} {request.path}"
            return Reply.of(mipush_error(10001, "no such path", status=404))
        if request.headers.get("authorization") != f"key={self.app_secret}":
            request.error = f"authorization {request.headers.get('authorization')!r}"
            return Reply.of(mipush_error(21301, "认证失败", status=401))
        if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            request.error = f"content-type {request.headers.get('content-type')!r}"
            return Reply.of(mipush_error(10017, "bad content type"))
        if request.body.get("restricted_package_name") != self.package or not request.token:
            request.error = "restricted_package_name or registration_id"
            return Reply.of(mipush_error(22022, "package name mismatch"))
        success = Reply(200, {}, {"result": "ok", "code": 0, "description": "成功", "info": "Received push messages for 1 REGID",
                                  "data": {"id": "slm" + uuid.uuid4().hex[:20]}, "trace_id": uuid.uuid4().hex})
        return self._answer(request, success,
                            ok=lambda r: r.status == 200 and isinstance(r.body, dict) and r.body.get("result") == "ok")


def sign_webhook(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """The Parley-Signature header value for a body: t=<unix s>,v1=<hex HMAC-SHA256(secret, "t.body")>."""
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


class WebhookReceiver(HttpStandIn):
    """A webhook endpoint (the push webhook, or the event webhook) that checks Parley-Signature.

    With a `secret`, a request without a valid signature, or signed more than `tolerance`
    seconds away from now, is answered 401 and recorded with `error` set; `claims` holds
    {"t", "v1", "valid"} for every signed request. HTTPS when given a PKI, else plain HTTP.
    Requests are keyed by the body's "token" for scripting."""

    name = "webhook"

    def __init__(self, secret: str | None = None, pki: TestPKI | None = None, path: str = "/push",
                 tolerance: int = 300):
        self.secret = secret
        self.path = path
        self.tolerance = tolerance
        super().__init__(pki)

    @property
    def endpoint(self) -> str:
        return self.url + self.path

    def flags(self) -> list[str]:
        return ["--push-webhook-url", self.endpoint] + (["--push-webhook-secret", self.secret] if self.secret else [])

    def event_flags(self) -> list[str]:
        return ["--event-webhook-url", self.endpoint] + (["--event-webhook-secret", self.secret] if self.secret else [])

    def handle(self, request: Request) -> Reply:
        request.body = self._json(request)
        if isinstance(request.body, dict):
            token = request.body.get("token")
            request.token = token if isinstance(token, str) else None
            request.message_id = request.body.get("messageId") or (request.body.get("message") or {}).get("messageId")
            request.conversation_id = request.body.get("conversationId") or (request.body.get("message") or {}).get("conversationId")
        header = request.headers.get("parley-signature")
        if header is not None:
            request.claims = self.check_signature(header, request.raw)
        if request.method != "POST" or request.path != self.path:
            request.error = f"unexpected {request.method} {request.path}"
            return Reply(404, {}, {"error": "not found"})
        if self.secret is not None:
            if header is None:
                request.error = "no Parley-Signature"
                return Reply(401, {}, {"error": request.error})
            if not request.claims["valid"]:
                request.error = request.claims["problem"]
                return Reply(401, {}, {"error": request.error})
        if not request.headers.get("content-type", "").startswith("application/json") or request.body is None:
            request.error = "not a JSON body"
            return Reply(415, {}, {"error": request.error})
        return self._answer(request, Reply(200, {}, {"status": "ok"}))

    def check_signature(self, header: str, raw: bytes) -> dict:
        parts: dict[str, list[str]] = {}
        for item in header.split(","):
            key, _, value = item.strip().partition("=")
            parts.setdefault(key, []).append(value)
        facts: dict[str, Any] = {"t": None, "v1": parts.get("v1", []), "valid": False, "problem": None}
        try:
            t = int(parts.get("t", [""])[0])
        except ValueError:
            facts["problem"] = f"no timestamp in {header!r}"
            return facts
        facts["t"] = t
        if self.secret is None:
            facts["problem"] = "the receiver has no secret"
            return facts
        expected = hmac.new(self.secret.encode(), f"{t}.".encode() + raw, hashlib.sha256).hexdigest()
        if not any(hmac.compare_digest(expected, v) for v in facts["v1"]):
            facts["problem"] = "signature mismatch"
        elif abs(time.time() - t) > self.tolerance:
            facts["problem"] = f"stale timestamp {t} ({int(time.time() - t)} s old)"
        else:
            facts["valid"] = True
        return facts


# --- SMTP -------------------------------------------------------------------------------------

@dataclass
class Mail:
    """One message the SMTP sink accepted (or refused, with `status` not 250)."""
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes
    message: Any                      # email.message.EmailMessage (policy.default: headers decoded)
    tls: bool                         # the session was encrypted (STARTTLS or smtps)
    login: str | None                 # the AUTH user, if the client logged in
    at: float
    status: str = "250 OK"
    kind: str = "mail"

    @property
    def ok(self) -> bool:
        return self.status.startswith("250")

    @property
    def subject(self) -> str:
        return str(self.message.get("subject", ""))

    @property
    def to(self) -> str:
        return str(self.message.get("to", ""))

    @property
    def sender(self) -> str:
        return str(self.message.get("from", ""))

    @property
    def token(self) -> str | None:
        return self.rcpt_tos[0] if self.rcpt_tos else None

    @property
    def text(self) -> str:
        """The plain-text body, decoded."""
        part = self.message.get_body(preferencelist=("plain",)) if self.message.is_multipart() else self.message
        if part is None:
            part = self.message.get_body(preferencelist=("html",))
        return part.get_content() if part is not None else ""


class SmtpSink(Recorder):
    """An SMTP server (aiosmtpd) on 127.0.0.1:<random>: STARTTLS offered with the test
    certificate (or implicit TLS with `implicit_tls=True`, for smtps://), AUTH when given a
    username and password. Every message is parsed with `email` (`Mail`). Scriptable per
    recipient address with SMTP reply strings: sink.script(addr, ["451 4.3.0 try again later"])."""

    name = "smtp"

    def __init__(self, pki: TestPKI | None, implicit_tls: bool = False, username: str | None = None,
                 password: str | None = None, require_starttls: bool = False):
        super().__init__()
        self.pki = pki
        self.implicit_tls = implicit_tls
        self.username, self.password = username, password
        self.require_starttls = require_starttls
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._server: Any = None
        started = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            asyncio.set_event_loop(self._loop)
            try:
                self._server = self._loop.run_until_complete(self._start())
                self.port = self._server.sockets[0].getsockname()[1]
            except BaseException as error:  # noqa: BLE001
                failure.append(error)
                started.set()
                return
            started.set()
            self._loop.run_forever()
            self._server.close()
            self._loop.run_until_complete(self._server.wait_closed())
            self._loop.close()

        self._thread = threading.Thread(target=run, name="smtp-standin", daemon=True)
        self._thread.start()
        if not started.wait(10) or failure:
            raise RuntimeError("SMTP sink did not start") from (failure[0] if failure else None)

    @property
    def url(self) -> str:
        return f"{'smtps' if self.implicit_tls else 'smtp'}://127.0.0.1:{self.port}"

    def flags(self, sender: str = "push@parley.test") -> list[str]:
        flags = ["--smtp-url", self.url, "--smtp-from", sender]
        if self.username:
            flags += ["--smtp-username", self.username, "--smtp-password", self.password or ""]
        return flags

    def mails(self, **match: Any) -> list[Mail]:
        return self.received(**match)

    def _describe(self, r: Any) -> str:
        return f"mail to {r.rcpt_tos} subject={r.subject!r} -> {r.status}"

    async def _start(self) -> Any:
        from aiosmtpd.smtp import SMTP, AuthResult
        sink = self

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
                raw = envelope.original_content or envelope.content
                if isinstance(raw, str):
                    raw = raw.encode()
                message = email.message_from_bytes(raw, policy=email.policy.default)
                transport = server.transport
                tls = bool(transport is not None and transport.get_extra_info("ssl_object") is not None) or session.ssl is not None
                auth = getattr(session, "auth_data", None)
                login = getattr(auth, "login", None)
                login = login.decode() if isinstance(login, bytes) else login
                mail = Mail(mail_from=envelope.mail_from, rcpt_tos=list(envelope.rcpt_tos), raw=raw, message=message,
                            tls=tls, login=login, at=time.time())
                reply = None
                for rcpt in envelope.rcpt_tos:
                    scripted = sink._scripted(rcpt)
                    if scripted is not None:
                        reply = scripted
                        break
                if reply is not None:
                    mail.status = str(reply.body if isinstance(reply, Reply) and reply.body else reply.status)
                sink._record(mail)
                return mail.status

        def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> Any:
            ok = (sink.username is not None and auth_data.login.decode() == sink.username
                  and auth_data.password.decode() == (sink.password or ""))
            return AuthResult(success=ok, handled=False, auth_data=auth_data)

        starttls_context = self.pki.server_context() if (self.pki and not self.implicit_tls) else None
        options: dict[str, Any] = {"hostname": "localhost", "tls_context": starttls_context,
                                   "require_starttls": self.require_starttls and starttls_context is not None,
                                   "loop": self._loop}
        if self.username:
            # Over implicit TLS aiosmtpd cannot tell the session is encrypted: it is, by construction.
            options.update(authenticator=authenticator, auth_required=True,
                           auth_require_tls=bool(self.pki) and not self.implicit_tls)
        implicit = self.pki.server_context() if (self.pki and self.implicit_tls) else None
        def protocol() -> Any:
            with warnings.catch_warnings():  # "AUTH without requiring TLS": over smtps it is TLS
                warnings.simplefilter("ignore", UserWarning)
                return SMTP(Handler(), **options)
        return await self._loop.create_server(protocol, "127.0.0.1", 0, ssl=implicit)

    def script(self, token: str, replies: Iterable[Any]) -> None:
        """Answers the next messages to `token` (an address) with these SMTP replies ("451 …")."""
        super().script(token, [Reply(int(r.split()[0]), {}, r) if isinstance(r, str) else r for r in replies])

    def close(self) -> None:
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)

    def __enter__(self):
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def push_flags(pki: TestPKI, *standins: Any) -> list[str]:
    """--push-ca-file and each stand-in's flags, for Server(*push_flags(pki, apns, fcm))."""
    flags = ["--push-ca-file", pki.ca_file]
    for standin in standins:
        flags += standin.flags()
    return flags
