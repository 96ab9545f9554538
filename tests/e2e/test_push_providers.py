"""Push through FCM (OAuth with a service account), HMS, MiPush and the signed push webhook, and
the event webhook signed with --event-webhook-secret; each provider a loopback stand-in."""
import json
import time
import uuid

import pytest

from parley import Server
from push_helpers import NODE_FLAGS, quiet_hours, register_token, send, settings, token_ids, wait_entry
from push_standins import (FCM_SCOPE, JWT_BEARER, FcmStandIn, HmsStandIn, MiPushStandIn, TestPKI, WebhookReceiver,
                           fcm_error, hms_error, mipush_error, push_flags)


class Providers:
    def __init__(self):
        self.pki = TestPKI()
        self.fcm = FcmStandIn(self.pki)
        self.hms = HmsStandIn(self.pki)
        self.mipush = MiPushStandIn(self.pki)
        self.hook = WebhookReceiver(secret="push-" + uuid.uuid4().hex, pki=self.pki)
        self.events = WebhookReceiver(secret="events-" + uuid.uuid4().hex, path="/events")
        self.node = Server(*push_flags(self.pki, self.fcm, self.hms, self.mipush, self.hook), *self.events.event_flags(),
                           *NODE_FLAGS).start()

    def user(self, display=None, **tokens):
        """A user with a token of each provider named (provider="token"); ids in user.token_ids."""
        user = self.node.register(display=display)
        user.token_ids = {provider: register_token(user, provider, token, device=provider)
                          for provider, token in tokens.items()}
        return user

    def close(self):
        self.node.cleanup()
        for standin in (self.fcm, self.hms, self.mipush, self.hook, self.events):
            standin.close()
        self.pki.cleanup()


@pytest.fixture(scope="module")
def providers():
    p = Providers()
    yield p
    p.close()


def fresh(prefix):
    return f"{prefix}-{uuid.uuid4().hex}"


def badge_as_text(data):
    """The payload JSON with its badge as text: the contract does not say number or string."""
    return {**data, "badge": str(data.get("badge"))}


def test_fcm_gets_an_oauth_token_from_the_service_account_and_the_payload(providers):
    fcm = providers.fcm
    token = fresh("fcm")
    alice, bob = providers.user("Alice"), providers.user("Bob", fcm=token)
    first = send(alice, bob, "hello over fcm")
    [got] = fcm.wait_for(1, kind="send", token=token)
    oauth = fcm.oauth_requests()
    assert oauth and oauth[0].ok and oauth[0].body["grant_type"] == JWT_BEARER
    claims, header = oauth[0].claims, oauth[0].jwt_header
    assert header["alg"] == "RS256" and header.get("typ") == "JWT" and header.get("kid") == fcm.private_key_id
    assert (claims["iss"], claims["scope"], claims["aud"]) == (fcm.client_email, FCM_SCOPE, fcm.token_uri)
    assert claims["exp"] == claims["iat"] + 3600 and abs(claims["iat"] - time.time()) < 120
    assert got.ok and got.path == f"/v1/projects/{fcm.project_id}/messages:send"
    assert got.headers["authorization"] == "Bearer " + oauth[-1].reply_body["access_token"]
    cid, mid = first["conversationId"], first["messageId"]
    assert got.body == {"message": {
        "token": token,
        "notification": {"title": "Alice", "body": "hello over fcm"},
        "data": {"conversationId": cid, "messageId": mid, "badge": "1"},
        "android": {"collapse_key": cid, "priority": "HIGH",
                    "notification": {"tag": cid, "notification_count": 1, "notification_priority": "PRIORITY_DEFAULT",
                                     "default_sound": True}}}}
    entry = wait_entry(bob, mid, bob.token_ids["fcm"])
    assert (entry["status"], entry["provider"]) == ("sent", "fcm")
    # The access token is cached: the next push asks for none.
    oauth_count = len(fcm.oauth_requests())
    second = send(alice, bob, "again")
    [again] = fcm.wait_for(1, kind="send", token=token, message_id=second["messageId"])
    assert again.body["message"]["data"]["badge"] == "2" and again.body["message"]["android"]["notification"]["notification_count"] == 2
    assert len(fcm.oauth_requests()) == oauth_count


