"""``to=``: recipients named the way people know them (participants, user ids, display names).

A single recipient may be passed alone; a string is always one recipient, never a
sequence of characters. Names are matched exactly first, then ignoring case and
Unicode width forms; a name that fits several people, or nobody, is a
``ValueError`` that lists who can be chosen.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from rtk_widget.client.participants import Participant, SelfParticipant

Recipient = Participant | str
"""A participant, a user id, a peer id or a display name."""
Recipients = Recipient | Iterable[Recipient] | None

MAX_CHOICES_SHOWN = 12


def resolve_recipients(to: object, participants: list[Participant], me: SelfParticipant,
                       *, api: str) -> list[str]:
    """The user ids ``to`` names, in order and without repeats ([] for a public message).

    ``participants`` are the others currently in the meeting; ``api`` names the
    method the caller used, for error messages.
    """
    if to is None:
        return []
    items = [to] if isinstance(to, str | Participant | SelfParticipant) else _as_list(to, api)
    user_ids: list[str] = []
    for item in items:
        user_id = _resolve_one(item, participants, me, api)
        if user_id not in user_ids:
            user_ids.append(user_id)
    return user_ids


def _as_list(to: object, api: str) -> list[object]:
    if isinstance(to, bytes | bytearray | dict) or not isinstance(to, Iterable):
        raise TypeError(f"{api}: to= takes a participant, a user id or a display name, or a list of "
                        f"them; got {type(to).__name__}")
    return list(to)


def _resolve_one(item: object, participants: list[Participant], me: SelfParticipant, api: str) -> str:
    if isinstance(item, SelfParticipant) or item in (me.user_id, me.id):
        raise ValueError(f"{api}: to= names you ({me.name}); list the other people who should see it")
    if isinstance(item, Participant):
        if not any(p.user_id == item.user_id for p in participants):
            raise ValueError(f"{api}: {item.name} ({item.user_id}) is not in the meeting any more; "
                             f"{_choices(participants)}")
        return item.user_id
    if not isinstance(item, str):
        raise TypeError(f"{api}: to= takes participants, user ids or display names; "
                        f"got {type(item).__name__} {item!r}")
    for participant in participants:
        if item in (participant.user_id, participant.id):
            return participant.user_id
    named = _by_name(item, participants)
    if len(named) == 1:
        return named[0].user_id
    if named:
        who = ", ".join(f"{p.name} (user id {p.user_id})" for p in named)
        raise ValueError(f"{api}: {item!r} is ambiguous: it fits {who}; pass a user id or a participant")
    if item == me.name:
        raise ValueError(f"{api}: to= names you ({me.name}); list the other people who should see it")
    raise ValueError(f"{api}: nobody called {item!r} (or with that user id) is in the meeting; "
                     f"{_choices(participants)}")


def _by_name(name: str, participants: list[Participant]) -> list[Participant]:
    """Distinct users whose display name is ``name``: exactly if any, else loosely."""
    for matches in (lambda p: p.name == name, lambda p: _loose(p.name) == _loose(name)):
        users: dict[str, Participant] = {}
        for participant in participants:
            if matches(participant):
                users.setdefault(participant.user_id, participant)
        if users:
            return list(users.values())
    return []


def _loose(name: str) -> str:
    return unicodedata.normalize("NFKC", name).casefold().strip()


def _choices(participants: list[Participant]) -> str:
    users: dict[str, Participant] = {}
    for participant in participants:
        users.setdefault(participant.user_id, participant)
    if not users:
        return "nobody else is in the meeting"
    shown = [f"{p.name!r} (user id {p.user_id})" for p in list(users.values())[:MAX_CHOICES_SHOWN]]
    more = len(users) - len(shown)
    return "choose from " + ", ".join(shown) + (f" and {more} more" if more > 0 else "")
