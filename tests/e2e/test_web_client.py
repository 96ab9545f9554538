"""The browser client, end to end: two real headless Chromium sessions against a real node.

Alice and Bob register through the UI, chat privately (unread badge, receipts sent → delivered
→ read, typing, an image), Bob reloads (still logged in, nothing doubled), the node goes down and
comes back on the same port while both keep writing (each message arrives exactly once, in
order), and a group is created, used and inspected. The same tests save screenshots of the main
screens (light and dark, desktop and phone) into $PARLEY_SCREENSHOTS, or the pytest tmp dir.

Set PARLEY_WEB_DIR to serve the client from a folder (`--web-dir`) instead of the built-in copy.
"""
from __future__ import annotations

import os
import random
import time
import uuid

import pytest
from PIL import Image, ImageDraw

import browser
from browser import (PHONE, Session, attach, css, open_conversation, outage_filter, register,
                     require_browser, send_text, start_private_chat)
from parley import Server, User, text_message

PASSWORD = "correct horse battery"
FAST_REGISTRATION = ("--register-rate", "1000", "--register-burst", "1000")
SENT = ("sent", "delivered", "read")
ORDER = ["sending", "sent", "delivered", "read"]


def web_args() -> tuple[str, ...]:
    folder = os.environ.get("PARLEY_WEB_DIR")
    return ("--web-dir", folder) if folder else ()


@pytest.fixture(scope="module")
def node():
    require_browser()  # before starting anything
    server = Server(*FAST_REGISTRATION, *web_args()).start()
    yield server
    server.cleanup()


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    folder = os.environ.get("PARLEY_SCREENSHOTS") or str(tmp_path_factory.mktemp("screenshots"))
    os.makedirs(folder, exist_ok=True)
    return folder


@pytest.fixture
def browsers(tmp_path):
    """Makes sessions; all are closed after the test (a last screenshot of each is kept in the
    test's tmp dir to see what the page showed)."""
    made: list[Session] = []

    def make(name: str, **options) -> Session:
        session = Session(name, **options)
        made.append(session)
        return session
    yield make
    for session in made:
        try:
            session.driver.save_screenshot(str(tmp_path / f"last-{session.name}.png"))
        except Exception:  # noqa: BLE001 - the browser may be gone
            pass
        session.quit()