def test_fcm_fetches_a_new_access_token_after_a_401(providers):
    fcm = providers.fcm
    token = fresh("fcm")
    alice, bob = providers.user("Alice"), providers.user("Bob", fcm=token)
    warm = send(alice, bob, "warm up")
    fcm.wait_for(1, kind="send", token=token, message_id=warm["messageId"])
    oauth_count = len(fcm.oauth_requests())
    fcm.revoke_access_tokens()
    ack = send(alice, bob, "after a revocation")
    tries = fcm.wait_for(2, kind="send", token=token, message_id=ack["messageId"])
    assert [r.status for r in tries] == [401, 200]
    assert len(fcm.oauth_requests()) == oauth_count + 1
    assert tries[1].headers["authorization"] != tries[0].headers["authorization"]
    assert wait_entry(bob, ack["messageId"], bob.token_ids["fcm"])["status"] == "sent"


def test_fcm_quiet_hours_are_silent(providers):
    token = fresh("fcm")
    alice, bob = providers.user("Alice"), providers.user("Bob", fcm=token)
    settings(bob, quietHours=quiet_hours(True))
    ack = send(alice, bob, "shh")
    [got] = providers.fcm.wait_for(1, kind="send", token=token, message_id=ack["messageId"])
    notification = got.body["message"]["android"]["notification"]
    assert notification["notification_priority"] == "PRIORITY_MIN" and "default_sound" not in notification
    assert notification["notification_count"] == 1 and got.body["message"]["notification"]["body"] == "shh"


@pytest.mark.parametrize("reply, reason", [
    (fcm_error(404, "NOT_FOUND", "UNREGISTERED"), "UNREGISTERED"),
    (fcm_error(400, "INVALID_ARGUMENT", "INVALID_ARGUMENT", "The registration token is not a valid FCM registration token",
               field="message.token"), "INVALID_ARGUMENT"),
])
def test_dead_fcm_tokens_are_deleted(providers, reply, reason):
    token = fresh("fcm")
    alice, bob = providers.user("Alice"), providers.user("Bob", fcm=token)
    providers.fcm.script(token, [reply])
    ack = send(alice, bob, "to an uninstalled app")
    entry = wait_entry(bob, ack["messageId"], bob.token_ids["fcm"], status=("sent", "failed"))
    assert (entry["status"], entry["reason"], entry["attempts"]) == ("failed", reason, 1)
    assert token_ids(bob) == []


def test_an_invalid_argument_about_the_message_keeps_the_token(providers):
    """Only FCM's complaint about the token itself deletes it: a payload it refused (too large,
    say) is a failed push, not a dead device."""
    token = fresh("fcm")
    alice, bob = providers.user("Alice"), providers.user("Bob", fcm=token)
    providers.fcm.script(token, [fcm_error(400, "INVALID_ARGUMENT", "INVALID_ARGUMENT", "Message is too big",
                                           field="message")])
    ack = send(alice, bob, "refused payload")
    entry = wait_entry(bob, ack["messageId"], bob.token_ids["fcm"], status=("sent", "failed"))
    assert (entry["status"], entry["reason"]) == ("failed", "INVALID_ARGUMENT")
    assert token_ids(bob) == [bob.token_ids["fcm"]]


