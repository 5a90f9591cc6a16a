"""A joined meeting on the embedded server, a second participant, and a widget with a send recorder."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from rtk_widget import Meeting
from rtk_widget.widget import ChatWidget

from .support import Recorder


@pytest.fixture
def ada() -> Iterator[Meeting]:
    meeting = Meeting.local(display_name="Ada")
    yield meeting
    meeting.leave()


@pytest.fixture
def bob(ada: Meeting) -> Iterator[Meeting]:
    meeting = Meeting.local(display_name="Bob", meeting=ada)
    yield meeting
    meeting.leave()


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def widget(ada: Meeting, recorder: Recorder) -> Iterator[ChatWidget]:
    chat = ChatWidget(ada)
    chat.send = recorder  # type: ignore[method-assign]
    yield chat
    chat.close()
