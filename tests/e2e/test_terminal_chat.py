"""L3: `parley chat`, driven through a pipe the way a script (or a person) would."""
import queue
import subprocess
import threading
import uuid

from parley import BINARY, text_message


class Terminal:
    def __init__(self, server, username, password, register=True):
        args = [BINARY, "chat", "--server", server.http, "--username", username, "--password", password]
        if register:
            args.append("--register")
        self.process = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True, bufsize=1)
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))

    def type(self, line: str) -> None:
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()

    def expect(self, prefix: str, timeout: float = 15) -> str:
        seen = []
        while True:
            try:
                line = self.lines.get(timeout=timeout)
            except queue.Empty:
                raise AssertionError(f"no line starting with {prefix!r}; saw {seen}")
            if line.startswith(prefix):
                return line
            seen.append(line)


def test_terminal_chat_sends_receives_and_shows_receipts(server):
    bob = server.register(display="Bob")
    b = bob.connect()
    alice_name = "alice" + uuid.uuid4().hex[:8]
    term = Terminal(server, alice_name, "terminal-pass")
    connected = term.expect("connected ")
    alice_id = connected.split()[1]

    term.type(f"/open {bob.id}")
    opened = term.expect("opened ")
    conversation_id = opened.split()[1]
    assert conversation_id == "p_" + "_".join(sorted([alice_id, bob.id]))

    term.type("hello from a terminal")
    sent = term.expect("sent ")
    assert sent.split()[1] == conversation_id and sent.split()[2] == "1"
    assert b.message(seq=1)["data"]["content"] == {"text": "hello from a terminal"}

    b.send({"type": "typing", "data": {"conversationId": conversation_id, "state": "start"}})
    assert term.expect("typing ") == f"typing {conversation_id} {bob.id} start"

    b.request("message", text_message(alice_id, "hi, terminal"))
    line = term.expect("message ")
    assert line.startswith(f"message {conversation_id} 2 ") and line.endswith("Bob: hi, terminal")
    # The open conversation is marked read by the terminal as messages arrive.
    receipt = b.notification("read_receipt", seq=2)
    assert receipt["data"]["actionData"]["userId"] == alice_id

    term.type("did you read this?")
    assert term.expect("sent ").split()[2] == "3"
    b.request("ack", {"conversationId": conversation_id, "seq": 3, "status": "read"})
    assert term.expect("receipt read ") == f"receipt read {conversation_id} {bob.id} 3"

    term.type("/list")
    listed = term.expect("conversation ")
    assert listed.startswith(f"conversation {conversation_id} peer={bob.id} unread=0")
    term.expect("listed 1")

    term.type("/nonsense")
    assert term.expect("error ").startswith("error usage")
    term.type("/quit")
    term.expect("bye")
    assert term.process.wait(15) == 0


def test_terminal_chat_refuses_a_wrong_password(server):
    user = server.register()
    result = subprocess.run([BINARY, "chat", "--server", server.http, "--username", user.username,
                             "--password", "not the password"], capture_output=True, text=True, timeout=30,
                            input="")
    assert result.returncode != 0
    assert "unauthorized" in (result.stderr + result.stdout)


def test_terminal_chat_befriends_and_talks_in_a_group(server):
    bob = server.register(display="Bob")
    b = bob.connect()
    term = Terminal(server, "carol" + uuid.uuid4().hex[:8], "terminal-pass")
    carol_id = term.expect("connected ").split()[1]

    term.type(f"/friend {bob.id} hello")
    request_id = term.expect("friend-request ").split()[1]
    assert b.notification("friend_request", requestId=request_id)["data"]["actionData"]["userId"] == carol_id
    bob.ok("POST", f"/v1/friends/requests/{request_id}/accept")
    term.type("/friends")
    assert term.expect("friend ") == f"friend {bob.id} Bob"

    term.type(f"/group 周末 {bob.id}")
    _, group_id, conversation_id = term.expect("group ").split()
    b.notification("group_invite", groupId=group_id)
    term.type("大家好")
    assert term.expect("sent ").split()[1] == conversation_id
    assert b.message(conversationId=conversation_id)["data"]["content"] == {"text": "大家好"}
    term.type("/list")
    assert term.expect(f"conversation {conversation_id}").split()[2] == "group=周末"
    term.type("/quit")
    term.expect("bye")


def test_terminal_chat_sends_a_file_the_recipient_can_download(server, tmp_path):
    bob = server.register(display="Bob")
    b = bob.connect()
    term = Terminal(server, "dave" + uuid.uuid4().hex[:8], "terminal-pass")
    term.expect("connected ")
    term.type(f"/open {bob.id}")
    conversation_id = term.expect("opened ").split()[1]

    path = tmp_path / "notes from the meeting.txt"
    data = ("minutes, line by line\n" * 4000).encode()
    path.write_bytes(data)
    term.type(f"/send-file {path}")
    assert term.expect("uploading ").endswith(f"{len(data)} single")
    _, media_id, kind, size, _ = term.expect("uploaded ").split()
    assert kind == "file" and int(size) == len(data)
    sent = term.expect("sent ")
    assert sent.split()[1] == conversation_id
    content = b.message(conversationId=conversation_id)["data"]["content"]
    assert content["mediaId"] == media_id and content["name"] == path.name and content["size"] == len(data)
    assert content["url"] == f"/v1/media/{media_id}"
    download = bob.get(content["url"])
    assert download.status_code == 200 and download.content == data
    assert download.headers["Content-Disposition"].startswith("attachment")
    term.type("/quit")
    term.expect("bye")
