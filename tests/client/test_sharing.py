"""Sharing a local chat: ``invite()`` gives a line that joins from another kernel; a kernel that
asks its own embedded server for another kernel's meeting is told why it is not there."""

from __future__ import annotations

import json

import pytest

from rtk_widget.client import ChatError, Meeting
from rtk_widget.client.invitation import Invitation

from .helpers import run_cell, wait_until


@pytest.mark.jupyter
def test_an_invitation_joins_from_another_kernel(kernel):
    with Meeting.local(display_name="Ada") as ada:
        invitation = ada.invite("Eve")
        assert isinstance(invitation, Invitation)
        assert (invitation.name, invitation.meeting_id) == ("Eve", ada.meeting_id)
        assert invitation.base_url.startswith("http://127.0.0.1:")
        assert invitation.python in invitation._repr_markdown_()
        assert "print()" in repr(invitation)
        assert invitation.token not in repr(invitation)  # a short repr; the token only when asked for

        # The other kernel has its own embedded server: asking it for Ada's meeting explains that.
        refused = run_cell(kernel, f"""
from rtk_widget.client import ChatError, Meeting
try:
    Meeting.local("Eve", meeting={ada.meeting_id!r})
except ChatError as exc:
    print(exc)
""")
        assert "embedded server" in refused
        assert "invite(" in refused
        assert "rtk-widget serve" in refused

        out = run_cell(kernel, str(invitation) + """
import json
meeting.chat.send_text_message("hello from another kernel")
print(json.dumps({"name": meeting.self.name, "preset": meeting.self.preset_name,
                  "widget": type(widget).__name__, "messages": len(meeting.chat.messages)}))
""")
        assert json.loads(out) == {"name": "Eve", "preset": "group_call_participant",
                                   "widget": "ChatWidget", "messages": 1}
        wait_until(ada.chat, "chatUpdate", lambda: [m.text for m in ada.chat.messages]
                   == ["hello from another kernel"])
        assert ada.chat.messages[0].display_name == "Eve"
        run_cell(kernel, "meeting.leave()")


def test_local_with_an_unknown_meeting_id_explains_the_per_kernel_server():
    explained = r"has no meeting 'not-a-meeting'.*invite\('Name'\).*rtk-widget serve"
    with pytest.raises(ChatError, match=explained):
        Meeting.local("Eve", meeting="not-a-meeting")


def test_invite_checks_its_name_and_preset():
    with Meeting.local(display_name="Ada") as ada:
        with pytest.raises(ValueError, match="non-empty name"):
            ada.invite("  ")
        with pytest.raises(ChatError, match=r"invite\(\): .*No preset found"):
            ada.invite("Eve", preset_name="no_such_preset")


async def test_invite_refuses_a_meeting_on_another_server(server, make_meeting):
    meeting, (ada,) = await make_meeting("ada")
    remote = Meeting(ada["token"], base_url=server.base_url)
    hint = f"rtk-widget token --url {server.base_url} --meeting {meeting['id']}"
    with pytest.raises(ChatError, match=hint):
        await remote.invite_async("Eve")
