"""Test harness: starts real Parley nodes and talks to them over real sockets."""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from typing import Any, Callable

import requests
from websockets.sync.client import connect

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BINARY = os.environ.get("PARLEY_BIN", os.path.join(ROOT, ".build", "debug", "parley"))


def admin_url() -> str:
    url = os.environ.get("PARLEY_TEST_POSTGRES")
    if not url:
        raise RuntimeError("PARLEY_TEST_STORE=postgres needs PARLEY_TEST_POSTGRES (scripts/postgres-fixture start)")
    return url


def postgres_admin(statement: str) -> None:
    subprocess.run(["psql", admin_url(), "-v", "ON_ERROR_STOP=1", "-q", "-c", statement], check=True,
                   capture_output=True, timeout=60)


class Server:
    """One `parley serve` process on a random loopback port with its own data directory."""

    def __init__(self, *args: str, data_dir: str | None = None, database_url: str | None = None,
                 store: str | None = None):
        self.args = list(args)
        self.owns_data = data_dir is None
        self.data_dir = data_dir or tempfile.mkdtemp(prefix="parley-test-")
        self.process: subprocess.Popen | None = None
        self.port = 0
        # With PARLEY_TEST_STORE=postgres every node gets a fresh database on the test cluster.
        self.database: str | None = None
        self.database_url = database_url
        if database_url is None and (store or os.environ.get("PARLEY_TEST_STORE")) == "postgres":
            self.database = "t_" + uuid.uuid4().hex[:16]
            postgres_admin(f"CREATE DATABASE {self.database}")
            self.database_url = admin_url().rsplit("/", 1)[0] + "/" + self.database
        if self.database_url:
            self.args += ["--database-url", self.database_url]

    def start(self) -> "Server":
        cmd = [BINARY, "serve", "--host", "127.0.0.1", "--port", "0", "--data-dir", self.data_dir,
               "--bcrypt-cost", "4", "--log-level", "warning", *self.args]
        self.process = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        found: list[int] = []
        ready = threading.Event()

        def watch() -> None:
            assert self.process and self.process.stdout
            for line in self.process.stdout:
                if line.startswith("parley listening on ") and not found:
                    found.append(int(line.strip().rsplit(":", 1)[1]))
                    ready.set()
            ready.set()

        threading.Thread(target=watch, daemon=True).start()
        if not ready.wait(60) or not found:
            self.process.kill()
            raise RuntimeError("server did not start: " + (self.process.stderr.read() if self.process.stderr else ""))
        self.port = found[0]
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def cleanup(self) -> None:
        self.stop()
        if self.owns_data:
            shutil.rmtree(self.data_dir, ignore_errors=True)
        if self.database:
            postgres_admin(f"DROP DATABASE IF EXISTS {self.database} WITH (FORCE)")

    @staticmethod
    def run_expecting_exit(*args: str, timeout: float = 30) -> tuple[int | None, str]:
        """Starts `parley serve` with these extra flags and waits for it to exit by itself.

        Returns (returncode, stderr). A negative returncode is a death by signal (a crash). If
        the node starts listening instead, it is stopped and the returncode is None."""
        data_dir = tempfile.mkdtemp(prefix="parley-test-")
        cmd = [BINARY, "serve", "--host", "127.0.0.1", "--port", "0", "--data-dir", data_dir,
               "--bcrypt-cost", "4", "--log-level", "warning", *args]
        process = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        listening = threading.Event()
        errors: list[str] = []

        def watch_stdout() -> None:
            assert process.stdout
            for line in process.stdout:
                if line.startswith("parley listening on "):
                    listening.set()

        def watch_stderr() -> None:
            assert process.stderr
            errors.append(process.stderr.read())

        readers = [threading.Thread(target=watch_stdout, daemon=True), threading.Thread(target=watch_stderr, daemon=True)]
        for reader in readers:
            reader.start()
        deadline = time.monotonic() + timeout
        try:
            while process.poll() is None and not listening.is_set():
                if time.monotonic() > deadline:
                    raise TimeoutError(f"parley {' '.join(args)} neither exited nor started within {timeout}s")
                listening.wait(0.05)
            code = process.poll()
            if code is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
            for reader in readers:
                reader.join(10)
            return code, "".join(errors)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
            shutil.rmtree(data_dir, ignore_errors=True)

    def raw_http(self, data: bytes, timeout: float = 10) -> tuple[bytes, bool]:
        """Writes raw bytes on a fresh TCP connection; returns all the server answered, and
        whether it closed the connection within `timeout`."""
        received = b""
        with socket.create_connection(("127.0.0.1", self.port), timeout=timeout) as raw:
            raw.sendall(data)
            deadline = time.monotonic() + timeout
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return received, False
                raw.settimeout(remaining)
                try:
                    chunk = raw.recv(65536)
                except socket.timeout:
                    return received, False
                except ConnectionResetError:
                    return received, True
                if not chunk:
                    return received, True
                received += chunk

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    # --- HTTP ---------------------------------------------------------------------------
    def post(self, path: str, body: Any = None, token: str | None = None) -> requests.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return requests.post(self.http + path, json=body, headers=headers, timeout=10)

    def get(self, path: str, token: str | None = None, params: dict | None = None) -> requests.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return requests.get(self.http + path, headers=headers, params=params, timeout=10)

    def call(self, method: str, path: str, body: Any = None, token: str | None = None) -> requests.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return requests.request(method, self.http + path, json=body, headers=headers, timeout=30)

    def register(self, name: str | None = None, password: str = "correct horse", display: str | None = None) -> "User":
        username = name or ("u" + uuid.uuid4().hex[:12])
        r = self.post("/v1/auth/register", {"username": username, "password": password,
                                              "displayName": display or username.capitalize()})
        assert r.status_code == 200, r.text
        body = r.json()
        return User(self, username, password, body)


