"""Self-test of the push stand-ins (push_standins.py) with plain Python clients: no Parley node.

If one of these fails, the push end-to-end tests' failures say nothing about Parley."""
import json
import smtplib
import threading
import time
import uuid
from email.message import EmailMessage

import httpx
import pytest
import requests

from push_standins import (FCM_SCOPE, JWT_BEARER, ApnsStandIn, FcmStandIn, HmsStandIn, MiPushStandIn, SmtpSink,
                           TestPKI, WebhookReceiver, fcm_error, hms_error, mipush_error, sign_jwt, sign_webhook)


@pytest.fixture(scope="module")
def pki():
    p = TestPKI()
    yield p
    p.cleanup()


def apns_jwt(apns, iat=None, key=None, kid=None):
    return sign_jwt({"alg": "ES256", "kid": kid or apns.key_id}, {"iss": apns.team_id, "iat": iat or int(time.time())},
                    key or apns.key)


def apns_post(client, apns, token, jwt, body=None, **headers):
    h = {"authorization": f"bearer {jwt}", "apns-topic": apns.topic, "apns-push-type": "alert",
         "apns-id": str(uuid.uuid4()).upper(), **headers}
    payload = body or {"aps": {"alert": {"title": "t", "body": "b"}}, "messageId": "m-" + token[:6], "conversationId": "c"}
    return client.post(f"{apns.url}/3/device/{token}", headers=h, content=json.dumps(payload))


def test_apns_http2_jwt_scripts_and_expiry(pki):
    from cryptography.hazmat.primitives.asymmetric import ec
    with ApnsStandIn(pki) as apns, httpx.Client(http2=True, verify=pki.client_context(), timeout=10) as client:
        token, flaky = "ab" * 32, "cd" * 32
        jwt = apns_jwt(apns)
        r = apns_post(client, apns, token, jwt)
        assert r.status_code == 200 and r.http_version == "HTTP/2" and r.headers["apns-id"]
        [got] = apns.wait_for(1, token=token)
        assert got.ok and got.http_version == "2" and got.claims["iss"] == apns.team_id
        assert got.jwt_header == {"alg": "ES256", "kid": apns.key_id}
        assert got.headers["apns-topic"] == apns.topic and got.message_id == "m-" + token[:6]

        apns.script(flaky, [(503, {"Retry-After": "1"}, {"reason": "ServiceUnavailable"}), (410, {}, {"reason": "Unregistered"})])
        r1, r2, r3 = (apns_post(client, apns, flaky, jwt) for _ in range(3))
        assert (r1.status_code, r1.headers["retry-after"], r1.json()) == (503, "1", {"reason": "ServiceUnavailable"})
        assert r2.status_code == 410 and r2.json()["reason"] == "Unregistered" and r2.json()["timestamp"] > 0
        assert r3.status_code == 200
        assert [r.ok for r in apns.received(token=flaky)] == [False, False, True]

        apns.always(flaky, (500, {}, {"reason": "InternalServerError"}))
        assert [apns_post(client, apns, flaky, jwt).status_code for _ in range(2)] == [500, 500]
        apns.always(flaky, None)
        assert apns_post(client, apns, flaky, jwt).status_code == 200

        # Slow answers: the request is recorded at once, answered after the delay.
        apns.script(token, [(200, {}, None, 0.5)])
        started = time.monotonic()
        assert apns_post(client, apns, token, jwt).status_code == 200 and time.monotonic() - started >= 0.45

        # Bad provider tokens.
        assert apns_post(client, apns, token, apns_jwt(apns, key=ec.generate_private_key(ec.SECP256R1()))).json() == \
            {"reason": "InvalidProviderToken"}
        assert apns_post(client, apns, token, apns_jwt(apns, kid="OTHERKEY00")).status_code == 403
        assert apns_post(client, apns, token, apns_jwt(apns, iat=int(time.time()) - 4000)).json() == \
            {"reason": "ExpiredProviderToken"}
        assert apns_post(client, apns, token, jwt, **{"apns-topic": "com.other"}).json() == {"reason": "TopicDisallowed"}
        apns.expire_provider_tokens()
        assert apns_post(client, apns, token, jwt).json() == {"reason": "ExpiredProviderToken"}
        fresh = apns_jwt(apns)
        while fresh == jwt:  # same second, deterministic signature: not possible with ECDSA's random nonce
            fresh = apns_jwt(apns)
        assert apns_post(client, apns, token, fresh).status_code == 200
        assert apns.jwts()[:1] == [jwt] and fresh in apns.jwts()


def test_apns_refuses_http1(pki):
    with ApnsStandIn(pki) as apns, httpx.Client(http1=True, http2=False, verify=pki.client_context(), timeout=10) as client:
        try:
            r = apns_post(client, apns, "ef" * 32, apns_jwt(apns))
        except httpx.HTTPError:
            return  # refused at the TLS/ALPN layer: fine too
        assert r.status_code == 505


