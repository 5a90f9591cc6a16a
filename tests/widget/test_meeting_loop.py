"""A widget needs its meeting on rtk-widget's network thread, and says so otherwise."""

from __future__ import annotations

import asyncio

import pytest

from rtk_widget import ChatWidget, Meeting


async def test_a_meeting_on_the_programs_own_loop_is_refused_with_the_reason():
    meeting = Meeting.local("Ada", join=False, loop=asyncio.get_running_loop())
    await meeting.join_async()
    try:
        assert meeting.loop is asyncio.get_running_loop()
        assert meeting.attached
        with pytest.raises(ValueError, match=r"ChatWidget\(meeting\).*own event loop.*without loop="):
            ChatWidget(meeting)
    finally:
        await meeting.leave_async()


def test_a_meeting_on_the_network_thread_is_accepted():
    meeting = Meeting.local("Ada")
    try:
        assert meeting.loop.is_running()
        assert not meeting.attached
        ChatWidget(meeting).close()
    finally:
        meeting.leave()