def test_fcm_retries_a_busy_answer(providers):
    token = fresh("fcm")
    alice, bob = providers.user("Alice"), providers.user("Bob", fcm=token)
    busy = fcm_error(429, "RESOURCE_EXHAUSTED", "QUOTA_EXCEEDED")
    providers.fcm.script(token, [(429, {"Retry-After": "1"}, busy[2])])
    ack = send(alice, bob, "busy")
    tries = providers.fcm.wait_for(2, kind="send", token=token, message_id=ack["messageId"])
    assert [r.status for r in tries] == [429, 200] and tries[1].at - tries[0].at >= 0.75
    entry = wait_entry(bob, ack["messageId"], bob.token_ids["fcm"])
    assert (entry["status"], entry["attempts"]) == ("sent", 2)
    assert token_ids(bob) == [bob.token_ids["fcm"]]


def test_hms_gets_client_credentials_and_the_payload(providers):
    hms = providers.hms
    token = fresh("hms")
    alice, bob = providers.user("Alice"), providers.user("Bob", hms=token)
    ack = send(alice, bob, "hello over hms")
    [got] = hms.wait_for(1, kind="send", token=token)
    [oauth, *_] = hms.oauth_requests()
    assert oauth.ok and oauth.body == {"grant_type": "client_credentials", "client_id": hms.client_id,
                                       "client_secret": hms.client_secret}
    assert got.ok and got.path == f"/v1/{hms.client_id}/messages:send"
    assert got.headers["authorization"] == "Bearer " + hms.oauth_requests()[-1].reply_body["access_token"]
    cid, mid = ack["conversationId"], ack["messageId"]
    message = got.body["message"]
    assert got.body["validate_only"] is False and message["token"] == [token]
    assert badge_as_text(json.loads(message["data"])) == {"conversationId": cid, "messageId": mid, "badge": "1"}
    assert message["android"] == {"collapse_key": -1, "urgency": "HIGH", "notification": {
        "title": "Alice", "body": "hello over hms", "tag": cid, "click_action": {"type": 3}, "importance": "NORMAL",
        "default_sound": True}}
    entry = wait_entry(bob, mid, bob.token_ids["hms"])
    assert (entry["status"], entry["provider"]) == ("sent", "hms")

    settings(bob, quietHours=quiet_hours(True))
    hushed = send(alice, bob, "quietly")
    [got] = hms.wait_for(1, kind="send", token=token, message_id=hushed["messageId"])
    notification = got.body["message"]["android"]["notification"]
    assert notification["importance"] == "LOW" and "default_sound" not in notification


def test_hms_dead_tokens_and_expired_access_tokens(providers):
    hms = providers.hms
    token, dead = fresh("hms"), fresh("hms")
    alice, bob = providers.user("Alice"), providers.user("Bob", hms=token)
    carol = providers.user("Carol", hms=dead)
    warm = send(alice, bob, "warm up")
    hms.wait_for(1, kind="send", token=token, message_id=warm["messageId"])
    hms.revoke_access_tokens()
    ack = send(alice, bob, "after a revocation")
    tries = hms.wait_for(2, kind="send", token=token, message_id=ack["messageId"])
    assert [r.status for r in tries] == [401, 200]
    assert tries[0].headers["authorization"] != tries[1].headers["authorization"]
    assert wait_entry(bob, ack["messageId"], bob.token_ids["hms"])["status"] == "sent"
    # A code 80200003 in a 200 answer means the same.
    hms.script(token, [hms_error("80200003", "OAuth token expired.")])
    again = send(alice, bob, "expired again")
    tries = hms.wait_for(2, kind="send", token=token, message_id=again["messageId"])
    assert [r.status for r in tries] == [200, 200] and [r.ok for r in tries] == [False, True]
    assert tries[0].headers["authorization"] != tries[1].headers["authorization"]
    assert wait_entry(bob, again["messageId"], bob.token_ids["hms"])["status"] == "sent"

    hms.script(dead, [hms_error("80300007", "All the tokens are invalid")])
    gone = send(alice, carol, "to a dead token")
    entry = wait_entry(carol, gone["messageId"], carol.token_ids["hms"], status=("sent", "failed"))
    assert (entry["status"], entry["reason"]) == ("failed", "80300007")
    assert token_ids(carol) == []


