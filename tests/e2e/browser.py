"""Real-browser sessions for the web client's end-to-end tests: headless Chromium via Selenium 4.

Each `Session` is its own Chromium with a fresh profile (so its own localStorage and login),
loopback only. Everything waits on a condition with a timeout (`WebDriverWait`), never on a
sleep. The client is found by `data-testid`; `css(testid, **data)` builds the selector, with
`data-*` attributes given as keyword arguments (`conversation_id="p_…"` is
`[data-conversation-id="p_…"]`).

Chromium and chromedriver are Debian's (`/usr/bin/chromium`, `/usr/bin/chromedriver`; override
with PARLEY_CHROMIUM / PARLEY_CHROMEDRIVER). When one is missing the test is skipped, or fails
under CI=true so that a CI image without a browser does not pass silently.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from typing import Any, Callable, Iterable

import pytest

try:
    from selenium import webdriver
    from selenium.common.exceptions import (NoSuchElementException, StaleElementReferenceException,
                                            TimeoutException, WebDriverException)
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.remote.webelement import WebElement
    from selenium.webdriver.support.ui import WebDriverWait
    SELENIUM_ERROR: str | None = None
except ImportError as error:  # pragma: no cover - reported by require_browser
    SELENIUM_ERROR = str(error)

CHROMIUM = os.environ.get("PARLEY_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("PARLEY_CHROMEDRIVER", "/usr/bin/chromedriver")
WAIT = 15.0  # seconds: the default bound of every wait (each stays ≤ 20 s)
DESKTOP = (1280, 800)
PHONE = (390, 844)


def require_browser() -> None:
    """Skips the test when Chromium, chromedriver or Selenium is missing; fails under CI=true."""
    missing = [path for path in (CHROMIUM, CHROMEDRIVER) if not (os.path.isfile(path) and os.access(path, os.X_OK))]
    if SELENIUM_ERROR:
        missing.append(f"selenium ({SELENIUM_ERROR})")
    if missing:
        reason = "browser tests need " + ", ".join(missing)
        if os.environ.get("CI") == "true":
            pytest.fail(reason + " (CI=true: not skipping)")
        pytest.skip(reason)


def css(testid: str, **data: Any) -> str:
    """`[data-testid="x"][data-a-b="v"]` for testid x and data a_b=v."""
    selector = f'[data-testid="{testid}"]'
    for key, value in data.items():
        selector += f'[data-{key.replace("_", "-")}="{value}"]'
    return selector


# A message's text as shown: its message-text (else the whole message) without the parts hidden
# from assistive technology (the client reserves room for the time with an aria-hidden copy).
TEXT_OF = """
    const textOf = (m) => {
      const body = (m.querySelector('[data-testid="message-text"]') || m).cloneNode(true);
      for (const hidden of body.querySelectorAll('[aria-hidden="true"]')) hidden.remove();
      return body.textContent;
    };
