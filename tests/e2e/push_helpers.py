"""What the push end-to-end tests share: tokens, sends, the push log, presence and metrics."""
from __future__ import annotations

import datetime
import re
import secrets
import time
import uuid
from typing import Any, Callable

from parley import User, text_message

ADMIN = "admin-token-for-push-tests-0123456789"
# Push nodes register many users from one address, retry quickly and have an admin API.
NODE_FLAGS = ("--admin-token", ADMIN, "--push-attempts", "3", "--push-backoff-ms", "100",
              "--register-rate", "100000", "--register-burst", "100000")
TERMINAL = ("sent", "failed", "skipped")


def apns_token() -> str:
    return secrets.token_hex(32)


def register_token(user: User, provider: str, token: str, device: str = "phone", sandbox: bool | None = None) -> str:
    body: dict[str, Any] = {"provider": provider, "token": token, "deviceId": device}
    if sandbox is not None:
        body["sandbox"] = sandbox
    return user.ok("POST", "/v1/push/tokens", body)["tokenId"]


def token_ids(user: User) -> list[str]:
    return [t["tokenId"] for t in user.ok("GET", "/v1/push/tokens")["tokens"]]


def send(sender: User, receiver: User, text: str, **extra: Any) -> dict:
    """A private text message over HTTP (the sender has no session: it is offline too)."""
    return sender.ok("POST", "/v1/messages", text_message(receiver.id, text, **extra))


def send_content(sender: User, receiver: User, content_type: str, content: dict) -> dict:
    data = text_message(receiver.id, "x")
    data.update(contentType=content_type, content=content)
    return sender.ok("POST", "/v1/messages", data)


def send_group(sender: User, group_id: str, text: str, **extra: Any) -> dict:
    data = {"conversationType": "group", "groupId": group_id, "contentType": "text", "content": {"text": text},
            "localId": uuid.uuid4().hex, "atUsers": [], "replyTo": None}
    data.update(extra)
    return sender.ok("POST", "/v1/messages", data)


def make_group(owner: User, members: list[User], name: str = "Team") -> dict:
    created = owner.ok("POST", "/v1/groups", {"name": name, "memberIds": [m.id for m in members]})
    assert created.get("invited", []) == [], created
    return created


def read_up_to(user: User, ack: dict) -> None:
    user.ok("POST", f"/v1/conversations/{ack['conversationId']}/receipts", {"seq": ack["seq"], "status": "read"})


def recall(user: User, ack: dict) -> dict:
    return user.ok("POST", f"/v1/conversations/{ack['conversationId']}/messages/{ack['messageId']}/recall")


def settings(user: User, **changes: Any) -> dict:
    return user.ok("PATCH", "/v1/push/settings", changes)


def push_log(user: User, limit: int | None = None) -> list[dict]:
    answer = user.ok("GET", "/v1/push/log" + (f"?limit={limit}" if limit is not None else ""))
    return answer["entries"]


def wait_log(user: User, message_id: str, status: str | tuple[str, ...] = TERMINAL, token_id: str | None = None,
             count: int = 1, timeout: float = 20) -> list[dict]:
    """Waits until the user's push log holds `count` entries of the message (of one token, if
    given) in one of the statuses; returns the message's entries then."""
    wanted = (status,) if isinstance(status, str) else status
    deadline = time.monotonic() + timeout
    entries: list[dict] = []
    while True:
        entries = [e for e in push_log(user, 200) if e["messageId"] == message_id
                   and (token_id is None or e["tokenId"] == token_id)]
        if len([e for e in entries if e["status"] in wanted]) >= count:
            return entries
        assert time.monotonic() < deadline, f"no {wanted} entry for {message_id} within {timeout}s; entries: {entries}"
        time.sleep(0.05)


def wait_entry(user: User, message_id: str, token_id: str | None = None, status: str | tuple[str, ...] = TERMINAL,
               timeout: float = 20) -> dict:
    """The one entry of a message (and token) once it is in one of the statuses."""
    wanted = (status,) if isinstance(status, str) else status
    entries = wait_log(user, message_id, wanted, token_id, timeout=timeout)
    [entry] = [e for e in entries if e["status"] in wanted]
    return entry


def presence(user: User, node: Any = None) -> str:
    server = node or user.server
    answer = server.get("/v1/presence", user.token, {"userIds": user.id}).json()
    return answer["presence"][0]["status"]


def wait_presence(user: User, status: str, node: Any = None, timeout: float = 15) -> None:
    """Waits until the user's own presence (as a node reports it) is `status`."""
    deadline = time.monotonic() + timeout
    while presence(user, node) != status:
        assert time.monotonic() < deadline, f"{user.username} never became {status}"
        time.sleep(0.05)


def utc_now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


def quiet_hours(around_now: bool, zone: str = "UTC") -> dict:
    """Quiet hours that hold now (an hour either side) or that begin two hours from now, in
    local times of the zone (the window may span midnight)."""
    import zoneinfo
    now = utc_now().astimezone(zoneinfo.ZoneInfo(zone))
    if around_now:
        start, end = now - datetime.timedelta(hours=1), now + datetime.timedelta(hours=1)
    else:
        start, end = now + datetime.timedelta(hours=2), now + datetime.timedelta(hours=3)
    return {"start": start.strftime("%H:%M"), "end": end.strftime("%H:%M"), "timeZone": zone}


_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)')
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def metric(text: str, name: str, **labels: str) -> float:
    """The sum of the samples of `name` whose labels include `labels` (0 when none)."""
    total = 0.0
    for line in text.splitlines():
        found = _SAMPLE.match(line)
        if not found or found.group(1) != name:
            continue
        have = dict(_LABEL.findall(found.group(3) or ""))
        if all(have.get(k) == v for k, v in labels.items()):
            total += float(found.group(4))
    return total


def metric_names(text: str) -> set[str]:
    return {m.group(1) for m in map(_SAMPLE.match, text.splitlines()) if m}


def wait_metric(server: Any, name: str, at_least: float, timeout: float = 10, **labels: str) -> float:
    deadline = time.monotonic() + timeout
    while True:
        value = metric(server.get("/metrics").text, name, **labels)
        if value >= at_least:
            return value
        assert time.monotonic() < deadline, f"{name}{labels} stayed at {value} (< {at_least})"
        time.sleep(0.05)


def eventually(condition: Callable[[], Any], message: str, timeout: float = 15) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, message
        time.sleep(0.05)
