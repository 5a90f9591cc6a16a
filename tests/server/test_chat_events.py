"""Chat events: send, private, edit, delete, pin, history, pages, search, sync."""

from __future__ import annotations

import pytest
from protocol_client import ProtoClient, RequestError, join_all

from rtk_widget.wire import chat_pb2, sync_pb2
from rtk_widget.wire.codes import ErrorCode
from rtk_widget.wire.envelope import parse_payload
from rtk_widget.wire.events import Event


async def room(server, make_meeting, *names, **kw):
    meeting, people = await make_meeting(*names, **kw)
    clients = await join_all(server.base_url, meeting["id"], people)
    for i, client in enumerate(clients):  # consume the join pushes of those who came later
        for _ in clients[i + 1 :]:
            await client.expect_push(Event.JOIN_ROOM)
    return meeting, clients


async def close(*clients):
    for c in clients:
        await c.close()


async def test_room_message_reaches_everyone_with_server_owned_fields(server, make_meeting):
    _, (a, b, c) = await room(server, make_meeting, "ada", "bob", "cy")
    sent = await a.send_text("hello")
    for other in (b, c):
        push = parse_payload(
            chat_pb2.SendChatMessageToRoomResponse,
            (await other.expect_push(Event.SEND_MESSAGE_TO_ROOM)).payload,
        ).message
        assert push == sent
    assert sent.user_id == a.user_id
    assert len(sent.chat_id) == 36
    assert not sent.target_user_ids
    assert sent.rev == 1
    await close(a, b, c)


async def test_private_message_reaches_only_targets_and_sender(server, make_meeting):
    _, (a, b, c) = await room(server, make_meeting, "ada", "bob", "cy")
    sent = await a.send_private("psst", [b.peer_id])
    assert list(sent.target_user_ids) == [b.user_id, a.user_id]
    got = parse_payload(
        chat_pb2.SendChatMessageToPeersResponse, (await b.expect_push(Event.SEND_MESSAGE_TO_PEERS)).payload
    ).message
    assert got == sent
    public = await a.send_text("after")  # c receives this, so anything private would have come first
    first = await c.expect(lambda f: f.event in (Event.SEND_MESSAGE_TO_PEERS, Event.SEND_MESSAGE_TO_ROOM))
    assert (
        parse_payload(chat_pb2.SendChatMessageToRoomResponse, first.payload).message.chat_id == public.chat_id
    )
    assert c.no_frames(Event.SEND_MESSAGE_TO_PEERS)

    # history, pages, search and sync: c never sees it; b does
    def ids(messages):
        return [m.chat_id for m in messages]

    for client, visible in ((b, True), (c, False)):
        history = await client.call(Event.GET_MESSAGES, None, chat_pb2.GetChatMessagesResponse)
        assert (sent.chat_id in ids(history.messages)) is visible
        page = await client.page(size=50, reversed=True)
        assert (sent.chat_id in ids(page.messages)) is visible
        found = await client.call(
            Event.SEARCH_CHANNEL_MESSAGES,
            chat_pb2.SearchChatMessagesRequest(search_term="pss", size=10, reversed=True),
            chat_pb2.GetChatMessagesResponse,
        )
        assert (sent.chat_id in ids(found.messages)) is visible
        sync = await client.call(Event.SYNC_CHANGES, sync_pb2.SyncRequest(after_rev=0), sync_pb2.SyncResponse)
        assert (sent.chat_id in ids(sync.messages)) is visible
        pinned = await client.page(size=50, reversed=True, filters={"user_id": a.user_id})
        assert (sent.chat_id in ids(pinned.messages)) is visible
    await close(a, b, c)


async def test_private_to_self_only_or_unknown_peer_is_refused(server, make_meeting):
    _, (a, b) = await room(server, make_meeting, "ada", "bob")
    with pytest.raises(RequestError) as err:
        await a.send_private("me", [])
    assert err.value.code == ErrorCode.INVALID
    with pytest.raises(RequestError) as err:
        await a.send_private("who", ["no-such-peer"])
    assert err.value.code == ErrorCode.NOT_FOUND
    # a participant id works for someone who is not connected
    sent = await a.send_private("by user id", [b.user_id])
    assert list(sent.target_user_ids) == [b.user_id, a.user_id]
    await close(a, b)