def username(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


def private_id(a: str, b: str) -> str:
    return "p_" + "_".join(sorted([a, b]))


def start_on_port(server: Server, port: int) -> None:
    """Starts the stopped node again on the port the browsers know (the harness's restart picks
    a new one) and the same data directory."""
    if "--port" not in server.args:
        server.args += ["--port", str(port)]  # after the harness's --port 0: the last one counts
    deadline = time.monotonic() + 20
    while True:
        try:
            server.start()
            break
        except RuntimeError:
            if time.monotonic() > deadline:
                raise
    assert server.port == port


def pattern_png(path: str, width: int = 640, height: int = 480, seed: int = 7) -> str:
    """A colourful checkerboard with diagonals: unmistakable when shown."""
    rng = random.Random(seed)
    image = Image.new("RGB", (width, height), (250, 250, 250))
    draw = ImageDraw.Draw(image)
    step = 40
    for y in range(0, height, step):
        for x in range(0, width, step):
            if (x // step + y // step) % 2 == 0:
                draw.rectangle([x, y, x + step - 1, y + step - 1],
                               fill=(rng.randrange(40, 220), rng.randrange(40, 220), rng.randrange(40, 220)))
    for offset in range(-height, width, 80):
        draw.line([(offset, 0), (offset + height, height)], fill=(20, 20, 60), width=4)
    image.save(path, "PNG")
    return path


def landscape_png(path: str, width: int = 640, height: int = 480) -> str:
    """A sunset over hills: a pleasant photo stand-in for the screenshots."""
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    for y in range(height):
        t = y / height
        draw.line([(0, y), (width, y)], fill=(int(255 - 60 * t), int(150 + 40 * t), int(90 + 140 * t)))
    draw.ellipse([width * 0.62, height * 0.18, width * 0.82, height * 0.45], fill=(255, 236, 170))
    for index, (base, color) in enumerate([(0.62, (92, 122, 150)), (0.72, (60, 96, 112)), (0.84, (38, 70, 74))]):
        points = [(0, height)]
        for x in range(0, width + 1, 16):
            points.append((x, height * base + 28 * ((x / 97 + index) % 3 - 1.5) ** 2))
        points.append((width, height))
        draw.polygon(points, fill=color)
    image.save(path, "PNG")
    return path


# --- checks ---------------------------------------------------------------------------------------

def assert_each_once_in_order(session: Session, texts: list[str]) -> None:
    messages = session.messages()
    positions = []
    for text in texts:
        found = [index for index, m in enumerate(messages) if text in m["text"]]
        assert len(found) == 1, f"[{session.name}] {text!r} shown {len(found)} times: {messages}"
        positions.append(found[0])
    assert positions == sorted(positions), f"[{session.name}] out of order: {texts} at {positions}"


def assert_history_intact(session: Session, count: int) -> list[dict]:
    """The open conversation shows `count` messages: seqs 1…count in page order, each with a
    distinct message id (nothing lost, nothing twice)."""
    messages = session.wait(lambda: (lambda m: m if len(m) >= count and all(x["seq"] for x in m) else None)(
        session.messages()), message=f"{count} stored messages")
    ids = [m["messageId"] for m in messages]
    assert all(ids) and len(set(ids)) == len(ids), f"[{session.name}] message ids: {messages}"
    assert [int(m["seq"]) for m in messages] == list(range(1, count + 1)), f"[{session.name}] seqs: {messages}"
    return messages


def assert_status_path(session: Session, text: str, through_sent: bool = True) -> None:
    """The statuses the message went through only move forward and end at read (by sent or
    delivered, unless the ack and B's read receipt may arrive together)."""
    seen = [s for s in session.statuses(text) if s]
    assert seen and seen[-1] == "read", f"{text!r} went {seen}"
    assert all(s in ORDER for s in seen), seen
    ranks = [ORDER.index(s) for s in seen]
    assert ranks == sorted(ranks), f"{text!r} went backwards: {seen}"
    assert not through_sent or {"sent", "delivered"} & set(seen), f"{text!r} read without being sent or delivered: {seen}"


def assert_console_clean(*sessions: Session, allowed=lambda _: False) -> None:
    errors = [e for s in sessions for e in s.severe(allowed)]
    assert not errors, "console errors:\n" + "\n".join(f"[{e['session']}] {e['message']}" for e in errors)


def page_width(session: Session) -> int:
    """How wide the page's content is, in CSS px (more than the viewport: it scrolls sideways)."""
    return session.js("return Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)")


def unread(session: Session, conversation_id: str) -> str | None:
    badge = session.find(css("conversation", conversation_id=conversation_id) + " " + css("unread"))
    return badge.text.strip() if badge is not None and badge.is_displayed() else None


# --- the acceptance scenario ----------------------------------------------------------------------

def test_two_browsers_chat_privately_through_a_reload_and_an_outage(node, browsers, tmp_path):
    a, b = browsers("alice"), browsers("bob")
    alice_name, bob_name = username("alice"), username("bob")
    alice = register(a, node.http, alice_name, PASSWORD, "Alice Liddell")
    bob = register(b, node.http, bob_name, PASSWORD, "Bob 王")
    assert alice != bob
    cid = private_id(alice, bob)

    # A starts the chat from the user search and writes 你好.
    start_private_chat(a, bob_name, bob)
    a.watch_statuses()
    send_text(a, "你好")
    a.wait_message("你好", status=SENT)

    # B sees the conversation with one unread message; A's copy is delivered to B's device.
    b.element("conversation", conversation_id=cid)
    b.wait(lambda: unread(b, cid) == "1", message="unread badge 1")
    a.wait_message("你好", status="delivered")

    # B opens it and reads the message; A sees it read.
    open_conversation(b, cid)
    first = b.wait_message("你好", seq="1")
    assert first["messageId"], first
    assert first["text"] == "你好", first
    a.wait_message("你好", status="read")
    assert_status_path(a, "你好")
    b.wait(lambda: unread(b, cid) in (None, "", "0"), message="badge cleared once read")

    # Typing: B sees it while A types, and it goes away once A stops.
    composer = a.element("composer")
    composer.send_keys("Shall we meet at three")
    b.element("typing")
    b.gone("typing", timeout=20)
    composer.send_keys(browser.Keys.ENTER)
    b.wait_message("Shall we meet at three", seq="2")
    a.wait_message("Shall we meet at three", status="read")

    # An image through attach: both sides display it, decoded.
    attach(a, pattern_png(str(tmp_path / "pattern.png")))
    a.wait(lambda: a.image_loaded(), message="A shows the image")
    image = a.wait(lambda: (lambda m: m if m["seq"] and m["messageId"] else None)(a.messages()[-1]),
                   message="the image message stored")
    assert image["seq"] == "3", image
    b.wait(lambda: b.image_loaded(image["messageId"]), message="B shows the image")
    a.wait(lambda: a.messages()[-1]["status"] == "read", message="the image read")

    # B reloads: still logged in, the conversation and its three messages, each once.
    before = assert_history_intact(b, 3)
    b.reload()
    b.wait_online()
    assert b.visible(css("username")) is None, "logged out by a reload"
    b.element("conversation", conversation_id=cid)
    if b.visible(css("composer")) is None:
        open_conversation(b, cid)
    after = assert_history_intact(b, 3)
    assert [m["messageId"] for m in after] == [m["messageId"] for m in before]
    assert unread(b, cid) is None, "read messages unread again after a reload"
    b.wait(lambda: b.image_loaded(image["messageId"]), message="B shows the image after the reload")

    # The node goes down: both show it; A writes three messages and B two, all waiting.
    port = node.port
    down = time.time()
    node.stop()
    try:
        for session in (a, b):
            session.wait(lambda s=session: s.connection_state() in ("connecting", "offline"), message="not online")
        from_a = ["offline one", "离线第二条", "offline three"]
        from_b = ["Bob while down 1", "鲍勃 down 2"]
        for text in from_a:
            send_text(a, text)
            a.wait_message(text, status="sending")
        for text in from_b:
            send_text(b, text)
            b.wait_message(text, status="sending")
        assert all(a.message_with(t)["status"] == "sending" for t in from_a), a.messages()
    finally:  # whatever happened, the node is back for the next tests
        # It comes back on the same port: everything goes out once, in order, and is read.
        start_on_port(node, port)
    up = time.time()
    a.wait_online(20)
    b.wait_online(20)
    for text in from_a:
        a.wait_message(text, status=SENT, timeout=20)
        b.wait_message(text, timeout=20)
    for text in from_b:
        b.wait_message(text, status=SENT, timeout=20)
        a.wait_message(text, timeout=20)
    for text in from_a:
        a.wait_message(text, status="read")
        assert_status_path(a, text, through_sent=False)  # B has the chat open: read at once
    for session in (a, b):
        assert_history_intact(session, 8)
        assert_each_once_in_order(session, from_a)
        assert_each_once_in_order(session, from_b)

    # A is away (tab closed) while B writes; A comes back and gets both, once.
    a.open("about:blank")
    while_away = ["Are you there, Alice?", "回来以后看一下"]
    for text in while_away:
        send_text(b, text)
        b.wait_message(text, status=SENT)
    a.open(node.http + "/")
    a.wait_online()
    a.element("conversation", conversation_id=cid)
    if a.visible(css("composer")) is None:
        open_conversation(a, cid)
    for text in while_away:
        a.wait_message(text)
        b.wait_message(text, status="read")
    for session in (a, b):
        assert_history_intact(session, 10)
        assert_each_once_in_order(session, while_away)
    # A's page is new: its own messages still show read (B's read cursor comes from the node).
    a.wait(lambda: all(m["status"] == "read" for m in a.messages() if m["senderId"] == alice),
           message="A's own messages read after coming back")
    senders = [m["senderId"] for m in a.messages()]
    assert (senders.count(alice), senders.count(bob)) == (6, 4), a.messages()

    assert_console_clean(a, b, allowed=outage_filter(port, [(down, up)]))


def test_logging_in_through_the_ui(node, browsers):
    user = node.register(username("lena"), PASSWORD, "Lena 李")
    a = browsers("lena")
    a.open(node.http + "/")
    a.fill("username", user.username)
    a.fill("password", "not the password")
    a.click("login")
    assert a.element("login-error").text.strip()
    assert browser.login(a, node.http, user.username, PASSWORD) == user.id
    a.wait(lambda: a.element("me-name").text == "Lena 李", message="my name shown")
    # A wrong password is a failed load (401) the page caused on purpose: that one entry only.
    assert_console_clean(a, allowed=lambda e: "/v1/auth/login" in e["message"] and "401" in e["message"])


# --- groups -----------------------------------------------------------------------------------

def test_a_group_created_in_the_browser_carries_messages_and_shows_its_members(node, browsers, shots):
    a, b = browsers("alice"), browsers("bob", lang="zh-CN")
    alice_name, bob_name = username("gina"), username("hugo")
    alice = register(a, node.http, alice_name, PASSWORD, "Gina Owner")
    bob = register(b, node.http, bob_name, PASSWORD, "Hugo 成员")
    mia = node.register(username("mia"), PASSWORD, "Mia Park")
    # Bob's browser speaks Chinese: so does the client.
    assert b.js("return document.documentElement.lang") == "zh-CN"
    label = b.element("new-chat").get_attribute("aria-label")
    assert any("\u4e00" <= ch <= "\u9fff" for ch in label), label

    # Gina creates the group with Hugo and Mia.
    a.click("new-group")
    a.element("new-group-dialog")
    a.fill("group-name", "Weekend hiking 周末徒步")
    for user in ((bob_name, bob), (mia.username, mia.id)):
        a.fill("group-member-search", user[0])
        a.click("group-member-option", user_id=user[1])
        a.wait(lambda u=user: a.attr(css("group-member-option", user_id=u[1]), "aria-pressed") == "true",
               message=f"{user[0]} picked")
        a.element("group-member-chip", user_id=user[1])
    a.click("create-group")
    a.gone("new-group-dialog")
    a.element("composer")
    send_text(a, "Saturday 9:00 at the trailhead — 大家准时！")
    a.wait_message("Saturday 9:00", status=SENT)

    # Hugo sees the group with one unread message, opens it, answers.
    group = b.wait(lambda: next((e.get_attribute("data-conversation-id") for e in b.find_all(css("conversation"))
                                 if (e.get_attribute("data-conversation-id") or "").startswith("g_")), None),
                   message="B lists the group")
    b.wait(lambda: unread(b, group) == "1", message="unread badge 1 in the group")
    open_conversation(b, group)
    b.wait_message("Saturday 9:00", seq="1")
    send_text(b, "收到, see you there")
    a.wait_message("收到, see you there", seq="2")
    b.wait_message("收到, see you there", seq="2", status=SENT)
    a.element("chat", conversation_id=group)

    # Group info: Gina makes Mia an admin; both see the three members with their roles.
    a.click("chat-info")
    a.element("group-info-dialog")
    # The member list re-renders as group events arrive: find Mia's row anew on each try.
    a.element("group-member", user_id=mia.id)
    a.click_in(css("group-member", user_id=mia.id), "member-menu")
    a.click("member-make-admin")
    a.element("group-member", user_id=mia.id, role="admin")
    b.click("chat-info")
    b.element("group-info-dialog")
    roles = {alice: ("owner", "Gina Owner"), bob: ("member", "Hugo 成员"), mia.id: ("admin", "Mia Park")}
    for session in (a, b):
        for user_id, (role, name) in roles.items():
            session.wait(lambda s=session, u=user_id, r=role, n=name: n in (s.text(css("group-member", user_id=u, role=r)) or ""),
                         message=f"{name} listed as {role}")
        session.wait(lambda s=session: len(s.find_all(css("group-member"))) == 3, message="three members listed")

    a.screenshot(os.path.join(shots, "group-info-light.png"))
    a.color_scheme("dark")
    a.screenshot(os.path.join(shots, "group-info-dark.png"))
    a.color_scheme("light")
    assert_console_clean(a, b)


# --- screenshots of a realistic chat ---------------------------------------------------------------

def say(sock, data: dict) -> dict:
    """Sends a message over a harness socket; returns its ack."""
    ack = sock.request("message", data)
    assert ack["type"] == "ack" and ack["data"]["status"] == "sent", ack
    return ack["data"]


def test_screenshots_of_the_main_screens(node, browsers, shots, tmp_path):
    carol = node.register(username("carol"), PASSWORD, "Carol Smith")
    zhang = node.register(username("zhang"), PASSWORD, "张伟")
    bob = node.register(username("bob"), PASSWORD, "Bob Martin")
    a = browsers("alice")
    alice = register(a, node.http, username("alice"), PASSWORD, "Alice Chen")
    cid = private_id(alice, bob.id)
    sockets = [carol.connect("web1", "web"), zhang.connect("web2", "web"), bob.connect("web3", "web")]
    try:
        carol_socket, zhang_socket, bob_socket = sockets
        # Other conversations, so the list looks lived in (a group makes them contacts, whose
        # presence Alice may see).
        team = carol.ok("POST", "/v1/groups", {"name": "Design Team", "memberIds": [alice, zhang.id, bob.id]})
        say(carol_socket, {"groupId": team["groupId"], "contentType": "text",
                           "content": {"text": "New mockups are in the shared folder"}, "localId": uuid.uuid4().hex})
        say(zhang_socket, text_message(alice, "周五的会议改到下午三点了，别忘了带笔记本。"))
        say(carol_socket, text_message(alice, "Lunch at noon?"))

        # The chat with Bob: English and Chinese, an image, a reply, read receipts.
        say(bob_socket, text_message(alice, "Hi Alice! Are we still on for the design review tomorrow?"))
        open_conversation(a, cid)
        send_text(a, "Yes! 10:00 in the big meeting room.")
        yes = a.wait_message("Yes! 10:00", status=SENT)
        say(bob_socket, text_message(alice, "太好了！我会带上新的原型图。"))
        attach(a, landscape_png(str(tmp_path / "sunset.png")))
        a.wait(lambda: a.image_loaded(), message="the image shown")
        shown = a.wait(lambda: (lambda m: m if m["seq"] and m["messageId"] else None)(a.messages()[-1]),
                       message="the image stored")
        say(bob_socket, text_message(alice, "Great photo, where was that taken?", replyTo=yes["messageId"]))
        a.element("quote")
        send_text(a, "在杭州西湖拍的 — last weekend.")
        last = a.wait_message("在杭州西湖拍的", status=SENT)
        bob_socket.request("ack", {"conversationId": cid, "seq": int(last["seq"]), "status": "read"})
        a.wait_message("在杭州西湖拍的", status="read")
        assert len(a.messages()) == 6, a.messages()

        for scheme in ("light", "dark"):
            a.color_scheme(scheme)
            a.wait(lambda: a.image_loaded(shown["messageId"]), message="the image shown")
            a.screenshot(os.path.join(shots, f"chat-{scheme}.png"))
            # The list alone: the page without a conversation open.
            a.open(node.http + "/")
            a.wait_online()
            a.element("conversation", conversation_id=cid)
            a.element("no-chat")
            a.screenshot(os.path.join(shots, f"list-{scheme}.png"))
            open_conversation(a, cid)

        a.viewport(*PHONE, mobile=True, scale=2)
        widths = {}
        for scheme in ("light", "dark"):
            a.color_scheme(scheme)
            a.element("composer")
            a.wait(lambda: a.image_loaded(shown["messageId"]), message="the image shown on the phone")
            a.screenshot(os.path.join(shots, f"chat-phone-{scheme}.png"))
            widths["chat"] = page_width(a)
            a.click("back")  # on a phone the list and the chat are separate screens
            a.element("conversation", conversation_id=cid)
            a.screenshot(os.path.join(shots, f"list-phone-{scheme}.png"))
            widths["list"] = page_width(a)
            open_conversation(a, cid)
        a.color_scheme("light")
        # Nothing is wider than the phone (no sideways scrolling, no cut-off buttons).
        assert all(width <= PHONE[0] for width in widths.values()), f"page wider than {PHONE[0]} px: {widths}"
        assert_console_clean(a)
    finally:
        for sock in sockets:
            sock.close()


# --- one browser, several accounts ----------------------------------------------------------------

def _offline(session: Session, offline: bool) -> None:
    session.driver.execute_cdp_cmd("Network.enable", {})
    session.driver.execute_cdp_cmd("Network.emulateNetworkConditions",
                                   {"offline": offline, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})


def test_another_users_login_in_storage_is_never_adopted(browsers):
    """Another account signing in in another tab replaces the stored login; this tab's refresh
    must not take it over: it goes back to the login screen and sends nothing as that user."""
    server = Server(*FAST_REGISTRATION, "--access-token-ttl", "60", *web_args()).start()
    try:
        carol = server.register(username("carol"), PASSWORD, "Carol")
        bob = server.register(username("bob"), PASSWORD, "Bob")
        a = browsers("alice")
        alice = register(a, server.http, username("alice"), PASSWORD, "Alice")
        carol.ok("POST", "/v1/messages", text_message(alice, "hi alice"))
        conversation = private_id(alice, carol.id)
        open_conversation(a, conversation)
        # Bob's login lands in storage as another tab's login would, then Alice's login ends on
        # the server, so this tab must refresh (its session is dropped, the socket closed).
        alices_token = a.stored_session()["accessToken"]
        a.js("localStorage.setItem('parley.session', JSON.stringify({userId: arguments[0], accessToken: arguments[1], "
             "refreshToken: arguments[2], expiresAt: Date.now() + 55000}))", bob.id, bob.token, bob.grant["refreshToken"])
        send_text(a, "typed after the swap")
        assert server.post("/v1/auth/logout", {}, token=alices_token).status_code == 200
        a.element("username", timeout=20)
        assert a.find(css("composer")) is None
        stored = a.stored_session()
        assert stored and stored["userId"] == bob.id and stored["refreshToken"] == bob.grant["refreshToken"], stored
        assert not a.js("return location.hash")
        # Nothing was ever sent as Bob; what Alice typed went as Alice (or not at all).
        bobs = bob.ok("GET", f"/v1/conversations/{private_id(bob.id, carol.id)}/messages")["messages"]
        assert bobs == [], bobs
        for m in carol.ok("GET", f"/v1/conversations/{conversation}/messages")["messages"]:
            assert m["senderId"] in (alice, carol.id), m
        # Bob's login still works (it was not refreshed, i.e. rotated, by this tab).
        assert server.post("/v1/auth/refresh", {"refreshToken": bob.grant["refreshToken"]}).status_code == 200
    finally:
        server.cleanup()


def test_logging_out_leaves_nothing_for_the_next_user(node, browsers):
    """After a logout, the next account on the same page finds no draft, no unsent message, no
    inbox or notification switch, and no conversation in the address bar of the first."""
    bob_name = username("bob")
    bob = node.register(bob_name, PASSWORD, "Bob")
    a = browsers("shared")
    alice = register(a, node.http, username("alice"), PASSWORD, "Alice")
    group = User(node, "", PASSWORD, {"userId": alice, "accessToken": a.stored_session()["accessToken"]})
    conversation = group.ok("POST", "/v1/groups", {"name": "Shared", "memberIds": [bob.id]})["conversationId"]
    group.ok("POST", "/v1/messages", {"conversationType": "group", "groupId": conversation[2:], "contentType": "text",
                                      "content": {"text": "welcome"}, "localId": uuid.uuid4().hex})
    a.wait(lambda: a.find(css("conversation", conversation_id=conversation)), message="the group listed")
    open_conversation(a, conversation)
    assert a.js("return location.hash") == "#" + conversation
    # One message that cannot go out (offline), and a draft.
    _offline(a, True)
    a.wait(lambda: a.connection_state() != "online", message="offline")
    send_text(a, "unsent secret")
    a.wait_message("unsent secret", status="sending")
    a.element("composer").send_keys("alice's draft: the wifi password is hunter2")
    a.click("open-settings")
    a.click("logout")
    confirm = a.element("confirm-dialog")
    assert "1" in confirm.text, confirm.text
    a.click("confirm-ok")
    a.element("username")
    _offline(a, False)
    assert not a.js("return location.hash")
    keys = a.js("return Object.keys(localStorage)")
    assert not [k for k in keys if alice in k], keys

    browser.login(a, node.http, bob_name, PASSWORD)
    assert a.find(css("chat")) is None, "the first user's conversation was opened for the next"
    assert not a.js("return location.hash")
    open_conversation(a, conversation)
    assert a.element("composer").get_attribute("value") == ""
    a.wait_message("welcome")
    assert a.message_with("unsent secret") is None
    keys = a.js("return Object.keys(localStorage)")
    assert not [k for k in keys if alice in k], keys
    assert "parley.notify" not in keys, keys
    # The unsent message was discarded, never sent (not later by Bob's login either).
    time.sleep(1)
    texts = [m["content"].get("text") for m in bob.ok("GET", f"/v1/conversations/{conversation}/messages")["messages"] if m.get("content")]
    assert "unsent secret" not in texts, texts