"""


class Session:
    """One headless Chromium with its own profile. `logs` keeps every browser console entry read
    so far (chromedriver hands each entry out once)."""

    def __init__(self, name: str = "browser", size: tuple[int, int] = DESKTOP, lang: str = "en-US",
                 dark: bool = False):
        require_browser()
        self.name = name
        self.profile = tempfile.mkdtemp(prefix=f"parley-chromium-{name}-")
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                         f"--user-data-dir={self.profile}", f"--window-size={size[0]},{size[1]}",
                         f"--lang={lang}", "--no-first-run", "--no-default-browser-check",
                         "--disable-background-networking", "--disable-component-update",
                         "--disable-sync", "--disable-extensions", "--password-store=basic",
                         # Background tabs must keep their timers and sockets running: two
                         # sessions are driven at once.
                         "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
                         "--disable-backgrounding-occluded-windows"):
            options.add_argument(argument)
        options.add_experimental_option("prefs", {"intl.accept_languages": lang,
                                                  "credentials_enable_service": False,
                                                  "profile.password_manager_enabled": False})
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        service = Service(CHROMEDRIVER, log_output=os.path.join(self.profile, "chromedriver.log"))
        try:
            self.driver = webdriver.Chrome(service=service, options=options)
        except WebDriverException:
            shutil.rmtree(self.profile, ignore_errors=True)
            raise
        self.driver.set_page_load_timeout(20)
        self.driver.set_script_timeout(20)
        self.logs: list[dict] = []
        # The window's size includes the (invisible) browser UI: pin the page's own viewport.
        self.viewport(*size)
        if dark:
            self.color_scheme("dark")

    # --- lifecycle -------------------------------------------------------------------------
    def quit(self) -> None:
        try:
            self.driver.quit()
        except Exception:  # noqa: BLE001 - already gone
            pass
        shutil.rmtree(self.profile, ignore_errors=True)

    def open(self, url: str) -> None:
        self.driver.get(url)

    def reload(self) -> None:
        self.driver.refresh()

    # --- rendering -------------------------------------------------------------------------
    def color_scheme(self, scheme: str) -> None:
        """`light` or `dark`: emulates prefers-color-scheme (kept across navigations)."""
        self.driver.execute_cdp_cmd("Emulation.setEmulatedMedia",
                                    {"features": [{"name": "prefers-color-scheme", "value": scheme}]})

    def viewport(self, width: int, height: int, mobile: bool = False, scale: float = 1) -> None:
        """Resizes the page's viewport (a phone: mobile=True, with touch)."""
        self.driver.set_window_size(width, height)
        self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                    {"width": width, "height": height, "deviceScaleFactor": scale, "mobile": mobile})
        self.driver.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": mobile})

    def screenshot(self, path: str) -> str:
        """Saves the viewport as PNG once fonts and images have settled."""
        self.wait(lambda: self.js("return document.fonts.status === 'loaded' && "
                                  "[...document.images].every(i => i.complete)"), message="page settled")
        assert self.driver.save_screenshot(path), path
        return path

    # --- finding and waiting -----------------------------------------------------------------
    def js(self, script: str, *args: Any) -> Any:
        return self.driver.execute_script(script, *args)

    def wait(self, condition: Callable[[], Any], timeout: float = WAIT, message: str = "") -> Any:
        """Waits until `condition()` is truthy and returns its value; a stale or missing element
        while the client re-renders counts as not yet."""
        assert timeout <= 20, "waits stay bounded"
        waiter = WebDriverWait(self.driver, timeout, poll_frequency=0.1,
                               ignored_exceptions=(StaleElementReferenceException, NoSuchElementException))
        try:
            return waiter.until(lambda _: condition())
        except TimeoutException:
            raise TimeoutException(f"[{self.name}] timed out after {timeout}s waiting for {message or condition}; "
                                   f"console: {self.console_tail()}") from None

    def find_all(self, selector: str, within: WebElement | None = None) -> list[WebElement]:
        return (within or self.driver).find_elements(By.CSS_SELECTOR, selector)

    def find(self, selector: str, within: WebElement | None = None) -> WebElement | None:
        found = self.find_all(selector, within)
        return found[0] if found else None

    def visible(self, selector: str) -> WebElement | None:
        """The first element matching `selector` that is displayed, or None."""
        for element in self.find_all(selector):
            if element.is_displayed():
                return element
        return None

    def element(self, testid: str, timeout: float = WAIT, **data: Any) -> WebElement:
        """Waits for a displayed element with this testid (and data attributes)."""
        selector = css(testid, **data)
        return self.wait(lambda: self.visible(selector), timeout, f"visible {selector}")

    def present(self, testid: str, timeout: float = WAIT, **data: Any) -> WebElement:
        """Waits for an element with this testid to be in the page, displayed or not."""
        selector = css(testid, **data)
        return self.wait(lambda: self.find(selector), timeout, f"present {selector}")

    def gone(self, testid: str, timeout: float = WAIT, **data: Any) -> None:
        """Waits until no element with this testid is displayed."""
        selector = css(testid, **data)
        self.wait(lambda: self.visible(selector) is None, timeout, f"{selector} hidden")

    def click(self, testid: str, timeout: float = WAIT, **data: Any) -> None:
        selector = css(testid, **data)

        def clicked() -> bool:
            element = self.visible(selector)
            if element is None or not element.is_enabled():
                return False
            self.js("arguments[0].scrollIntoView({block: 'center'})", element)
            element.click()
            return True
        self.wait(clicked, timeout, f"clickable {selector}")

    def click_in(self, within: "str | WebElement", testid: str, timeout: float = WAIT) -> None:
        """Clicks the displayed element with this testid inside `within`. Give `within` as a
        selector where the client may re-render it: it is then found again on each try."""
        selector = css(testid)

        def clicked() -> bool:
            container = self.find(within) if isinstance(within, str) else within
            if container is None:
                return False
            element = next((e for e in self.find_all(selector, container) if e.is_displayed() and e.is_enabled()), None)
            if element is None:
                return False
            element.click()
            return True
        self.wait(clicked, timeout, f"clickable {selector} inside an element")

    def fill(self, testid: str, text: str, timeout: float = WAIT) -> WebElement:
        element = self.element(testid, timeout)
        element.clear()
        element.send_keys(text)
        return element

    def text(self, selector: str) -> str | None:
        element = self.find(selector)
        return element.text if element is not None else None

    def attr(self, selector: str, name: str) -> str | None:
        element = self.find(selector)
        return element.get_attribute(name) if element is not None else None

    # --- the logged-in client ----------------------------------------------------------------
    def stored_session(self) -> dict | None:
        raw = self.js("return localStorage.getItem('parley.session')")
        return json.loads(raw) if raw else None

    def user_id(self) -> str:
        session = self.wait(self.stored_session, message="a stored login")
        return session["userId"]

    def connection_state(self) -> str | None:
        return self.attr(css("connection"), "data-state")

    def wait_online(self, timeout: float = 20) -> None:
        self.wait(lambda: self.connection_state() == "online", timeout, "connection online")

    def messages(self) -> list[dict]:
        """Every rendered message, in page order: testid attributes and its text."""
        return self.js(TEXT_OF + """
            return [...document.querySelectorAll('[data-testid="message"]')].map(m => ({
              seq: m.dataset.seq || null, messageId: m.dataset.messageId || null,
              status: m.dataset.status || null, localId: m.dataset.localId || null,
              senderId: m.dataset.senderId || null, text: textOf(m)}));""")

    def message_with(self, text: str) -> dict | None:
        """The one rendered message containing `text` (asserts there is at most one)."""
        found = [m for m in self.messages() if text in m["text"]]
        assert len(found) <= 1, f"[{self.name}] {len(found)} messages contain {text!r}: {found}"
        return found[0] if found else None

    def wait_message(self, text: str, timeout: float = WAIT, **fields: Any) -> dict:
        """Waits for the message containing `text` whose fields (status=…, …) match; a field
        given as a tuple matches any of its values."""
        def matches() -> dict | None:
            message = self.message_with(text)
            if message is None:
                return None
            for key, want in fields.items():
                if (message[key] not in want) if isinstance(want, tuple) else (message[key] != want):
                    return None
            return message
        return self.wait(matches, timeout, f"message {text!r} with {fields}")

    def image_loaded(self, message_id: str | None = None, text: str | None = None) -> bool:
        """True when the message (by id, or else the last one) shows a decoded image."""
        return bool(self.js("""
            const [id] = arguments;
            const all = [...document.querySelectorAll('[data-testid="message"]')];
            const m = id ? all.find(x => x.dataset.messageId === id) : all[all.length - 1];
            return !!m && [...m.querySelectorAll('img')].some(i => i.complete && i.naturalWidth > 0);
        """, message_id))

    def watch_statuses(self) -> None:
        """Records, in the page, every data-status each message goes through (by text), so a
        fast sequence sent → delivered → read is seen even between two polls."""
        self.js(TEXT_OF + """
            if (window.__statuses) return;
            window.__statuses = {};
            const record = () => {
              for (const m of document.querySelectorAll('[data-testid="message"]')) {
                const key = textOf(m);
                const list = window.__statuses[key] || (window.__statuses[key] = []);
                const status = m.dataset.status || '';
                if (list[list.length - 1] !== status) list.push(status);
              }
            };
            new MutationObserver(record).observe(document.body,
              {subtree: true, childList: true, attributes: true, attributeFilter: ['data-status']});
            record();""")

    def statuses(self, text: str) -> list[str]:
        """The statuses seen for the message containing `text` (after `watch_statuses`)."""
        seen = self.js("return window.__statuses || {}")
        found = [v for k, v in seen.items() if text in k]
        return found[0] if len(found) == 1 else sum(found, [])

    # --- console -----------------------------------------------------------------------------
    def read_console(self) -> list[dict]:
        try:
            entries = self.driver.get_log("browser")
        except WebDriverException:
            entries = []
        for entry in entries:
            entry["session"] = self.name
        self.logs.extend(entries)
        return self.logs

    def console_tail(self, count: int = 8) -> list[str]:
        try:
            self.read_console()
        except Exception:  # noqa: BLE001 - a dead browser must not hide the first error
            pass
        return [f"{e['level']} {e['message']}" for e in self.logs[-count:]]

    def severe(self, allowed: Callable[[dict], bool] = lambda _: False) -> list[dict]:
        """Console entries at SEVERE that `allowed` does not excuse."""
        return [e for e in self.read_console() if e["level"] == "SEVERE" and not allowed(e)]


