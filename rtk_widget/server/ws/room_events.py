"""Room events on the socket: join, leave, room info, peers, the connected-rooms dump and the
plugin store (answered empty). Joins and leaves are announced to the room and recorded in the
meeting's session."""

from __future__ import annotations

from google.protobuf.message import Message

from rtk_widget.server.session_lifecycle import SessionLifecycle
from rtk_widget.server.store import admin as aq
from rtk_widget.server.store import sessions as sq
from rtk_widget.server.store.db import Database
from rtk_widget.server.ws.chat_events import Handler
from rtk_widget.server.ws.rooms import Connection, Rooms
from rtk_widget.wire import plugin_pb2, room_pb2
from rtk_widget.wire.envelope import Frame, encode_frame, parse_payload
from rtk_widget.wire.events import Event


class RoomEvents:
    def __init__(self, db: Database, rooms: Rooms, sessions: SessionLifecycle) -> None:
        self.db = db
        self.rooms = rooms
        self.sessions = sessions

    def handlers(self) -> dict[int, Handler]:
        return {
            Event.JOIN_ROOM: self._join,
            Event.LEAVE_ROOM: self._leave,
            Event.GET_ROOM_INFO: self._room_info,
            Event.GET_ROOM_PEERS_INFO: self._peers,
            Event.GET_CONNECTED_ROOMS_DUMP: self._connected_rooms,
            Event.PLUGIN_STORE_GET_KEYS: self._plugin_store,
        }

    async def _join(self, conn: Connection, frame: Frame) -> Message:
        parse_payload(room_pb2.JoinRoomRequest, frame.payload)  # identity is the token's, not the request's
        if not conn.joined:
            peer = sq.PeerJoin(
                conn.meeting_id,
                conn.peer_id,
                conn.user_id,
                str(conn.participant.get("custom_participant_id") or ""),
                conn.display_name,
                str(conn.preset.get("name", "")),
            )
            conn.session_id = await self.sessions.join(peer)
            conn.joined = True
            self.rooms.fan_out(
                conn.meeting_id,
                encode_frame(Event.JOIN_ROOM, None, room_pb2.PeerInfoResponse(peer=conn.peer())),
                exclude=conn,
            )
        return room_pb2.PeerInfoResponse(peer=conn.peer())

    async def leave_room(self, conn: Connection) -> None:
        """Leave the room: tell the others and record the leave in the session."""
        conn.joined = False
        session_id, conn.session_id = conn.session_id, None
        self.rooms.fan_out(
            conn.meeting_id,
            encode_frame(Event.LEAVE_ROOM, None, room_pb2.PeerInfoResponse(peer=conn.peer())),
            exclude=conn,
        )
        if session_id is not None:
            await self.sessions.leave(session_id, conn.peer_id)

    async def _leave(self, conn: Connection, frame: Frame) -> Message:
        parse_payload(room_pb2.LeaveRoomRequest, frame.payload)
        if conn.joined:
            await self.leave_room(conn)
        return room_pb2.PeerInfoResponse(peer=conn.peer())

    async def _room_info(self, conn: Connection, frame: Frame) -> Message:
        row = await self.db.read(lambda c: aq.get_meeting_row(c, conn.meeting_id))
        room = room_pb2.Room(
            room_id=conn.meeting_id,
            room_uuid=conn.meeting_id,
            title=(row["title"] or "") if row else "",
            created_at=(row["created_ms"] // 1000) if row else 0,
        )
        return room_pb2.RoomInfoResponse(room=room)

    async def _connected_rooms(self, conn: Connection, frame: Frame) -> Message:
        # No breakout rooms here: the meeting itself is the parent (the SDK needs parent_meeting).
        row = await self.db.read(lambda c: aq.get_meeting_row(c, conn.meeting_id))
        parent = room_pb2.ConnectedMeetingDump(id=conn.meeting_id, title=(row["title"] or "") if row else "")
        return room_pb2.GetConnectedRoomsDumpResponse(parent_meeting=parent)

    async def _peers(self, conn: Connection, frame: Frame) -> Message:
        request = parse_payload(room_pb2.RoomPeersInfoRequest, frame.payload)
        peers = [c.peer() for c in self.rooms.joined(conn.meeting_id)]
        if request.seach_query:
            query = request.seach_query.lower()
            peers = [p for p in peers if query in p.display_name.lower()]
        if request.offset > 0:
            peers = peers[request.offset :]
        if request.limit > 0:
            peers = peers[: request.limit]
        return room_pb2.RoomPeersInfoResponse(peers=peers)

    async def _plugin_store(self, conn: Connection, frame: Frame) -> Message:
        request = parse_payload(plugin_pb2.PluginStoreGetKeysRequest, frame.payload)
        return plugin_pb2.PluginStoreResponse(plugin_id=request.plugin_id, store_name=request.store_name)
