"""What another participant sends cannot break this client, and the runtime reports errors truly."""

from __future__ import annotations

import asyncio

import pytest
from protocol_client import join_all

from rtk_widget.client import CustomMessage, FileMessage, Meeting
from rtk_widget.client.messages import from_proto
from rtk_widget.client.runtime import get_runtime
from rtk_widget.wire.chat_pb2 import ChatMessage

from .helpers import wait_until_async

DEEP = "[" * 60_000 + "]" * 60_000


def test_deeply_nested_payloads_parse_as_plain_strings():
    custom = from_proto(ChatMessage(chat_id="m1", payload_type=3, payload=DEEP))
    assert isinstance(custom, CustomMessage)
    assert custom.data == {"message": DEEP}
    file = from_proto(ChatMessage(chat_id="m2", payload_type=2, payload=DEEP))
    assert isinstance(file, FileMessage)
    assert (file.link, file.name, file.size) == (DEEP, "", 0)


async def test_a_deep_custom_payload_from_another_participant_arrives_and_the_chat_goes_on(server):
    meeting = await server.admin.create_meeting(title="hostile")
    ada = await server.admin.add_participant(meeting["id"], name="Ada", preset_name="group_call_host",
                                            custom_participant_id="ada")
    eve = await server.admin.add_participant(meeting["id"], name="Eve", preset_name="group_call_host",
                                            custom_participant_id="eve")
    async with Meeting(ada["token"], base_url=server.base_url) as reader:
        (writer,) = await join_all(server.base_url, meeting["id"], [eve])
        try:
            bomb = await writer.send(3, '{"x": "y", "deep": ' + "[" * 7000 + "]" * 7000 + "}")
            after = await writer.send_text("after the bomb")
            await wait_until_async(reader.chat, "chatUpdate",
                                   lambda: after.chat_id in [m.id for m in reader.chat.messages])
        finally:
            await writer.close()
        assert [m.id for m in reader.chat.messages] == [bomb.chat_id, after.chat_id]
        (custom, text) = reader.chat.messages
        assert isinstance(custom, CustomMessage)
        assert "deep" not in custom.data  # refused as JSON, kept as its raw text
        assert text.text == "after the bomb"


def test_a_timeout_raised_inside_a_call_is_not_reported_as_the_wait_timing_out():
    async def gives_up() -> None:
        raise TimeoutError("the server did not answer in time")

    with pytest.raises(TimeoutError, match="the server did not answer in time"):
        get_runtime().run(gives_up(), timeout=30)


def test_the_wait_itself_timing_out_cancels_the_call():
    started = asyncio.Event()

    async def forever() -> None:
        started.set()
        await asyncio.Event().wait()

    with pytest.raises(TimeoutError, match=r"no result within 0\.2 s"):
        get_runtime().run(forever(), timeout=0.2)