async def test_edit_delete_pin_reply_and_push(server, make_meeting):
    _, (a, b) = await room(server, make_meeting, "ada", "bob")
    sent = await a.send_text("v1")
    await b.expect_push(Event.SEND_MESSAGE_TO_ROOM)

    edited = await a.call(
        Event.EDIT_MESSAGE,
        chat_pb2.EditChatMessageRequest(chat_id=sent.chat_id, payload="v2"),
        chat_pb2.EditChatMessageResponse,
    )
    assert edited.message.payload == "v2"
    assert edited.message.is_edited
    assert edited.message.rev == sent.rev + 1
    assert edited.message.channel_index == sent.channel_index
    pushed = parse_payload(
        chat_pb2.EditChatMessageResponse, (await b.expect_push(Event.EDIT_MESSAGE)).payload
    )
    assert pushed == edited

    pinned = await a.call(
        Event.PIN_MESSAGE,
        chat_pb2.PinChatMessageRequest(chat_id=sent.chat_id, pinned=True),
        chat_pb2.PinChatMessageResponse,
    )
    assert pinned.pinned
    assert pinned.message.pinned
    assert pinned.chat_id == sent.chat_id
    assert (
        parse_payload(chat_pb2.PinChatMessageResponse, (await b.expect_push(Event.PIN_MESSAGE)).payload)
        == pinned
    )
    page = await b.page(size=10, reversed=True, filters={"pinned": True})
    assert [m.chat_id for m in page.messages] == [sent.chat_id]

    unpinned = await a.call(
        Event.PIN_MESSAGE,
        chat_pb2.PinChatMessageRequest(chat_id=sent.chat_id),
        chat_pb2.PinChatMessageResponse,
    )
    assert not unpinned.message.pinned
    await b.expect_push(Event.PIN_MESSAGE)

    deleted = await a.call(
        Event.DELETE_MESSAGE,
        chat_pb2.DeleteChatMessageRequest(chat_id=sent.chat_id),
        chat_pb2.DeleteChatMessageResponse,
    )
    assert deleted.chat_id == sent.chat_id
    assert deleted.rev == unpinned.message.rev + 1
    assert (
        parse_payload(chat_pb2.DeleteChatMessageResponse, (await b.expect_push(Event.DELETE_MESSAGE)).payload)
        == deleted
    )
    history = await b.call(Event.GET_MESSAGES, None, chat_pb2.GetChatMessagesResponse)
    assert sent.chat_id not in [m.chat_id for m in history.messages]
    sync = await b.call(Event.SYNC_CHANGES, sync_pb2.SyncRequest(after_rev=sent.rev), sync_pb2.SyncResponse)
    assert list(sync.deleted_ids) == [sent.chat_id]
    assert sync.rev == deleted.rev
    await close(a, b)


async def test_unknown_ids_are_not_found(server, make_meeting):
    _, (a,) = await room(server, make_meeting, "ada")
    for event, request in (
        (Event.EDIT_MESSAGE, chat_pb2.EditChatMessageRequest(chat_id="nope", payload="x")),
        (Event.DELETE_MESSAGE, chat_pb2.DeleteChatMessageRequest(chat_id="nope")),
        (Event.PIN_MESSAGE, chat_pb2.PinChatMessageRequest(chat_id="nope", pinned=True)),
    ):
        with pytest.raises(RequestError) as err:
            await a.request(event, request)
        assert err.value.code == ErrorCode.NOT_FOUND
    await close(a)


async def test_permissions_author_moderator_and_pin(server, make_meeting):
    presets = {"bob": "group_call_participant", "cy": "group_call_participant"}
    _, (host, bob, cy) = await room(server, make_meeting, "ada", "bob", "cy", presets=presets)
    mine = await bob.send_text("bob's")
    for c in (host, cy):
        await c.expect_push(Event.SEND_MESSAGE_TO_ROOM)
    for request, event in (
        (chat_pb2.EditChatMessageRequest(chat_id=mine.chat_id, payload="x"), Event.EDIT_MESSAGE),
        (chat_pb2.DeleteChatMessageRequest(chat_id=mine.chat_id), Event.DELETE_MESSAGE),
    ):
        with pytest.raises(RequestError) as err:
            await cy.request(event, request)
        assert err.value.code == ErrorCode.FORBIDDEN
    with pytest.raises(RequestError) as err:  # participants may not pin, not even their own
        await bob.request(
            Event.PIN_MESSAGE, chat_pb2.PinChatMessageRequest(chat_id=mine.chat_id, pinned=True)
        )
    assert err.value.code == ErrorCode.FORBIDDEN
    # the author edits; the host (moderator) edits and deletes someone else's
    await bob.request(
        Event.EDIT_MESSAGE, chat_pb2.EditChatMessageRequest(chat_id=mine.chat_id, payload="mine")
    )
    moderated = await host.call(
        Event.EDIT_MESSAGE,
        chat_pb2.EditChatMessageRequest(chat_id=mine.chat_id, payload="moderated"),
        chat_pb2.EditChatMessageResponse,
    )
    assert moderated.message.payload == "moderated"
    assert moderated.message.user_id == bob.user_id  # authorship does not change
    await host.request(Event.DELETE_MESSAGE, chat_pb2.DeleteChatMessageRequest(chat_id=mine.chat_id))
    # nothing of the refused attempts was stored: the history has just the moderator's changes
    sync = await cy.call(Event.SYNC_CHANGES, sync_pb2.SyncRequest(), sync_pb2.SyncResponse)
    assert list(sync.deleted_ids) == [mine.chat_id]
    assert sync.rev == 4
    await close(host, bob, cy)


