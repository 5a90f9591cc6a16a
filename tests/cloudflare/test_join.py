"""``Meeting.from_cloudflare``: one call creates (or finds) the meeting, adds (or reuses) the
participant through the official SDK, and joins; SDK failures are typed errors naming the call."""

from __future__ import annotations

import pytest
from cloudflare import Cloudflare

from rtk_widget.client import ChatError, Meeting
from rtk_widget.client.errors import (
    CloudflareAuthenticationError,
    CloudflareNotFoundError,
    CloudflareRequestError,
)
from rtk_widget.cloudflare import connect


@pytest.fixture
def account(shared_server):
    return shared_server.config.account_id


def participants(cf, server, meeting_id):
    listed = cf.realtime_kit.meetings.get_meeting_participants(
        meeting_id, account_id=server.config.account_id, app_id=server.config.app_id
    )
    return listed.data


def test_one_call_creates_a_meeting_adds_you_and_joins(cf, shared_server, account):
    meeting = Meeting.from_cloudflare(name="Ada", client=cf, account_id=account)  # app: the first app
    try:
        assert meeting.joined
        assert meeting.self.name == "Ada"
        assert meeting.self.preset_name == "group_call_host"
        assert meeting.self.permissions.can_pin
        sent = meeting.chat.send_text_message("hello from the SDK path")
        assert sent.message == "hello from the SDK path"
        (ada,) = participants(cf, shared_server, meeting.meeting_id)
        assert ada.id == meeting.self.user_id
    finally:
        meeting.leave()


def test_joining_a_meeting_again_reuses_the_participant(cf, shared_server, account):
    app = shared_server.config.app_id
    created = cf.realtime_kit.meetings.create(app, account_id=account, title="Seminar").data
    first = Meeting.from_cloudflare(
        created.id, name="Bob", client=cf, account_id=account, app_id=app, custom_participant_id="bob"
    )
    first.leave()
    again = Meeting.from_cloudflare(
        created.id, name="Bob", client=cf, account_id=account, app_id=app, custom_participant_id="bob"
    )
    try:
        assert again.self.user_id == first.self.user_id
        assert again.self.preset_name == "group_call_participant"
        assert not again.self.permissions.can_pin
        assert again.title == "Seminar"
        assert [p.custom_participant_id for p in participants(cf, shared_server, created.id)] == ["bob"]
    finally:
        again.leave()


def test_the_sdk_environment_and_base_url(monkeypatch, shared_server):
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", shared_server.api_token)
    monkeypatch.setenv("CLOUDFLARE_ACCOUNT_ID", shared_server.config.account_id)
    monkeypatch.setenv("CLOUDFLARE_REALTIMEKIT_APP_ID", shared_server.config.app_id)
    meeting = Meeting.from_cloudflare(name="Cy", base_url=shared_server.base_url, join=False)
    try:
        assert not meeting.joined
        assert meeting.api_base.startswith(shared_server.base_url)
        meeting.join()
        assert meeting.joined
    finally:
        meeting.leave()


def test_a_client_for_cloudflare_means_realtimekit_urls():
    client = Cloudflare(api_token="unused")
    app = connect(client, account_id="acc", app_id="app")  # nothing is called
    assert app.server_url is None  # so the participant joins on RealtimeKit's own URLs
    client.close()


def test_failures_are_typed_and_name_the_call(cf, shared_server, account, monkeypatch):
    app = shared_server.config.app_id
    wrong = Cloudflare(api_token="wrong", base_url=f"{shared_server.base_url}/client/v4", max_retries=0)
    with pytest.raises(CloudflareAuthenticationError, match=r"realtime_kit\.apps\.get failed \(HTTP 401\)"):
        Meeting.from_cloudflare(name="X", client=wrong, account_id=account)
    wrong.close()
    with pytest.raises(CloudflareNotFoundError, match="No meeting found with id nope") as missing:
        Meeting.from_cloudflare("nope", name="X", client=cf, account_id=account, app_id=app)
    assert missing.value.call == "realtime_kit.meetings.get_meeting_by_id"
    assert missing.value.status == 404
    assert missing.value.__cause__ is None  # one readable error; the SDK's stays reachable:
    assert type(missing.value.sdk_error).__name__ == "NotFoundError"
    with pytest.raises(CloudflareRequestError, match=r"this app's presets: .*group_call_host") as preset:
        Meeting.from_cloudflare(name="X", preset_name="nope", client=cf, account_id=account, app_id=app)
    assert preset.value.call == "realtime_kit.meetings.add_participant"
    assert isinstance(preset.value, ChatError)
    monkeypatch.delenv("CLOUDFLARE_API_TOKEN", raising=False)
    monkeypatch.delenv("CLOUDFLARE_API_KEY", raising=False)
    with pytest.raises(CloudflareAuthenticationError, match="CLOUDFLARE_API_TOKEN"):
        Meeting.from_cloudflare(name="X", account_id=account)
    monkeypatch.delenv("CLOUDFLARE_ACCOUNT_ID", raising=False)
    with pytest.raises(CloudflareRequestError, match="CLOUDFLARE_ACCOUNT_ID"):
        Meeting.from_cloudflare(name="X", client=cf)
