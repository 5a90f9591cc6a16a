"""``on_message(fn)``: a bot is one function whose return value is the reply (real meeting, two people)."""

from __future__ import annotations

import threading
from typing import Any

import pandas as pd
import pytest
from matplotlib.figure import Figure

from rtk_widget.client.messages import FileMessage, ImageMessage, Message, TextMessage

from .support import TIMEOUT, Watch


class Calls:
    """Records the messages a handler saw, and lets a test wait for one."""

    def __init__(self) -> None:
        self.seen: list[Message] = []
        self._changed = threading.Condition()

    def add(self, message: Message) -> None:
        with self._changed:
            self.seen.append(message)
            self._changed.notify_all()

    def wait_for_text(self, text: str) -> None:
        with self._changed:
            assert self._changed.wait_for(
                lambda: any(getattr(m, "text", None) == text for m in self.seen), TIMEOUT
            ), f"the handler never saw {text!r}; saw {[getattr(m, 'text', m.type) for m in self.seen]}"

    def texts(self) -> list[str | None]:
        with self._changed:
            return [getattr(m, "text", m.type) for m in self.seen]


def by(messages: list[Any], user_id: str) -> list[Any]:
    return [m for m in messages if m.user_id == user_id]


def test_the_return_value_is_the_reply_and_own_messages_are_skipped(widget, ada, bob):
    calls = Calls()

    def answer(message: Message) -> str | None:
        calls.add(message)
        text = getattr(message, "text", "")
        return f"Good question, {message.display_name}!" if text.endswith("?") else None

    widget.on_message(answer)
    widget.send_text("Ada's own question?")
    bob.chat.send_text_message("Is anyone here?")
    bob.chat.send_text_message("thanks")  # answered with None: no reply; also marks the end
    calls.wait_for_text("thanks")
    messages = Watch(widget).wait_for(lambda ms: any(getattr(m, "text", "") == "Good question, Bob!"
                                                     for m in ms))
    assert calls.texts() == ["Is anyone here?", "thanks"]
    assert [m.text for m in by(messages, ada.self.user_id)] == ["Ada's own question?", "Good question, Bob!"]


def test_include_own_passes_own_messages_but_never_the_handlers_own_replies(widget, ada, bob):
    calls = Calls()

    def echo(message: Message) -> str | None:
        calls.add(message)
        text = getattr(message, "text", "")
        return None if text == "end" else f"echo: {text}"

    widget.on_message(echo, include_own=True)
    widget.send_text("mine")
    bob.chat.send_text_message("end")
    calls.wait_for_text("end")
    # The reply to "mine" is Ada's own message; a bot that saw it would answer "echo: echo: mine".
    assert calls.texts() == ["mine", "end"]
    texts = [m.text for m in Watch(widget).wait_for(lambda ms: len(ms) >= 3)]
    assert texts == ["mine", "echo: mine", "end"]


def test_figures_and_dataframes_are_replied_as_an_image_and_a_csv_file(widget, ada, bob):
    def plot_or_table(message: Message) -> object:
        if getattr(message, "text", "") == "plot":
            figure = Figure(figsize=(1, 1))
            figure.add_subplot().plot([1, 2])
            return figure
        return pd.DataFrame({"week": [1, 2], "signups": [3, 4]})

    widget.on_message(plot_or_table)
    bob.chat.send_text_message("plot")
    bob.chat.send_text_message("table")
    mine = by(Watch(widget).wait_for(lambda ms: len(by(ms, ada.self.user_id)) >= 2), ada.self.user_id)
    assert isinstance(mine[0], ImageMessage)
    assert mine[0].link.endswith("/figure.png")
    assert isinstance(mine[1], FileMessage)
    assert (mine[1].name, mine[1].size) == ("data.csv", len(b"week,signups\n1,3\n2,4\n"))


def test_a_private_message_is_answered_privately(widget, ada, bob):
    widget.on_message(lambda message: "just between us")
    bob.chat.send_text_message("psst", [ada.peer_id])
    reply = by(Watch(widget).wait_for(lambda ms: len(by(ms, ada.self.user_id)) == 1), ada.self.user_id)[0]
    assert isinstance(reply, TextMessage)
    assert set(reply.target_user_ids) == {bob.self.user_id, ada.self.user_id}


def test_an_exception_is_shown_and_the_subscription_lives_on(widget, ada, bob, capfd):
    calls = Calls()

    def fragile(message: Message) -> str:
        calls.add(message)
        if getattr(message, "text", "") == "boom":
            raise RuntimeError("the bot broke")
        return "still here"

    widget.on_message(fragile)
    errors = Watch(widget, "last_error")
    bob.chat.send_text_message("boom")
    errors.wait_for(lambda e: e is not None)
    assert widget.last_error == {
        "code": "internal",
        "message": "on_message callback fragile() failed: RuntimeError: the bot broke",
    }
    assert "RuntimeError: the bot broke" in capfd.readouterr().err  # the traceback, printed
    bob.chat.send_text_message("again")
    replies = Watch(widget).wait_for(lambda ms: any(getattr(m, "text", "") == "still here" for m in ms))
    assert [m.text for m in by(replies, ada.self.user_id)] == ["still here"]


def test_a_return_value_that_cannot_be_sent_is_shown(widget, bob):
    def wrong(message: Message) -> int:
        return 42

    widget.on_message(wrong)
    bob.chat.send_text_message("hi")
    Watch(widget, "last_error").wait_for(lambda e: e is not None)
    error = widget.last_error
    assert "may return text, a matplotlib Figure, a PIL Image" in error["message"]
    assert error["message"].endswith("it returned int")


def test_unsubscribing_stops_the_bot_and_non_functions_are_refused(widget, ada, bob):
    calls = Calls()
    subscription = widget.on_message(calls.add)
    bob.chat.send_text_message("one")
    calls.wait_for_text("one")
    subscription()
    later = Calls()
    widget.on_message(later.add)
    bob.chat.send_text_message("two")
    later.wait_for_text("two")
    assert calls.texts() == ["one"]
    with pytest.raises(TypeError, match="on_message needs a function, got str"):
        widget.on_message("print")  # type: ignore[arg-type]


def test_the_client_chat_has_the_same_names_and_the_same_bot(ada, bob, capfd):
    chat_type = type(bob.chat)
    assert chat_type.send_text is chat_type.send_text_message
    assert chat_type.send_image_async is chat_type.send_image_message_async
    assert chat_type.delete is chat_type.delete_message
    calls = Calls()

    def answer(message: Message) -> str | None:
        calls.add(message)
        if getattr(message, "text", "") == "boom":
            raise RuntimeError("client bot broke")
        return "pong" if getattr(message, "text", "") == "ping" else None

    stop = bob.chat.on_message(answer)
    ada.chat.send_text("ping")
    ada.chat.send_text("boom")
    ada.chat.send_text("done")
    calls.wait_for_text("done")
    assert calls.texts() == ["ping", "boom", "done"]  # never bob's own "pong"
    assert "RuntimeError: client bot broke" in capfd.readouterr().err
    assert [m.text for m in bob.chat.messages if m.user_id == bob.self.user_id] == ["pong"]

    stop()
    later = Calls()
    bob.chat.on_message(later.add)
    ada.chat.send_text("ping")
    later.wait_for_text("ping")
    assert [m.text for m in bob.chat.messages if m.user_id == bob.self.user_id] == ["pong"]
