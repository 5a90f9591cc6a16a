"""Every failure is a typed ChatError with a clear message, including what the SDK only logs."""

from __future__ import annotations

import base64
import json
import socket

import pytest

from rtk_widget.client import (
    AuthenticationError,
    ConnectionLostError,
    EmptyMessageError,
    InvalidMessageError,
    Meeting,
    MessageNotFoundError,
    NotJoinedError,
    PermissionDeniedError,
    RateLimitedError,
    TextTooLongError,
    UnsupportedImageTypeError,
)
from rtk_widget.client.local import local_server
from rtk_widget.client.runtime import get_runtime
from rtk_widget.server.presets import builtin

from .helpers import Recorder


def token_with(claims: dict[str, str]) -> str:
    def part(data: dict[str, str]) -> str:
        return base64.b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part(claims)}.c2lnbmF0dXJl"


def test_text_limits(trio):
    ada, _, _ = trio
    with pytest.raises(TextTooLongError, match="2000"):
        ada.chat.send_text_message("x" * 2001)
    assert ada.chat.send_text_message("x" * 2000).text == "x" * 2000
    # The SDK counts UTF-16 code units: an emoji is two.
    with pytest.raises(TextTooLongError):
        ada.chat.send_text_message("\N{GRINNING FACE}" * 1001)
    ada.chat.set_max_text_limit(5)
    assert ada.chat.max_text_limit == 5
    with pytest.raises(TextTooLongError):
        ada.chat.send_text_message("123456")
    with pytest.raises(TextTooLongError):
        ada.chat.edit_text_message(ada.chat.messages[0].id, "123456")
    for empty in ("", "   \n"):
        with pytest.raises(EmptyMessageError):
            ada.chat.send_text_message(empty)
    with pytest.raises(TypeError):
        ada.chat.send_text_message(42)  # type: ignore[arg-type]


def test_files_and_images_are_checked_before_upload(trio, tmp_path):
    ada, _, _ = trio
    fake = tmp_path / "photo.png"
    fake.write_bytes(b"this is text, not a PNG")
    with pytest.raises(UnsupportedImageTypeError, match="JPEG, PNG or GIF"):
        ada.chat.send_image_message(fake)
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    with pytest.raises(EmptyMessageError, match=r"empty\.txt"):
        ada.chat.send_file_message(empty)
    with pytest.raises(ValueError, match="name"):
        ada.chat.send_file_message(b"data without a name")
    with pytest.raises(FileNotFoundError):
        ada.chat.send_file_message(tmp_path / "missing.bin")
    with pytest.raises(InvalidMessageError, match="type"):
        ada.chat.send_message({"type": "video", "video": b""})
    with pytest.raises(InvalidMessageError, match="message"):
        ada.chat.send_message({"type": "text", "message": None})
    assert ada.chat.messages == []


def test_server_refusals_are_typed(trio):
    ada, bob, cara = trio
    with pytest.raises(MessageNotFoundError, match="no-such-id"):
        ada.chat.delete_message("no-such-id")
    with pytest.raises(MessageNotFoundError):
        ada.chat.edit_text_message("no-such-id", "x")
    with pytest.raises(MessageNotFoundError):
        ada.chat.pin("no-such-id")
    sent = ada.chat.send_text_message("Ada's words")
    with pytest.raises(PermissionDeniedError, match="pin"):
        cara.chat.pin(sent.id)  # group_call_participant may not pin
    with pytest.raises(PermissionDeniedError):
        cara.chat.edit_text_message(sent.id, "not yours")
    with pytest.raises(MessageNotFoundError, match="no-such-peer"):
        ada.chat.send_text_message("to nobody", peer_ids=["no-such-peer"])
    with pytest.raises(InvalidMessageError, match="other participant"):
        ada.chat.send_text_message("to myself", peer_ids=[ada.self.id])
    assert [m.id for m in bob.chat.fetch_public_messages(timestamp=0)] == [sent.id]


def test_client_side_rate_limits_and_the_reset_event(trio):
    ada, _, _ = trio
    assert ada.chat.rate_limits == {"maxInvocations": 180, "period": 60.0}
    resets = Recorder(ada.chat, "rateLimitReset")
    ada.chat.update_rate_limits(2, 0.5)
    ada.chat.send_text_message("one")
    ada.chat.send_text_message("two")
    with pytest.raises(RateLimitedError, match="sendTextMessage") as refused:
        ada.chat.send_text_message("three")
    assert 0 < refused.value.retry_after <= 0.5
    assert resets.wait_for(1) == [None]
    assert ada.chat.send_text_message("three again").text == "three again"
    assert [m.text for m in ada.chat.messages] == ["one", "two", "three again"]


def test_permissions_from_the_preset_are_checked_on_the_client(trio, tmp_path):
    ada, _, _ = trio
    runtime = get_runtime()
    preset = builtin("group_call_participant")
    assert preset is not None
    preset["name"] = "text_only"
    preset["permissions"]["chat"]["public"]["files"] = False
    preset["permissions"]["chat"]["private"]["can_send"] = False

    async def save() -> None:
        server = await local_server(runtime)
        await server.admin.save_preset(preset)

    runtime.run(save())
    dana = Meeting.local(display_name="Dana", meeting=ada, preset_name="text_only")
    try:
        assert not dana.self.permissions.public_files
        assert dana.self.preset_name == "text_only"
        image = tmp_path / "x.gif"
        image.write_bytes(b"GIF89a" + bytes(8))
        with pytest.raises(PermissionDeniedError, match=r"files"):
            dana.chat.send_image_message(image)
        with pytest.raises(PermissionDeniedError, match="private"):
            dana.chat.send_text_message("psst", peer_ids=[ada.self.id])
        assert dana.chat.send_text_message("text is fine").text == "text is fine"
    finally:
        dana.leave()


def test_tokens_and_connections(trio):
    ada, _, _ = trio
    with pytest.raises(AuthenticationError, match="payload"):
        Meeting("not-a-jwt")
    with pytest.raises(AuthenticationError, match="meetingId"):
        Meeting(token_with({"orgId": "o", "participantId": "p"}))
    forged = Meeting(token_with({"meetingId": ada.meeting_id, "participantId": "p", "orgId": "o"}),
                     base_url=f"http://127.0.0.1:{local_port()}")
    with pytest.raises(AuthenticationError, match="401"):
        forged.join()
    closed = Meeting(token_with({"meetingId": "m"}), base_url=f"http://127.0.0.1:{free_port()}")
    with pytest.raises(ConnectionLostError, match="Unable to connect"):
        closed.join()
    idle = Meeting(token_with({"meetingId": "m"}))
    with pytest.raises(NotJoinedError):
        idle.chat.send_text_message("hello")
    with pytest.raises(NotJoinedError):
        _ = idle.self


def local_port() -> int:
    runtime = get_runtime()

    async def port() -> int:
        return (await local_server(runtime)).port

    return runtime.run(port())


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