def outage_filter(port: int, windows: Iterable[tuple[float, float]], grace: float = 3.0) -> Callable[[dict], bool]:
    """Excuses exactly the failed loads a node outage causes: an entry logged while the node on
    `port` was down (each window is (start, end) in epoch seconds, plus `grace` for requests
    that were in flight) that names this node's API or WebSocket and says it could not connect."""
    spans = [(start - grace, end + grace) for start, end in windows]
    origins = (f"127.0.0.1:{port}/v1/", f"localhost:{port}/v1/")
    failures = ("ERR_CONNECTION_REFUSED", "ERR_CONNECTION_RESET", "ERR_EMPTY_RESPONSE", "ERR_CONNECTION_CLOSED",
                "WebSocket connection to", "Failed to load resource")

    def allowed(entry: dict) -> bool:
        at = entry["timestamp"] / 1000
        return (any(start <= at <= end for start, end in spans)
                and any(origin in entry["message"] for origin in origins)
                and any(failure in entry["message"] for failure in failures))
    return allowed


# --- UI flows -------------------------------------------------------------------------------------

def _register_mode(session: Session) -> None:
    """Shows the registration form: in login mode the `register` button switches to it (showing
    display-name); in register mode it submits."""
    def shown() -> bool:
        if session.visible(css("display-name")):
            return True
        toggle = session.visible(css("register"))
        if toggle is not None and toggle.is_enabled():
            toggle.click()
        return bool(session.visible(css("display-name")))
    session.wait(shown, message="the registration form")


