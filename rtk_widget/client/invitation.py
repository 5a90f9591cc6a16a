"""``Invitation``: a seat in a meeting for someone in another kernel, as one line to paste."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Invitation:
    """A participant added for someone else: where the meeting's server is and their token.

    ``str(invitation)`` is one line of Python that joins the meeting and shows the panel;
    paste it in another kernel. An invitation from ``Meeting.invite()`` names this kernel's
    embedded server, on 127.0.0.1: it works from any kernel on this machine for as long
    as this kernel runs. The token is a credential: whoever holds it joins as ``name``.
    """

    name: str
    meeting_id: str
    base_url: str
    token: str
    preset_name: str

    @property
    def python(self) -> str:
        """The line that joins as this participant and shows the chat panel."""
        return (f"from rtk_widget import ChatWidget, Meeting; "
                f"meeting = Meeting({self.token!r}, base_url={self.base_url!r}); "
                f"meeting.join(); widget = ChatWidget(meeting); widget")

    def __str__(self) -> str:
        return self.python

    def __repr__(self) -> str:
        return (f"<Invitation {self.name!r} to meeting {self.meeting_id} at {self.base_url}: "
                f"print() it for the line to paste in another kernel>")

    def _repr_markdown_(self) -> str:
        return (f"Invitation for **{_markdown_text(self.name)}**: paste this in another kernel on this "
                f"machine (it works while this kernel runs):\n\n```python\n{self.python}\n```\n")


def _markdown_text(text: str) -> str:
    # A display name is someone's choice: show it as text, never as markup.
    return "".join(f"\\{c}" if c in "\\`*_{}[]()#+-.!<>|~" else c for c in text)
