"""E-mail push: at most one e-mail per user and conversation per --email-push-delay window,
listing what is still unread when the window ends, sent over STARTTLS to the SMTP sink."""
import time

import pytest

from parley import Server
from push_helpers import (NODE_FLAGS, eventually, make_group, push_log, read_up_to, register_token, send, send_group,
                          settings, wait_entry)
from push_standins import SmtpSink, TestPKI, push_flags

SENDER = "push@parley.test"
DELAY = 1  # --email-push-delay


def at_a_window_start():
    """Returns just after a multiple of DELAY seconds of the clock. A node may align its windows
    so (the contract leaves it open): a burst sent now falls into one window either way."""
    while time.time() % DELAY > 0.05:
        time.sleep(0.01)


class Mailer:
    def __init__(self):
        self.pki = TestPKI()
        self.smtp = SmtpSink(self.pki)
        self.node = Server(*push_flags(self.pki), *self.smtp.flags(SENDER), "--email-push-delay", str(DELAY), *NODE_FLAGS).start()

    def user(self, display=None, email=True):
        user = self.node.register(display=display)
        user.email = f"{user.username}@example.com"
        user.email_id = register_token(user, "email", user.email, device="web") if email else None
        return user

    def close(self):
        self.node.cleanup()
        self.smtp.close()
        self.pki.cleanup()


@pytest.fixture(scope="module")
def mailer():
    m = Mailer()
    yield m
    m.close()


def test_messages_of_one_window_make_one_email(mailer):
    alice, bob = mailer.user("爱丽丝"), mailer.user("Bob")
    texts = ["first 你好", "second", "third"]
    at_a_window_start()
    acks = [send(alice, bob, text) for text in texts]
    [mail] = mailer.smtp.wait_for(1, token=bob.email)
    assert mail.ok and mail.tls, "STARTTLS is used when the server offers it"
    assert mail.subject == "New messages from 爱丽丝"
    assert SENDER in mail.sender and bob.email in mail.to and mail.rcpt_tos == [bob.email]
    assert mail.mail_from == SENDER
    for text in texts:
        assert f"爱丽丝: {text}" in mail.text, mail.text
    assert mail.text.index("first") < mail.text.index("second") < mail.text.index("third")
    ids = {a["messageId"] for a in acks}
    eventually(lambda: any(e["status"] == "sent" for e in push_log(bob) if e["messageId"] in ids),
               "the e-mail is not logged as sent")
    # A message after the window makes the next e-mail; the first window made exactly one.
    fourth = send(alice, bob, "fourth")
    first, second = mailer.smtp.wait_for(2, token=bob.email)
    assert first is mail and "爱丽丝: fourth" in second.text
    assert second.at - first.at >= 0.5
    assert fourth["conversationId"] == acks[0]["conversationId"]


def test_read_before_the_window_ends_sends_nothing(mailer):
    alice, carol, bob = mailer.user("Alice"), mailer.user("Carol"), mailer.user("Bob")
    ack = send(alice, bob, "read at once")
    read_up_to(bob, ack)
    entry = wait_entry(bob, ack["messageId"], bob.email_id)
    assert (entry["status"], entry["reason"]) == ("skipped", "read")
    # A later e-mail, from another conversation: nothing came for the read one.
    send(carol, bob, "unread")
    [mail] = mailer.smtp.wait_for(1, token=bob.email)
    assert mail.subject == "New messages from Carol" and "Alice" not in mail.text and "read at once" not in mail.text


def test_a_group_email_and_one_without_preview(mailer):
    owner, bob, carol = mailer.user("Owner"), mailer.user("Bob"), mailer.user("Carol")
    group = make_group(owner, [bob, carol], name="Team 小组")
    send_group(owner, group["groupId"], "group news")
    [mail] = mailer.smtp.wait_for(1, token=bob.email)
    assert mail.subject == "New messages in Team 小组" and "Owner: group news" in mail.text

    [carols] = mailer.smtp.wait_for(1, token=carol.email)  # the group message, before the change
    settings(carol, preview=False)
    at_a_window_start()
    hidden = [send(owner, carol, f"secret {i}") for i in range(2)]
    mails = mailer.smtp.wait_for(2, token=carol.email)
    private = mails[-1]
    assert private is not carols and private.subject == "New messages"
    assert "secret" not in private.text and "Owner" not in private.text and "2" in private.text, private.text
    assert hidden[0]["conversationId"] != group["conversationId"]


def test_smtps_with_a_login():
    pki = TestPKI()
    smtp = SmtpSink(pki, implicit_tls=True, username="parley", password="mail-secret")
    node = Server(*push_flags(pki), *smtp.flags(SENDER), "--email-push-delay", str(DELAY), *NODE_FLAGS).start()
    try:
        alice, bob = node.register(display="Alice"), node.register()
        address = f"{bob.username}@example.com"
        register_token(bob, "email", address, device="web")
        send(alice, bob, "over smtps")
        [mail] = smtp.wait_for(1, token=address)
        assert mail.ok and mail.tls and mail.login == "parley" and "Alice: over smtps" in mail.text
    finally:
        node.cleanup()
        smtp.close()
        pki.cleanup()


def test_a_muted_group_mails_only_what_mentions_the_user(mailer):
    alice, bob = mailer.user("Alice"), mailer.user("Bob")
    group = make_group(alice, [bob], name="Busy room")
    bob.ok("PATCH", f"/v1/conversations/{group['conversationId']}", {"muted": True})
    at_a_window_start()
    send_group(alice, group["groupId"], "chatter bob muted")
    send_group(alice, group["groupId"], "bob, your turn", atUsers=[bob.id])
    [mail] = mailer.smtp.wait_for(1, token=bob.email)
    assert mail.subject == "New messages in Busy room"
    assert "Alice: bob, your turn" in mail.text and "chatter" not in mail.text, mail.text