def test_mipush_gets_the_form_with_the_app_secret(providers):
    mi = providers.mipush
    token = fresh("mi")
    alice, bob = providers.user("Alice"), providers.user("Bob", mipush=token)
    first = send(alice, bob, "hello over mipush")
    [got] = mi.wait_for(1, token=token)
    cid, mid = first["conversationId"], first["messageId"]
    assert got.ok and got.headers["authorization"] == f"key={mi.app_secret}"
    assert got.headers["content-type"].startswith("application/x-www-form-urlencoded")
    form = got.body
    assert {k: form[k] for k in ("registration_id", "restricted_package_name", "title", "description", "pass_through",
                                 "notify_type", "extra.notify_foreground")} == \
        {"registration_id": token, "restricted_package_name": mi.package, "title": "Alice",
         "description": "hello over mipush", "pass_through": "0", "notify_type": "-1", "extra.notify_foreground": "1"}
    assert badge_as_text(json.loads(form["payload"])) == {"conversationId": cid, "messageId": mid, "badge": "1"}
    assert form["notify_id"].isdigit() and int(form["notify_id"]) < 2 ** 31
    assert wait_entry(bob, mid, bob.token_ids["mipush"])["status"] == "sent"

    settings(bob, quietHours=quiet_hours(True))
    second = send(alice, bob, "quietly")
    [got] = mi.wait_for(1, token=token, message_id=second["messageId"])
    assert got.body["notify_type"] == "0"
    assert got.body["notify_id"] == form["notify_id"], "one notification id per conversation"


def test_dead_mipush_tokens_are_deleted(providers):
    token = fresh("mi")
    alice, bob = providers.user("Alice"), providers.user("Bob", mipush=token)
    providers.mipush.script(token, [mipush_error(20301, "invalid registration id")])
    ack = send(alice, bob, "to an uninstalled app")
    entry = wait_entry(bob, ack["messageId"], bob.token_ids["mipush"], status=("sent", "failed"))
    assert (entry["status"], entry["reason"]) == ("failed", "mipush 20301")
    assert token_ids(bob) == []


def test_the_push_webhook_is_signed(providers):
    hook = providers.hook
    token = fresh("hook")
    alice, bob = providers.user("Alice"), providers.user("Bob", webhook=token)
    ack = send(alice, bob, "signed")
    [got] = hook.wait_for(1, token=token)
    assert got.ok and got.claims["valid"], got.error
    assert abs(got.claims["t"] - time.time()) < 60 and len(got.claims["v1"]) == 1
    assert got.body["messageId"] == ack["messageId"] and got.headers["parley-push-id"] == got.body["pushId"]
    assert wait_entry(bob, ack["messageId"], bob.token_ids["webhook"])["status"] == "sent"


def test_the_push_webhook_is_unsigned_without_a_secret():
    hook = WebhookReceiver()
    node = Server(*hook.flags(), *NODE_FLAGS).start()
    try:
        alice, bob = node.register(), node.register()
        token = fresh("hook")
        register_token(bob, "webhook", token)
        ack = send(alice, bob, "unsigned")
        [got] = hook.wait_for(1, token=token)
        assert got.ok and "parley-signature" not in got.headers and got.body["messageId"] == ack["messageId"]
    finally:
        node.cleanup()
        hook.close()


def test_the_event_webhook_is_signed_with_its_secret(providers):
    events = providers.events
    alice, bob = providers.user("Alice"), providers.user("Bob")
    ack = send(alice, bob, "an event")
    [got] = events.wait_for(1, where=lambda r: isinstance(r.body, dict) and r.message_id == ack["messageId"]
                                 and r.body.get("event") == "message.sent")
    assert got.ok and got.claims and got.claims["valid"], got.error
    assert got.headers["parley-event-id"] == got.body["eventId"] and got.headers["parley-attempt"] == "1"
