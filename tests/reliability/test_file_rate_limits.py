"""H2: images and files are limited to 20 a minute each, per participant (the SDK's figures).

The 21st in the window is refused by the client before anything is uploaded; a client
without that check (a second connection of the same participant, whose own counters are
fresh) is refused by the server with RATE_LIMITED and a retry-after. Either way the
connection stays usable and the other participants keep receiving.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from rtk_widget.client import Meeting, RateLimitedError
from rtk_widget.server import MeetingServer
from rtk_widget.wire.codes import ErrorCode
from tests.client.helpers import FAST, wait_until_async

from .support import all_records

LIMIT = 20  # ServerConfig.file_rate and the SDK's sendImageMessage / sendFileMessage limits
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(64))
CSV = b"a,b\n1,2\n"


@pytest.fixture
async def trio(server: MeetingServer, make_meeting: Any) -> AsyncIterator[tuple[Meeting, Meeting, Meeting]]:
    """Ada, a second connection of Ada (fresh client-side counters), and Bob; all joined."""
    _, (ada, bob) = await make_meeting("ada", "bob")
    joined = [Meeting(p["token"], base_url=server.base_url, backoff=FAST) for p in (ada, ada, bob)]
    for client in joined:
        await client.join_async()
    yield joined[0], joined[1], joined[2]
    for client in joined:
        await client.leave_async()


async def stored_types(server: MeetingServer, meeting_id: str) -> list[int]:
    return [r.payload_type for r in await all_records(server, meeting_id)]


async def send_image(client: Meeting, i: int) -> None:
    await client.chat.send_image_message_async(PNG, name=f"chart-{i}.png")


async def send_file(client: Meeting, i: int) -> None:
    await client.chat.send_file_message_async(CSV, name=f"table-{i}.csv")


@pytest.mark.parametrize(("send", "payload_type"), [(send_image, 1), (send_file, 2)],
                         ids=["image", "file"])
async def test_the_21st_in_the_window_is_refused_and_the_chat_carries_on(server, trio, send, payload_type):
    ada, ada_again, bob = trio
    for i in range(LIMIT):
        await send(ada, i)

    with pytest.raises(RateLimitedError) as by_client:
        await send(ada, LIMIT)
    assert by_client.value.code is None  # refused before reaching the server
    assert 0 < by_client.value.retry_after <= 60

    with pytest.raises(RateLimitedError) as by_server:
        await send(ada_again, LIMIT)
    assert by_server.value.code is ErrorCode.RATE_LIMITED
    assert 0 < by_server.value.retry_after <= 60
    assert await stored_types(server, ada.meeting_id) == [payload_type] * LIMIT

    # Both of Ada's connections still work, Bob is not limited by Ada's budget, and
    # everyone keeps receiving.
    text = await ada.chat.send_text_message_async("still connected")
    again = await ada_again.chat.send_text_message_async("me too")
    await send(bob, 0)
    everything = LIMIT + 3
    for client in trio:
        await wait_until_async(client.chat, "chatUpdate", lambda c=client: len(c.chat.messages) == everything)
        assert [m.id for m in client.chat.messages][LIMIT:LIMIT + 2] == [text.id, again.id]
        assert client.chat.messages[-1].user_id == bob.self.user_id


async def test_images_and_files_have_separate_windows(server, trio):
    """The SDK counts sendImageMessage and sendFileMessage apart: a client within both limits
    (20 images and 20 files) must never meet the server's limit."""
    ada, _, bob = trio
    for i in range(LIMIT):
        await send_image(ada, i)
        await send_file(ada, i)
    assert sorted(await stored_types(server, ada.meeting_id)) == [1] * LIMIT + [2] * LIMIT
    await wait_until_async(bob.chat, "chatUpdate", lambda: len(bob.chat.messages) == 2 * LIMIT)