async def test_seq_is_gap_free_and_rev_counts_changes(server, make_meeting):
    _, (a, b) = await room(server, make_meeting, "ada", "bob")
    seqs, revs = [], []
    for i in range(10):
        m = await (a if i % 2 else b).send_text(f"m{i}")
        seqs.append(int(m.channel_index))
        revs.append(m.rev)
        if i == 4:
            e = await a.call(
                Event.PIN_MESSAGE,
                chat_pb2.PinChatMessageRequest(chat_id=m.chat_id, pinned=True),
                chat_pb2.PinChatMessageResponse,
            )
            revs.append(e.message.rev)
    assert seqs == list(range(1, 11))
    assert revs == list(range(1, 12))
    times = [m.created_at_ms for m in (await a.page(size=100)).messages]
    assert times == sorted(times)
    assert len(set(times)) == len(times)
    await close(a, b)


async def test_pages_both_directions_and_next(server, make_meeting):
    _, (a,) = await room(server, make_meeting, "ada")
    sent = [await a.send_text(f"m{i}") for i in range(7)]
    newest = await a.page(size=3, reversed=True, time_stamp=sent[-1].created_at_ms)
    assert [m.payload for m in newest.messages] == ["m6", "m5", "m4"]
    assert newest.next
    older = await a.page(size=3, reversed=True, time_stamp=newest.messages[-1].created_at_ms - 1)
    assert [m.payload for m in older.messages] == ["m3", "m2", "m1"]
    assert older.next
    last = await a.page(size=3, reversed=True, time_stamp=older.messages[-1].created_at_ms - 1)
    assert [m.payload for m in last.messages] == ["m0"]
    assert not last.next
    forward = await a.page(size=4, reversed=False, time_stamp=sent[2].created_at_ms)
    assert [m.payload for m in forward.messages] == ["m2", "m3", "m4", "m5"]
    assert forward.next
    by_user = await a.page(size=10, reversed=True, filters={"user_id": a.user_id})
    assert list(by_user.messages) == []  # user filter: private conversation with that user only
    await close(a)


async def test_sync_pages_through_changes(server, make_meeting):
    _, (a,) = await room(server, make_meeting, "ada")
    for i in range(5):
        await a.send_text(f"m{i}")
    first = await a.call(
        Event.SYNC_CHANGES, sync_pb2.SyncRequest(after_rev=0, limit=2), sync_pb2.SyncResponse
    )
    assert [m.payload for m in first.messages] == ["m0", "m1"]
    assert first.more
    assert first.rev == 2
    rest = await a.call(
        Event.SYNC_CHANGES, sync_pb2.SyncRequest(after_rev=first.rev, limit=10), sync_pb2.SyncResponse
    )
    assert [m.payload for m in rest.messages] == ["m2", "m3", "m4"]
    assert not rest.more
    assert rest.rev == 5
    await close(a)


async def test_chat_writes_need_a_join(server, make_meeting):
    meeting, (ada,) = await make_meeting("ada")
    a = await ProtoClient.connect(server.base_url, ada, meeting["id"])
    with pytest.raises(RequestError) as err:
        await a.send_text("early")
    assert err.value.code == ErrorCode.NOT_JOINED
    await a.join()
    assert (await a.send_text("now")).channel_index == "1"
    await close(a)


async def test_uint64_extremes_in_requests(server, make_meeting):
    _, (a,) = await room(server, make_meeting, "ada")
    await a.send_text("m")
    top = 2**64 - 1
    assert len((await a.page(size=5, reversed=True, time_stamp=top)).messages) == 1
    assert len((await a.page(size=5, reversed=False, time_stamp=top)).messages) == 0
    sync = await a.call(Event.SYNC_CHANGES, sync_pb2.SyncRequest(after_rev=top), sync_pb2.SyncResponse)
    assert list(sync.messages) == []
    await close(a)
