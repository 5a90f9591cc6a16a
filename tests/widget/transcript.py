"""A conversation with the real request handlers, recorded for the front end's fake kernel.

``record()`` drives a ChatWidget on the embedded server through a fixed script of requests (as
the panel sends them) and keeps each reply and the deltas pushed meanwhile, normalised so that
runs compare equal: message ids become ``m<order>``, user ids ``ada``/``bob``, times follow the
order. ``js/test/fixtures/kernel-transcript.json`` holds a recording;
``js/test/fake-kernel-contract.test.ts`` replays it against ``js/test/fake-kernel.ts``, and
``test_transcript.py`` fails when the recording is stale. Record again with
``.venv/bin/python -m tests.widget.transcript``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rtk_widget import Meeting
from rtk_widget.widget import ChatWidget

from .support import Recorder, request

TARGET = Path(__file__).resolve().parents[2] / "js" / "test" / "fixtures" / "kernel-transcript.json"
HISTORY = 6
BASE_TIME_MS = 1_700_000_000_000

SCRIPT: list[tuple[str, dict[str, Any]]] = [
    ("ping", {}),
    ("page", {"before": None, "limit": 4}),
    ("page", {"before": 3, "limit": 4}),
    ("page", {"after": 2, "limit": 3}),
    ("page", {"after": None, "limit": 2}),
    ("page", {"before": None, "limit": 0}),
    ("pinned", {}),
    ("send", {"text": "from the panel", "localId": "local-1"}),
    ("send", {"text": "just for Bob", "to": ["bob"], "localId": "local-2"}),
    ("edit", {"messageId": "m3", "text": "edited"}),
    ("edit", {"messageId": "no-such-message", "text": "x"}),
    ("pin", {"messageId": "m3"}),
    ("pinned", {}),
    ("unpin", {"messageId": "m3"}),
    ("delete", {"messageId": "m1"}),
    ("catch-up", {"after": 0}),
    ("catch-up", {"after": 3}),
    ("catch-up", {"after": 99}),
    ("page", {"before": None, "limit": 10}),
]


class _Normaliser:
    def __init__(self, ada: Meeting, bob: Meeting, orders: dict[str, int]) -> None:
        self.users = {ada.self.user_id: "ada", bob.self.user_id: "bob"}
        self.orders = orders

    def value(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.value(v) for v in value]
        if not isinstance(value, dict):
            return self.users.get(value, value) if isinstance(value, str) else value
        if "userId" in value and "order" in value:  # a WireMessage
            order = value["order"]
            return {
                **{k: self.value(v) for k, v in value.items()},
                "id": f"m{order}",
                "time": BASE_TIME_MS + order * 60_000,
            }
        if value.get("op") == "remove":
            return {"op": "remove", "id": f"m{self.orders.get(value['id'], 0)}"}
        return {k: self.value(v) for k, v in value.items()}


def record() -> dict[str, Any]:
    """Run the script against a fresh meeting and return the normalised transcript."""
    ada = Meeting.local(display_name="Ada")
    bob = Meeting.local(display_name="Bob", meeting=ada)
    try:
        for n in range(1, HISTORY + 1):
            (ada if n % 3 == 0 else bob).chat.send_text_message(f"message {n}")
        recorder = Recorder()
        widget = ChatWidget(ada)
        widget.send = recorder  # type: ignore[method-assign]
        try:
            return _converse(widget, recorder, ada, bob)
        finally:
            widget.close()
    finally:
        bob.leave()
        ada.leave()


def _converse(widget: ChatWidget, recorder: Recorder, ada: Meeting, bob: Meeting) -> dict[str, Any]:
    orders = {m.id: m.seq or 0 for m in ada.chat.messages}
    ids = {f"m{order}": message_id for message_id, order in orders.items()}
    users = {"ada": ada.self.user_id, "bob": bob.self.user_id}
    normalise = _Normaliser(ada, bob, orders)
    history = normalise.value(widget._feed.page_before(None, 500)[0])
    steps = []
    for kind, msg in SCRIPT:
        real = _denormalise(msg, ids, users)
        pushed_before = len(recorder.pushes("deltas"))
        reply = recorder.reply(request(widget, kind, real))
        _wait_for_pushes(widget, recorder)
        for message in ada.chat.messages:
            orders.setdefault(message.id, message.seq or 0)
            ids.setdefault(f"m{message.seq}", message.id)
        deltas = [
            (push["first"] + i, item)
            for push in recorder.pushes("deltas")[pushed_before:]
            for i, item in enumerate(push["items"])
        ]
        # An error's wording is Python's own; the fake must match its code.
        if "error" in reply:
            answer: dict[str, Any] = {"error": {"code": reply["error"]["code"]}}
        else:
            answer = {"response": reply["response"]}
        steps.append(
            {
                "kind": kind,
                "msg": msg,
                **normalise.value(answer),
                "deltas": [{"seq": seq, **normalise.value(item)} for seq, item in deltas],
            }
        )
    return {"self": {"userId": "ada", "displayName": "Ada"}, "history": history, "steps": steps}


def _wait_for_pushes(widget: ChatWidget, recorder: Recorder) -> None:
    """Until every change the meeting has seen so far went out in a ``deltas`` push."""
    widget._feed.settle()
    seq = widget._feed.feed_seq
    if seq:
        recorder.wait(lambda c: c.get("kind") == "deltas" and c["first"] + len(c["items"]) - 1 >= seq)


def _denormalise(msg: dict[str, Any], ids: dict[str, str], users: dict[str, str]) -> dict[str, Any]:
    real = dict(msg)
    if "messageId" in real:
        real["messageId"] = ids.get(real["messageId"], real["messageId"])
    if "to" in real:
        real["to"] = [users[u] for u in real["to"]]
    return real


def render(transcript: dict[str, Any]) -> str:
    """The transcript as the committed JSON text."""
    return json.dumps(transcript, indent=1, sort_keys=True) + "\n"


if __name__ == "__main__":
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    TARGET.write_text(render(record()))
    print(f"wrote {TARGET}")
