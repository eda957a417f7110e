"""Channels: the real Twilio SDK against a local fake Twilio, the console channel, and picking between them."""

from __future__ import annotations

import socket
from zoneinfo import ZoneInfo

import pytest

from config.settings import Settings, SettingsError
from dispatch.channels.base import SendFailed
from dispatch.channels.console import ConsoleChannel
from dispatch.channels.factory import channel_for
from dispatch.channels.twilio import RedirectingHttpClient, TwilioChannel
from tests.fake_twilio import FakeTwilio

FROM = "+15005550006"
CITIZEN = "+886912345678"
TWIML = "<Response><Say language='zh-TW'>您有一件新案件</Say></Response>"


def _channel(fake: FakeTwilio, *, timeout: float = 5.0, auth_token: str | None = None) -> TwilioChannel:
    return TwilioChannel(
        fake.account_sid, auth_token or fake.auth_token, FROM, api_base_url=fake.base_url, timeout=timeout
    )


def _settings(**twilio: str | None) -> Settings:
    return Settings(env="test", database_url="sqlite://", secret_key="x", timezone=ZoneInfo("Asia/Taipei"), **twilio)


def test_an_sms_is_accepted_and_arrives_with_to_from_body_and_callback(fake_twilio: FakeTwilio) -> None:
    accepted = _channel(fake_twilio).send_sms(to=CITIZEN, body="案件 A-001 已受理", status_callback="https://x/cb/1")

    assert accepted.status == "queued"
    assert accepted.provider_id.startswith("SM") and len(accepted.provider_id) == 34
    [received] = fake_twilio.accepted("sms")
    assert (received.to, received.from_, received.body) == (CITIZEN, FROM, "案件 A-001 已受理")
    assert received.status_callback == "https://x/cb/1"
    assert received.sid == accepted.provider_id


def test_a_call_is_accepted_with_its_twiml_and_all_status_events(fake_twilio: FakeTwilio) -> None:
    accepted = _channel(fake_twilio).place_call(to=CITIZEN, twiml=TWIML, status_callback="https://x/cb/2")

    assert accepted.provider_id.startswith("CA") and len(accepted.provider_id) == 34
    [received] = fake_twilio.accepted("call")
    assert (received.to, received.from_, received.twiml) == (CITIZEN, FROM, TWIML)
    assert received.status_callback_events == ["initiated", "ringing", "answered", "completed"]


def test_no_status_callback_sends_none(fake_twilio: FakeTwilio) -> None:
    channel = _channel(fake_twilio)
    channel.send_sms(to=CITIZEN, body="hi", status_callback=None)
    channel.place_call(to=CITIZEN, twiml=TWIML, status_callback=None)

    sms, call = fake_twilio.requests
    assert sms.status_callback is None and call.status_callback is None
    assert call.status_callback_events == []


def test_the_fake_lists_accepted_messages_by_recipient(fake_twilio: FakeTwilio) -> None:
    channel = _channel(fake_twilio)
    channel.send_sms(to=CITIZEN, body="one", status_callback=None)
    channel.send_sms(to="+886922222222", body="two", status_callback=None)
    fake_twilio.fail_next(1)
    with pytest.raises(SendFailed):
        channel.send_sms(to=CITIZEN, body="failed", status_callback=None)

    listed = channel._client.messages.list(to=CITIZEN)

    assert [m.body for m in listed] == ["one"]


def test_a_500_is_temporary_and_not_counted_as_sent(fake_twilio: FakeTwilio) -> None:
    fake_twilio.fail_next(1, status=500)

    with pytest.raises(SendFailed) as failed:
        _channel(fake_twilio).send_sms(to=CITIZEN, body="hi", status_callback=None)

    assert failed.value.permanent is False
    assert "500" in failed.value.reason
    [received] = fake_twilio.requests
    assert received.sid is None and received.failure == "http 500"
    assert fake_twilio.accepted() == []


def test_429_is_temporary(fake_twilio: FakeTwilio) -> None:
    fake_twilio.fail_next(1, status=429)

    with pytest.raises(SendFailed) as failed:
        _channel(fake_twilio).send_sms(to=CITIZEN, body="hi", status_callback=None)

    assert failed.value.permanent is False and failed.value.code == 20429


def test_a_timeout_is_temporary_and_says_how_long_it_waited(fake_twilio: FakeTwilio) -> None:
    fake_twilio.timeout_next(1, 2)

    with pytest.raises(SendFailed) as failed:
        _channel(fake_twilio, timeout=0.5).send_sms(to=CITIZEN, body="hi", status_callback=None)

    assert failed.value.permanent is False
    assert "did not answer within 0.5s" in failed.value.reason
    assert fake_twilio.accepted() == []


def test_the_channel_recovers_after_a_timeout(fake_twilio: FakeTwilio) -> None:
    channel = _channel(fake_twilio, timeout=0.5)
    fake_twilio.timeout_next(1, 2)
    with pytest.raises(SendFailed):
        channel.send_sms(to=CITIZEN, body="hi", status_callback=None)

    channel.send_sms(to=CITIZEN, body="hi", status_callback=None)

    assert len(fake_twilio.accepted()) == 1 and fake_twilio.duplicates() == {}


