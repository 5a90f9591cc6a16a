"""A RealtimeKit webhook checked as a notebook receiver would: ``rtk-signature`` verified over the
raw body with the published key, and a ``meeting.chatSynced`` event turned into a DataFrame."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from protocol_client import ProtoClient

from rtk_widget.client.errors import WebhookSignatureError
from rtk_widget.cloudflare import chat_synced_dataframe, chat_synced_messages, verify_webhook
from tests.server.webhook_receiver import WebhookReceiver


async def _chat_synced(server, rtk, receiver):
    """One session (Ada says two things, leaves) and the chatSynced delivery it causes."""
    await rtk.kit.webhooks.create_webhook(
        rtk.app_id, account_id=rtk.account_id, name="nb", url=receiver.url, events=["meeting.chatSynced"]
    )
    meeting = await server.admin.create_meeting(title="Lab", session_keep_alive_time_in_secs=0)
    ada = await server.admin.add_participant(
        meeting["id"], name="Ada", preset_name="group_call_host", custom_participant_id="ada"
    )
    client = await ProtoClient.connect(server.base_url, ada, meeting["id"])
    await client.join()
    await client.send_text("first")
    await client.send_text("second")
    await client.close()
    (delivery,) = await receiver.wait_for("meeting.chatSynced")
    return delivery


async def test_a_signed_chat_synced_event_becomes_a_dataframe(server, rtk):
    async with WebhookReceiver() as receiver:
        delivery = await _chat_synced(server, rtk, receiver)
    async with httpx.AsyncClient() as http:
        pem = (await http.get(f"{server.base_url}/.well-known/webhooks.json")).json()["data"]["publicKey"]
    event = verify_webhook(delivery.body, delivery.headers, pem)
    assert event["event"] == "meeting.chatSynced"
    # The key may also be given as the URL publishing it (fetched off this loop: it blocks).
    by_url = await asyncio.to_thread(verify_webhook, delivery.body, delivery.headers, server.base_url)
    assert by_url == event
    frame = await asyncio.to_thread(chat_synced_dataframe, event)
    assert list(frame["text"]) == ["first", "second"]
    assert set(frame["display_name"]) == {"Ada"}


async def test_a_forged_or_unsigned_delivery_is_refused(server, rtk):
    async with WebhookReceiver() as receiver:
        delivery = await _chat_synced(server, rtk, receiver)
    pem = await asyncio.to_thread(lambda: httpx.get(f"{server.base_url}/.well-known/webhooks.json").json())
    key = pem["data"]["publicKey"]
    tampered = delivery.body.replace(b'"Lab"', b'"Lax"')
    assert tampered != delivery.body
    with pytest.raises(WebhookSignatureError, match="does not match"):
        verify_webhook(tampered, delivery.headers, key)
    with pytest.raises(WebhookSignatureError, match="no rtk-signature"):
        verify_webhook(delivery.body, {"content-type": "application/json"}, key)
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    other_pem = other.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    with pytest.raises(WebhookSignatureError):
        verify_webhook(delivery.body, delivery.headers, other_pem)
    with pytest.raises(ValueError, match=r"not a meeting\.chatSynced"):
        chat_synced_messages({"event": "meeting.started"})