def register(session: Session, base_url: str, username: str, password: str, display_name: str) -> str:
    """Registers through the UI: opens the client, switches to register mode, fills username,
    password and display-name, clicks register, and waits to be logged in and online. Returns
    the new user's id."""
    session.open(base_url + "/")
    session.element("username")
    _register_mode(session)
    session.fill("username", username)
    session.fill("password", password)
    session.fill("display-name", display_name)
    session.click("register")
    return _logged_in(session)


def login(session: Session, base_url: str, username: str, password: str) -> str:
    """Logs in through the UI; returns the user id."""
    session.open(base_url + "/")
    session.fill("username", username)
    session.fill("password", password)
    session.click("login")
    return _logged_in(session)


def _logged_in(session: Session) -> str:
    """Waits for the chat screen and a live connection; returns the signed-in user's id."""
    session.element("new-chat", timeout=20)
    session.wait_online()
    return session.user_id()


def open_conversation(session: Session, conversation_id: str) -> None:
    """Opens a conversation from the list and waits for its composer."""
    session.click("conversation", conversation_id=conversation_id)
    session.element("composer")


def start_private_chat(session: Session, username: str, user_id: str) -> None:
    """new-chat → user-search → the user's user-result; waits for the composer."""
    session.click("new-chat")
    session.fill("user-search", username)
    session.click("user-result", user_id=user_id)
    session.element("composer")


def send_text(session: Session, text: str, enter: bool = True) -> None:
    """Types into the composer and sends with Enter (or the send button)."""
    composer = session.element("composer")
    composer.send_keys(text)
    if enter:
        composer.send_keys(Keys.ENTER)
    else:
        session.click("send")


def attach(session: Session, path: str) -> None:
    """Sends a file through the attach control (the file input itself, or the one it opens)."""
    element = session.present("attach")
    if (element.tag_name.lower(), (element.get_attribute("type") or "").lower()) != ("input", "file"):
        inputs = session.find_all('input[type="file"]', element) or session.find_all('input[type="file"]')
        assert inputs, "attach is no file input and has none"
        element = inputs[0]
    element.send_keys(path)