def test_sandbox_instance_shares_the_key(pki):
    with ApnsStandIn(pki) as production, ApnsStandIn(pki, key_from=production) as sandbox:
        assert sandbox.key_file == production.key_file and sandbox.port != production.port
        assert sandbox.sandbox_flags() == ["--apns-sandbox-url", sandbox.url]
        with httpx.Client(http2=True, verify=pki.client_context(), timeout=10) as client:
            assert apns_post(client, sandbox, "12" * 32, apns_jwt(production)).status_code == 200
        assert production.received() == [] and len(sandbox.received()) == 1
        with open(production.key_file) as f:
            assert f.read().startswith("-----BEGIN PRIVATE KEY-----")


def test_fcm_oauth_and_send(pki):
    with FcmStandIn(pki) as fcm:
        with open(fcm.credentials_file) as f:
            account = json.load(f)
        assert account["token_uri"] == fcm.url + "/token" and account["private_key"].startswith("-----BEGIN PRIVATE KEY-----")
        from cryptography.hazmat.primitives import serialization
        key = serialization.load_pem_private_key(account["private_key"].encode(), None)
        now = int(time.time())
        claims = {"iss": account["client_email"], "scope": FCM_SCOPE, "aud": account["token_uri"], "iat": now, "exp": now + 3600}
        assertion = sign_jwt({"alg": "RS256", "typ": "JWT", "kid": account["private_key_id"]}, claims, key)
        r = requests.post(account["token_uri"], data={"grant_type": JWT_BEARER, "assertion": assertion}, verify=pki.ca_file, timeout=10)
        assert r.status_code == 200, r.text
        access = r.json()["access_token"]
        assert r.json()["token_type"] == "Bearer" and r.json()["expires_in"] > 3000
        [oauth] = fcm.oauth_requests()
        assert oauth.claims == claims and oauth.ok

        bad = sign_jwt({"alg": "RS256", "typ": "JWT"}, {**claims, "aud": "https://oauth2.googleapis.com/token"}, key)
        r = requests.post(account["token_uri"], data={"grant_type": JWT_BEARER, "assertion": bad}, verify=pki.ca_file, timeout=10)
        assert r.status_code == 400 and r.json()["error"] == "invalid_grant"

        send = f"{fcm.url}/v1/projects/{account['project_id']}/messages:send"
        body = {"message": {"token": "fcm-1", "notification": {"title": "t", "body": "b"},
                            "data": {"conversationId": "c", "messageId": "m1", "badge": "1"}}}
        headers = {"Authorization": f"Bearer {access}"}
        r = requests.post(send, json=body, headers=headers, verify=pki.ca_file, timeout=10)
        assert r.status_code == 200 and r.json()["name"].startswith(f"projects/{account['project_id']}/messages/")
        [sent] = fcm.sends()
        assert sent.token == "fcm-1" and sent.message_id == "m1" and sent.data["badge"] == "1" and sent.ok

        fcm.script("fcm-1", [fcm_error(404, "NOT_FOUND", "UNREGISTERED")])
        r = requests.post(send, json=body, headers=headers, verify=pki.ca_file, timeout=10)
        assert r.status_code == 404
        assert r.json()["error"]["details"][0]["errorCode"] == "UNREGISTERED"
        fcm.revoke_access_tokens()
        r = requests.post(send, json=body, headers=headers, verify=pki.ca_file, timeout=10)
        assert r.status_code == 401 and r.json()["error"]["status"] == "UNAUTHENTICATED"
        assert [s.status for s in fcm.sends()] == [200, 404, 401]


def test_hms_oauth_and_send(pki):
    with HmsStandIn(pki) as hms:
        r = requests.post(hms.token_url, data={"grant_type": "client_credentials", "client_id": hms.client_id,
                                               "client_secret": hms.client_secret}, verify=pki.ca_file, timeout=10)
        assert r.status_code == 200
        access = r.json()["access_token"]
        assert requests.post(hms.token_url, data={"grant_type": "client_credentials", "client_id": hms.client_id,
                                                  "client_secret": "wrong"}, verify=pki.ca_file, timeout=10).status_code == 400
        url = f"{hms.url}/v1/{hms.client_id}/messages:send"
        body = {"validate_only": False, "message": {"token": ["hms-1"], "data": json.dumps({"conversationId": "c", "messageId": "m", "badge": 2}),
                                                    "android": {"collapse_key": -1}}}
        headers = {"Authorization": f"Bearer {access}"}
        r = requests.post(url, json=body, headers=headers, verify=pki.ca_file, timeout=10)
        assert r.status_code == 200 and r.json()["code"] == "80000000"
        hms.script("hms-1", [hms_error("80300007", "All the tokens are invalid")])
        assert requests.post(url, json=body, headers=headers, verify=pki.ca_file, timeout=10).json()["code"] == "80300007"
        hms.revoke_access_tokens()
        r = requests.post(url, json=body, headers=headers, verify=pki.ca_file, timeout=10)
        assert r.status_code == 401 and r.json()["code"] == "80200003"
        assert [(s.token, s.data["badge"], s.ok) for s in hms.sends()] == [("hms-1", 2, True), ("hms-1", 2, False), ("hms-1", 2, False)]


