"""The ``*_async`` twins, awaited from another event loop (the test's), against the server fixture.

The server runs on the test's loop here, so these tests must never call a blocking twin.
"""

from __future__ import annotations

import asyncio
import threading

import pytest

from rtk_widget.client import Meeting, RateLimitedError
from rtk_widget.client.runtime import get_runtime
from rtk_widget.server import ServerConfig
from rtk_widget.wire.codes import ErrorCode

from .helpers import Recorder, wait_until_async


@pytest.fixture
def server_config() -> ServerConfig:
    return ServerConfig(host="127.0.0.1", port=0, data_dir=None, text_rate=3, rate_window_s=60.0)


async def test_async_twins_work_from_a_foreign_loop(server, make_meeting):
    meeting, (ada, bob) = await make_meeting("ada", "bob")
    assert asyncio.get_running_loop() is not get_runtime().loop
    async with Meeting(ada["token"], base_url=server.base_url) as a, \
            Meeting(bob["token"], base_url=server.base_url) as b:
        assert a.self.user_id == ada["id"]
        assert a.title == "Test meeting"
        news = Recorder(b.chat, "newMessage")
        sent = await asyncio.gather(a.chat.send_text_message_async("one"),
                                    a.chat.send_text_message_async("two"))
        assert sorted(m.text for m in sent) == ["one", "two"]
        await wait_until_async(b.chat, "chatUpdate", lambda: len(b.chat.messages) == 2)
        assert [m.id for m in b.chat.messages] == [m.id for m in sorted(sent, key=lambda m: m.seq)]
        assert sorted(m.id for m in news.wait_for(2)) == sorted(m.id for m in sent)
        assert threading.current_thread().name not in news.threads  # callbacks ran elsewhere
        pinned = await a.chat.pin_async(sent[0].id)
        assert pinned.pinned
        page = await b.chat.fetch_pinned_messages_async(timestamp=0)
        assert [m.id for m in page] == [sent[0].id]
        found = await b.chat.search_messages_async("two")
        assert [m.text for m in found] == ["two"]
        await a.chat.delete_message_async(sent[1].id)
        await wait_until_async(b.chat, "chatUpdate", lambda: len(b.chat.messages) == 1)
    assert not a.joined
    assert not b.joined
    assert meeting["id"] == a.meeting_id


async def test_the_servers_rate_limit_is_a_typed_error(server, make_meeting):
    _, (ada,) = await make_meeting("ada")
    async with Meeting(ada["token"], base_url=server.base_url) as a:
        resets = Recorder(a.chat, "rateLimitReset")
        for i in range(3):
            await a.chat.send_text_message_async(f"m{i}")
        with pytest.raises(RateLimitedError) as refused:
            await a.chat.send_text_message_async("one too many")
        assert refused.value.code is ErrorCode.RATE_LIMITED
        assert 0 < refused.value.retry_after <= 60
        assert [m.text for m in a.chat.messages] == ["m0", "m1", "m2"]
        assert resets.payloads == []  # announced only once the window has room again


async def test_blocking_twins_refuse_to_run_on_the_network_thread(server, make_meeting):
    _, (ada,) = await make_meeting("ada")
    a = Meeting(ada["token"], base_url=server.base_url)
    await a.join_async()

    async def inside() -> str:
        try:
            a.chat.send_text_message("deadlock?")
        except RuntimeError as exc:
            return str(exc)
        return "no error"

    assert "_async" in await get_runtime().run_async(inside())
    await a.leave_async()
