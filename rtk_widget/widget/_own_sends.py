"""Which feed message answers which of this panel's sends (the ``localId`` correlation).

The meeting's push of a sent message and the handler's answer to ``send`` reach
the kernel on different threads, so the panel may see the message's delta before
the ``send-response``. The delta then carries the send's ``localId`` and the panel
swaps its pending row for the message in one step. Pure bookkeeping, no I/O.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from ._protocol import WireMessage

MAX_TRACKED = 256
"""Sends remembered at once; a send forgotten early only loses its ``localId`` echo."""


class ExpectedMessage(NamedTuple):
    """What a send in flight will produce: its type and its text (or file name)."""

    type: str
    text: str | None = None
    name: str | None = None

    def matches(self, message: WireMessage) -> bool:
        """Whether ``message`` looks like the answer to this send."""
        if message["type"] != self.type:
            return False
        if self.text is not None and message.get("text") != self.text:
            return False
        return self.name is None or message.get("name") == self.name


class OwnSends:
    """Sends from this panel in flight, and acked ones whose message is still on its way."""

    def __init__(self) -> None:
        self._awaiting: dict[str, ExpectedMessage] = {}
        self._acked: dict[str, str] = {}
        """message id -> localId, for acks that overtook their message's event."""

    def expect(self, local_id: str, expected: ExpectedMessage) -> None:
        """Record a send just submitted."""
        self._awaiting.pop(local_id, None)
        self._awaiting[local_id] = expected
        _bound(self._awaiting)

    def claim(self, message: WireMessage) -> str | None:
        """The ``localId`` of the send that produced this new own message, if any (used once)."""
        local_id = self._acked.pop(message["id"], None)
        if local_id is not None:
            return local_id
        for candidate, expected in self._awaiting.items():
            if expected.matches(message):
                del self._awaiting[candidate]
                return candidate
        return None

    def acked_before_event(self, local_id: str, message_id: str) -> None:
        """The send was acked and its message has no delta yet: the delta will carry ``local_id``."""
        self._awaiting.pop(local_id, None)
        self._acked[message_id] = local_id
        _bound(self._acked)

    def forget(self, local_id: str) -> None:
        """The send failed, was cancelled, or its message already left with a delta."""
        self._awaiting.pop(local_id, None)


def _bound(entries: dict[str, Any]) -> None:
    while len(entries) > MAX_TRACKED:
        del entries[next(iter(entries))]