def test_a_non_mobile_number_is_refused_permanently(fake_twilio: FakeTwilio) -> None:
    fake_twilio.refuse(CITIZEN, code=21614)

    with pytest.raises(SendFailed) as failed:
        _channel(fake_twilio).send_sms(to=CITIZEN, body="hi", status_callback=None)

    assert failed.value.permanent is True and failed.value.code == 21614
    assert failed.value.reason == "Twilio 21614: 'To' number is not a mobile number"
    assert fake_twilio.accepted() == []


def test_an_unsubscribed_recipient_is_permanent(fake_twilio: FakeTwilio) -> None:
    fake_twilio.refuse(CITIZEN, code=21610)

    with pytest.raises(SendFailed) as failed:
        _channel(fake_twilio).place_call(to=CITIZEN, twiml=TWIML, status_callback=None)

    assert failed.value.permanent is True and failed.value.code == 21610


def test_an_unknown_4xx_is_permanent(fake_twilio: FakeTwilio) -> None:
    fake_twilio.refuse(CITIZEN, code=21999, status=400)

    with pytest.raises(SendFailed) as failed:
        _channel(fake_twilio).send_sms(to=CITIZEN, body="hi", status_callback=None)

    assert failed.value.permanent is True and failed.value.code == 21999


def test_bad_credentials_are_kept_for_a_retry_once_the_settings_are_fixed(fake_twilio: FakeTwilio) -> None:
    with pytest.raises(SendFailed) as failed:
        _channel(fake_twilio, auth_token="wrong").send_sms(to=CITIZEN, body="hi", status_callback=None)

    # Every alert would fail alike: none is given up, and fixed settings send them all.
    assert failed.value.permanent is False and failed.value.code == 20003
    assert "TWILIO_AUTH_TOKEN" in failed.value.reason
    assert fake_twilio.accepted() == []


def test_twilio_unreachable_is_temporary() -> None:
    with socket.socket() as sock:  # a port nothing listens on once closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    channel = TwilioChannel("AC" + "0" * 32, "token", FROM, api_base_url=f"http://127.0.0.1:{port}", timeout=1)

    with pytest.raises(SendFailed) as failed:
        channel.send_sms(to=CITIZEN, body="hi", status_callback=None)

    assert failed.value.permanent is False and "could not reach Twilio" in failed.value.reason


def test_a_failure_rate_is_reproducible(fake_twilio: FakeTwilio) -> None:
    channel = _channel(fake_twilio)

    def outcomes() -> list[bool]:
        fake_twilio.reset()
        fake_twilio.failure_rate(0.5, seed=7)
        results = []
        for i in range(20):
            try:
                channel.send_sms(to=CITIZEN, body=f"n{i}", status_callback=None)
                results.append(True)
            except SendFailed as exc:
                assert exc.permanent is False
                results.append(False)
        return results

    first = outcomes()
    assert first == outcomes()
    assert 0 < first.count(True) < 20
    assert len(fake_twilio.accepted()) == first.count(True)


def test_only_twilio_hosts_are_redirected() -> None:
    client = RedirectingHttpClient("http://127.0.0.1:9999/fake", timeout=1)

    assert (
        client.rewrite("https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json?To=%2B1")
        == "http://127.0.0.1:9999/fake/2010-04-01/Accounts/AC1/Messages.json?To=%2B1"
    )
    assert client.rewrite("https://api.sydney.au1.twilio.com/x") == "http://127.0.0.1:9999/fake/x"
    assert client.rewrite("https://example.com/x") == "https://example.com/x"
    assert client.rewrite("https://eviltwilio.com/x") == "https://eviltwilio.com/x"


def test_the_console_channel_records_and_never_touches_the_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("the console channel opened a socket")

    monkeypatch.setattr(socket, "socket", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    channel = ConsoleChannel()

    sms = channel.send_sms(to=CITIZEN, body="hi", status_callback="https://x/cb")
    call = channel.place_call(to=CITIZEN, twiml=TWIML, status_callback=None)

    assert channel.name == "console"
    assert sms.status == call.status == "delivered"
    assert sms.provider_id.startswith("console-") and sms.provider_id != call.provider_id
    assert list(channel.sent) == [("sms", CITIZEN, "hi"), ("call", CITIZEN, TWIML)]


def test_the_console_keeps_only_the_latest_thousand() -> None:
    channel = ConsoleChannel()
    for i in range(1005):
        channel.send_sms(to=CITIZEN, body=str(i), status_callback=None)

    assert len(channel.sent) == 1000 and channel.sent[0].content == "5"


def test_channel_for_picks_the_console_without_twilio_settings() -> None:
    channel = channel_for(_settings())

    assert isinstance(channel, ConsoleChannel)
    assert channel is channel_for(_settings(twilio_account_sid="AC1"))  # a SID alone is not configured


def test_channel_for_picks_twilio_when_configured(fake_twilio: FakeTwilio) -> None:
    settings = _settings(
        twilio_account_sid=fake_twilio.account_sid,
        twilio_auth_token=fake_twilio.auth_token,
        twilio_from_number=FROM,
        twilio_api_base_url=fake_twilio.base_url,
    )

    channel = channel_for(settings)
    channel.send_sms(to=CITIZEN, body="hi", status_callback=None)

    assert isinstance(channel, TwilioChannel) and channel.name == "twilio"
    assert channel is channel_for(settings)
    assert [r.from_ for r in fake_twilio.accepted()] == [FROM]


def test_channel_for_wants_a_from_number_with_twilio() -> None:
    with pytest.raises(SettingsError, match="TWILIO_FROM_NUMBER"):
        channel_for(_settings(twilio_account_sid="AC1", twilio_auth_token="t"))
