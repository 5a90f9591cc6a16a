"""The reference model of one meeting's chat for the convergence machine (D7 in docs/reliability.md).

It knows what the server must have done after each acknowledged action, and what each
participant may see. The machine compares every client, the server's store and a fresh
client against :meth:`ChatModel.view`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from rtk_widget.client import MessageNotFoundError, PermissionDeniedError

from .support import Shown


@dataclass(frozen=True, slots=True)
class Person:
    """A participant of the modelled meeting."""

    name: str
    user_id: str
    host: bool  # group_call_host: may pin/unpin and edit or delete others' messages


@dataclass(slots=True)
class ModelMessage:
    id: str
    seq: int
    sender: Person
    text: str
    target_user_ids: tuple[str, ...]  # empty: public
    pinned: bool = False
    edited: bool = False
    deleted: bool = False

    def visible_to(self, person: Person) -> bool:
        return not self.target_user_ids or person.user_id in self.target_user_ids


class Outcome(Enum):
    """What the client call must do."""

    APPLIED = "applied"
    NO_OP = "no-op"  # delete of a message the caller already saw deleted: returns quietly
    NOT_FOUND = "not found"
    FORBIDDEN = "forbidden"

    @property
    def error(self) -> type[Exception] | None:
        if self is Outcome.NOT_FOUND:
            return MessageNotFoundError
        if self is Outcome.FORBIDDEN:
            return PermissionDeniedError
        return None


@dataclass(slots=True)
class ChatModel:
    """Messages by id, in seq order, with the server's permission and visibility rules."""

    messages: dict[str, ModelMessage] = field(default_factory=dict)

    @property
    def next_seq(self) -> int:
        return len(self.messages) + 1  # seq is gap-free per meeting, private messages included

    def sent(self, message: ModelMessage) -> None:
        assert message.id not in self.messages
        self.messages[message.id] = message

    def edit_outcome(self, actor: Person, message: ModelMessage) -> Outcome:
        if message.deleted or not message.visible_to(actor):
            return Outcome.NOT_FOUND
        return Outcome.APPLIED if self._may_change(actor, message) else Outcome.FORBIDDEN

    def delete_outcome(self, actor: Person, message: ModelMessage) -> Outcome:
        if not message.visible_to(actor):
            return Outcome.NOT_FOUND
        if message.deleted:
            return Outcome.NO_OP
        return Outcome.APPLIED if self._may_change(actor, message) else Outcome.FORBIDDEN

    def pin_outcome(self, actor: Person, message: ModelMessage) -> Outcome:
        if not actor.host:  # the server checks the pin permission first
            return Outcome.FORBIDDEN
        if message.deleted or not message.visible_to(actor):
            return Outcome.NOT_FOUND
        return Outcome.APPLIED

    @staticmethod
    def _may_change(actor: Person, message: ModelMessage) -> bool:
        return actor.host or actor.user_id == message.sender.user_id

    def view(self, person: Person) -> list[Shown]:
        """Exactly what ``person`` must be shown, in order."""
        return [
            Shown(m.id, m.seq, m.sender.user_id, m.text, m.pinned, m.edited, m.target_user_ids)
            for m in sorted(self.messages.values(), key=lambda m: m.seq)
            if not m.deleted and m.visible_to(person)
        ]