class User:
    def __init__(self, server: Server, username: str, password: str, grant: dict):
        self.server = server
        self.username = username
        self.password = password
        self.grant = grant
        self.id: str = grant["userId"]
        self.token: str = grant["accessToken"]

    def connect(self, device: str = "phone", platform: str = "ios") -> "Socket":
        return Socket(self.server, self.token, device, platform)

    def get(self, path: str, **params: Any) -> requests.Response:
        return self.server.get(path, self.token, params or None)

    def post(self, path: str, body: Any = None) -> requests.Response:
        return self.server.post(path, body, self.token)

    def patch(self, path: str, body: Any = None) -> requests.Response:
        return self.server.call("PATCH", path, body, self.token)

    def put(self, path: str, body: Any = None) -> requests.Response:
        return self.server.call("PUT", path, body, self.token)

    def delete(self, path: str) -> requests.Response:
        return self.server.call("DELETE", path, None, self.token)

    def ok(self, method: str, path: str, body: Any = None) -> dict:
        """Calls the API and asserts a 200; returns the JSON body."""
        r = self.server.call(method, path, body, self.token)
        assert r.status_code == 200, f"{method} {path}: {r.status_code} {r.text}"
        return r.json()

    def refused(self, method: str, path: str, body: Any = None, status: int = 403, code: str = "forbidden") -> dict:
        """Calls the API and asserts the error status and code; returns the error body."""
        r = self.server.call(method, path, body, self.token)
        assert r.status_code == status, f"{method} {path}: {r.status_code} {r.text}"
        assert r.json()["error"]["code"] == code, r.text
        return r.json()["error"]


def text_message(receiver: str, text: str, local_id: str | None = None, **extra: Any) -> dict:
    data = {"conversationType": "private", "receiverId": receiver, "contentType": "text",
            "content": {"text": text}, "localId": local_id or uuid.uuid4().hex, "atUsers": [], "replyTo": None}
    data.update(extra)
    return data


class Socket:
    """A WebSocket session. Frames that a wait skips are kept for later waits."""

    def __init__(self, server: Server, token: str, device: str, platform: str):
        url = f"{server.ws}/v1/ws?deviceId={device}&platform={platform}"
        self.conn = connect(url, additional_headers={"Authorization": f"Bearer {token}"},
                            max_size=4 * 1024 * 1024, open_timeout=10)
        self.pending: list[dict] = []
        self.connected = self.expect(lambda f: f["type"] == "connected")
        self._requests = 0

    def send(self, frame: dict) -> None:
        self.conn.send(json.dumps(frame))

    def send_raw(self, text: str) -> None:
        self.conn.send(text)

    def request(self, type_: str, data: dict | None = None, timeout: float = 10) -> dict:
        """Sends a request with a fresh requestId and returns the reply that echoes it."""
        self._requests += 1
        rid = f"r{self._requests}-{uuid.uuid4().hex[:6]}"
        frame: dict = {"type": type_, "requestId": rid}
        if data is not None:
            frame["data"] = data
        self.send(frame)
        return self.expect(lambda f: f.get("requestId") == rid, timeout)

    def expect(self, match: Callable[[dict], bool], timeout: float = 10) -> dict:
        for index, frame in enumerate(self.pending):
            if match(frame):
                return self.pending.pop(index)
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no matching frame within {timeout}s; unmatched: {self.pending[-5:]}")
            frame = json.loads(self.conn.recv(timeout=remaining))
            if match(frame):
                return frame
            self.pending.append(frame)

    def notification(self, kind: str, timeout: float = 10, **fields: Any) -> dict:
        def match(f: dict) -> bool:
            if f["type"] != "notification" or f["data"]["notificationType"] != kind:
                return False
            return all(f["data"]["actionData"].get(k) == v for k, v in fields.items())
        return self.expect(match, timeout)

    def message(self, timeout: float = 10, **fields: Any) -> dict:
        return self.expect(lambda f: f["type"] == "message" and all(f["data"].get(k) == v for k, v in fields.items()), timeout)

    def barrier(self) -> None:
        """Waits for a pong: every frame the server queued for this session before it is received."""
        self.request("ping")

    def notifications(self, kind: str) -> list[dict]:
        """Takes the received notifications of a kind (call after `barrier`)."""
        found = [f for f in self.pending if f["type"] == "notification" and f["data"]["notificationType"] == kind]
        self.pending = [f for f in self.pending if f not in found]
        return found

    def drain(self) -> list[dict]:
        """Everything received so far that no wait has taken."""
        taken, self.pending = self.pending, []
        return taken

    def close(self) -> None:
        self.conn.close()