def test_mipush_form_and_key(pki):
    with MiPushStandIn(pki) as mi:
        form = {"registration_id": "mi-1", "restricted_package_name": mi.package, "title": "t", "description": "b",
                "payload": json.dumps({"conversationId": "c", "messageId": "m", "badge": 1}), "pass_through": "0",
                "notify_type": "-1", "notify_id": "7", "extra.notify_foreground": "1"}
        url = mi.url + "/v3/message/regid"
        r = requests.post(url, data=form, headers={"Authorization": f"key={mi.app_secret}"}, verify=pki.ca_file, timeout=10)
        assert r.status_code == 200 and r.json()["result"] == "ok" and r.json()["code"] == 0
        assert requests.post(url, data=form, headers={"Authorization": "key=nope"}, verify=pki.ca_file, timeout=10).status_code == 401
        mi.script("mi-1", [mipush_error(20301, "invalid registration id")])
        r = requests.post(url, data=form, headers={"Authorization": f"key={mi.app_secret}"}, verify=pki.ca_file, timeout=10)
        assert r.json() ["code"] == 20301
        ok, refused, dead = mi.received()
        assert ok.body["extra.notify_foreground"] == "1" and ok.data["messageId"] == "m" and ok.ok
        assert refused.error and not dead.ok


def test_webhook_signature_and_staleness(pki):
    with WebhookReceiver(secret="s3cret") as hook, WebhookReceiver(pki=pki) as plain_tls:
        body = json.dumps({"token": "hook-1", "messageId": "m"}).encode()
        def post(signature, url=hook.endpoint, **kw):
            headers = {"Content-Type": "application/json", **({"Parley-Signature": signature} if signature else {})}
            return requests.post(url, data=body, headers=headers, timeout=10, **kw)
        assert post(sign_webhook("s3cret", body)).status_code == 200
        assert post(sign_webhook("wrong", body)).status_code == 401
        assert post(sign_webhook("s3cret", body, int(time.time()) - 3600)).status_code == 401
        assert post(None).status_code == 401
        good, wrong, stale, missing = hook.received()
        assert good.ok and good.claims["valid"] and good.token == "hook-1"
        assert wrong.error == "signature mismatch" and "stale" in stale.error and missing.error == "no Parley-Signature"
        # No secret: anything JSON is taken; HTTPS with the test CA.
        assert post(None, url=plain_tls.endpoint, verify=pki.ca_file).status_code == 200
        assert plain_tls.url.startswith("https://") and plain_tls.flags() == ["--push-webhook-url", plain_tls.endpoint]


def test_waits_time_out_with_what_was_received(pki):
    with WebhookReceiver() as hook:
        started = time.monotonic()
        with pytest.raises(AssertionError, match="fewer than 1"):
            hook.wait_for(1, timeout=0.3, token="never")
        assert time.monotonic() - started < 2
        threading.Timer(0.2, lambda: requests.post(hook.endpoint, json={"token": "later"}, timeout=10)).start()
        [later] = hook.wait_for(1, timeout=10, token="later")
        assert later.ok


def mail(to, subject, text):
    m = EmailMessage()
    m["From"], m["To"], m["Subject"] = "Parley <push@parley.test>", to, subject
    m.set_content(text)
    return m


def test_smtp_starttls_smtps_auth_and_scripts(pki):
    with SmtpSink(pki) as sink, SmtpSink(pki, implicit_tls=True, username="u", password="p") as tls_sink:
        with smtplib.SMTP("127.0.0.1", sink.port, timeout=10) as s:
            s.ehlo()
            assert s.has_extn("starttls")
            s.starttls(context=pki.client_context())
            s.send_message(mail("bob@example.com", "New messages from 爱丽丝", "爱丽丝: 你好\nAlice: second"))
        with smtplib.SMTP("127.0.0.1", sink.port, timeout=10) as s:  # plain, no STARTTLS
            s.send_message(mail("carol@example.com", "plain", "x"))
        sink.script("dave@example.com", ["451 4.3.0 try again later"])
        with smtplib.SMTP("127.0.0.1", sink.port, timeout=10) as s, pytest.raises(smtplib.SMTPDataError):
            s.send_message(mail("dave@example.com", "refused", "x"))
        first, plain, refused = sink.wait_for(3)
        assert first.subject == "New messages from 爱丽丝" and first.to == "bob@example.com" and first.tls
        assert "爱丽丝: 你好" in first.text and first.rcpt_tos == ["bob@example.com"] and first.ok
        assert not plain.tls and not refused.ok
        assert sink.url.startswith("smtp://") and tls_sink.url.startswith("smtps://")

        with smtplib.SMTP_SSL("127.0.0.1", tls_sink.port, context=pki.client_context(), timeout=10) as s:
            with pytest.raises(smtplib.SMTPAuthenticationError):
                s.login("u", "wrong")
            s.login("u", "p")
            s.send_message(mail("erin@example.com", "over smtps", "ü"))
        [over] = tls_sink.wait_for(1)
        assert over.tls and over.login == "u" and over.text.strip() == "ü"
        assert "--smtp-username" in tls_sink.flags()
