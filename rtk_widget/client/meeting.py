"""``Meeting``: join a meeting with a participant token and use its chat.

Three ways in::

    Meeting.local(display_name="Ada")                    # embedded server, joined
    Meeting(token, base_url="http://127.0.0.1:8080")     # an rtk-widget server
    Meeting(token)                                       # RealtimeKit (realtime.cloudflare.com)

Meeting events (``on``/``once``/``off``): ``socketConnectionUpdate``
(:class:`ConnectionInfo`, whenever the connection's state, attempt, next attempt time or
reason changes), ``roomJoined`` and ``roomLeft`` (None).
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import uuid
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import httpx

from rtk_widget.client.chat import Chat, ChatSession
from rtk_widget.client.connection import PING_TIMEOUT, Backoff, Connection, ConnectionInfo, ConnectionState
from rtk_widget.client.errors import (
    AuthenticationError,
    ChatError,
    ConnectionLostError,
    NotJoinedError,
    TLSError,
)
from rtk_widget.client.events import Dispatcher, EventEmitter, EventSource, LoopDispatcher, default_dispatcher
from rtk_widget.client.invitation import Invitation
from rtk_widget.client.local import local_invitation, local_participant
from rtk_widget.client.participants import ChatPermissions, Participant, Participants, SelfParticipant
from rtk_widget.client.runtime import Runtime, blocking, get_runtime, network
from rtk_widget.client.transport import Transport, Verify, ssl_error_in, tls_failure_message
from rtk_widget.client.uploads import Uploader
from rtk_widget.client.urls import (
    DEFAULT_BASE_URI,
    SDK_VERSION,
    Endpoints,
    endpoints_for_base_uri,
    endpoints_for_base_url,
    parse_token,
)
from rtk_widget.wire import room_pb2 as room
from rtk_widget.wire.envelope import Frame, MalformedFrameError, parse_payload
from rtk_widget.wire.events import Event

CHAT_EVENTS = frozenset({Event.SEND_MESSAGE_TO_ROOM, Event.SEND_MESSAGE_TO_PEERS, Event.EDIT_MESSAGE,
                         Event.DELETE_MESSAGE, Event.PIN_MESSAGE})


ConnectionUpdate = ConnectionInfo
"""The payload of ``socketConnectionUpdate`` under its earlier name."""


class Meeting(EventSource):
    """A participant's connection to one meeting, with ``chat``, ``participants`` and ``self``.

    Nothing happens on the network until :meth:`join`. The token's ``meetingId`` is
    read like the SDK does (no signature check); a token without one raises
    :class:`AuthenticationError`. ``base_url`` selects an rtk-widget server; without
    it ``base_uri`` follows RealtimeKit's layout (``https://api.<base_uri>``).
    ``backoff`` tunes reconnection (by default it retries for as long as the meeting is
    joined, and stops only for a refused token; see :class:`Backoff`), ``request_timeout``
    every request (20 s like the SDK), ``ping_timeout`` how long the socket may stay
    silent before it counts as dead and is replaced (30 s like the SDK; the client
    pings after half of it), ``dispatcher`` where callbacks run (default: Jupyter's main
    thread, or one callback thread in scripts).

    ``verify`` is what HTTPS and WSS trust, for REST, uploads, downloads and the socket
    alike: ``True`` (default) the system's CAs, a path to a PEM file with the server's
    certificate or its CA (a self-signed rtk-widget server), or an ``ssl.SSLContext``.
    ``verify=False`` turns the checks off and is insecure. An untrusted certificate makes
    :meth:`join` raise :class:`TLSError`. ``localhost`` and ``*.localhost`` hosts are
    dialled at 127.0.0.1 (RFC 6761, as browsers do), keeping the name for TLS.

    Where the work runs: by default on rtk-widget's network thread, so a busy notebook
    cell never stalls the socket, and every method has a blocking form and an awaitable
    ``*_async`` twin. An asyncio program (a bot, a service) can pass its own loop instead,
    ``Meeting(token, loop=asyncio.get_running_loop())``: the socket, keep-alive,
    reconnection and uploads then run on that loop, the ``*_async`` methods run there with
    no thread hop, and callbacks are scheduled there with ``call_soon`` (the default
    ``dispatcher``; no rtk-widget thread is started; ``chat.on_message`` handlers may be
    coroutine functions). The blocking forms cannot wait on the loop they would block:
    called on it they raise :class:`RuntimeError` naming the ``*_async`` twin to await
    (from another thread they still work). A callback that blocks the loop delays the
    socket too, as any code on that loop does::

        async def main() -> None:
            async with Meeting(token, base_url=url, loop=asyncio.get_running_loop()) as meeting:
                meeting.chat.on("newMessage", lambda message: print(message.text))
                await meeting.chat.send_text_message_async("hello")
    """

    def __init__(self, token: str, *, base_url: str | None = None, base_uri: str = DEFAULT_BASE_URI,
                 request_timeout: float = 20.0, backoff: Backoff | None = None,
                 dispatcher: Dispatcher | None = None, ping_timeout: float = PING_TIMEOUT,
                 verify: Verify = True, loop: asyncio.AbstractEventLoop | None = None) -> None:
        if loop is not None and not isinstance(loop, asyncio.AbstractEventLoop):
            raise TypeError(f"Meeting(loop=...) takes an asyncio event loop (asyncio.get_running_loop()), "
                            f"got {type(loop).__name__}")
        self._claims = parse_token(token)
        self._transport = Transport(verify)
        self._token = token
        self._base_url = base_url
        self._base_uri = base_uri
        self._request_timeout = request_timeout
        self._backoff = backoff or Backoff()
        if ping_timeout <= 0:
            raise ValueError(f"Meeting(ping_timeout=...) must be a positive number of seconds, "
                             f"got {ping_timeout}")
        self._ping_timeout = ping_timeout
        self._api_base = (endpoints_for_base_url(base_url).api_base if base_url
                          else endpoints_for_base_uri(base_uri, None).api_base)
        self._runtime = Runtime(loop) if loop is not None else get_runtime()
        self.dispatcher = dispatcher or (LoopDispatcher(loop, inline=True) if loop is not None
                                         else default_dispatcher())
        self._emitter = EventEmitter(self.dispatcher)
        self.chat = Chat(self._runtime, EventEmitter(self.dispatcher), self._claims.meeting_id)
        """The meeting's chat."""
        self.participants = Participants(EventEmitter(self.dispatcher))
        """The other participants (``participants.joined``)."""
        self.peer_id = str(uuid.uuid4())
        self.participants.self_peer_id = self.peer_id
        self.title = ""
        self._me: SelfParticipant | None = None
        self._connection: Connection | None = None
        self._http: httpx.AsyncClient | None = None
        self._info = ConnectionInfo(ConnectionState.IDLE)
        self._joined = False

    def __repr__(self) -> str:
        return f"<Meeting {self.meeting_id} {self._info.state.value}>"

    @classmethod
    def local(cls, display_name: str = "Participant", *, meeting: Meeting | str | None = None,
              preset_name: str | None = None, title: str = "Notebook chat", join: bool = True,
              **options: Any) -> Meeting:
        """Join a meeting on the embedded server (started on loopback once per process).

        Creates a new meeting (you get ``group_call_host``) unless ``meeting`` (a
        ``Meeting`` or a meeting id) names one to join as another participant
        (``group_call_participant``); ``preset_name`` overrides either. The server lives in
        this kernel: another kernel joins its meetings with a line from :meth:`invite`.
        The server always runs on rtk-widget's network thread; a meeting attached to the
        program's loop (``loop=``) is made with ``join=False``, then ``await join_async()``.
        """
        meeting_id = meeting.meeting_id if isinstance(meeting, Meeting) else meeting
        runtime = get_runtime()
        base_url, meeting_id, token = runtime.run(local_participant(
            runtime, display_name=display_name, meeting_id=meeting_id, title=title, preset_name=preset_name))
        joined = cls(token, base_url=base_url, **options)
        if join:
            joined.join()
        return joined

    @classmethod
    def from_cloudflare(cls, meeting_id: str | None = None, **options: Any) -> Meeting:
        """Join a RealtimeKit meeting in one step through Cloudflare's SDK (see
        :func:`rtk_widget.cloudflare.join.from_cloudflare`; needs ``rtk-widget[cloudflare]``)."""
        from rtk_widget.cloudflare.join import from_cloudflare

        return from_cloudflare(meeting_id, meeting_class=cls, **options)

    # ----- public state -----

    @property
    def meeting_id(self) -> str:
        """The meeting's id (from the token)."""
        return self._claims.meeting_id

    @property
    def self(self) -> SelfParticipant:
        """This participant (peer id, user id, name, picture, preset, permissions); needs :meth:`join`."""
        if self._me is None:
            raise NotJoinedError("join the meeting first (meeting.join())")
        return self._me

    @property
    def joined(self) -> bool:
        """True between a successful :meth:`join` and :meth:`leave`."""
        return self._joined

    @property
    def connection_state(self) -> ConnectionState:
        """The socket's state; changes are announced by ``socketConnectionUpdate``."""
        return self._info.state

    @property
    def connection_info(self) -> ConnectionInfo:
        """The connection's state with its reconnection attempt, next attempt time and reason
        (the last ``socketConnectionUpdate`` payload)."""
        return self._info

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The event loop this meeting's network work runs on: the one given as ``loop=``, or
        rtk-widget's network thread's."""
        return self._runtime.loop

    @property
    def attached(self) -> bool:
        """True when this meeting runs on the program's own loop (``Meeting(loop=...)``)."""
        return self._runtime.attached

    @property
    def api_base(self) -> str:
        """The meeting's REST base URL (on rtk-widget servers also its file host)."""
        return self._api_base

    def credentials_for(self, link: str) -> dict[str, str]:
        """Headers for downloading an attachment at ``link``.

        The participant's token goes only to this meeting's own REST origin (where an
        rtk-widget server checks private attachments' audience); other hosts get none.
        """
        if _origin(link) == _origin(self._api_base):
            return {"Authorization": f"Bearer {self._token}"}
        return {}

    def http_client(self, **options: Any) -> httpx.AsyncClient:
        """A new ``httpx.AsyncClient`` that trusts what this meeting trusts (``verify``) and
        reaches ``*.localhost`` hosts; ``options`` (timeout, ...) go to its constructor."""
        return self._transport.http_client(**options)

    @network
    async def invite_async(self, display_name: str, *, preset_name: str | None = None) -> Invitation:
        """Add a participant named ``display_name`` for someone in another kernel.

        Returns an :class:`Invitation`: its ``str()`` (shown in Jupyter) is one line of
        Python that joins as that participant and shows the panel, from any kernel on this
        machine while this kernel runs. Only for meetings on this kernel's embedded server
        (:meth:`local`); the new participant gets ``group_call_participant`` unless
        ``preset_name`` says otherwise. For other machines, see ``rtk-widget serve --host``.
        """
        server_side = get_runtime()  # the embedded server's loop, even for a meeting attached elsewhere
        return await server_side.run_async(local_invitation(
            server_side, base_url=self._base_url, meeting_id=self.meeting_id, display_name=display_name,
            preset_name=preset_name))

    invite = blocking(invite_async)

    # ----- join / leave -----

    @network
    async def join_async(self) -> None:
        """Fetch participant details, open the socket, join the room and load the chat."""
        if self._connection is not None:
            return
        self._http = self._http or self._transport.http_client(timeout=8.0)
        try:
            api_base = self._api_base
            details = await self._participant_details(api_base)
            self._me = _self_from_details(details, self.peer_id)
            self.title = str((details.get("meeting") or {}).get("title") or "")
            endpoints = self._endpoints(details)
            connection = Connection(
                lambda: endpoints.socket_url(self.meeting_id, self.peer_id, self._token),
                peer_id=self.peer_id, on_push=self._on_push, on_open=self._on_open, on_state=self._on_state,
                client_pings=endpoints.cloudflare, backoff=self._backoff,
                request_timeout=self._request_timeout, ping_timeout=self._ping_timeout,
                transport=self._transport)
            self.chat.state.sync_supported = not endpoints.cloudflare
            self.chat.state.extra_counterparts = lambda: [p.user_id for p in self.participants.joined]
            self.chat.attach(ChatSession(connection, self._me,
                                         Uploader(self._http, api_base, self.meeting_id, self._headers())))
            self._connection = connection
            await connection.start()
        except BaseException:  # a failed join keeps nothing attached and no connection open
            if self._connection is not None:  # None on entry (checked above), so it was set here
                self._connection = None
                self.chat.detach()
            await self._close_http()
            raise
        self._joined = True
        self._emitter.emit("roomJoined", None)

    join = blocking(join_async)

    @network
    async def leave_async(self) -> None:
        """Leave the room and close the socket; pending requests fail with ConnectionLostError."""
        connection, self._connection = self._connection, None
        self._joined = False
        if connection is None:
            return
        self.chat.detach()
        if connection.state == ConnectionState.CONNECTED:
            # Leaving anyway on failure: the server also notices the closed socket.
            with contextlib.suppress(ChatError):
                await connection.request(Event.LEAVE_ROOM, room.LeaveRoomRequest().SerializeToString(),
                                         answer_within=2.0, resend=False)
        await connection.close()
        await self._close_http()
        self._emitter.emit("roomLeft", None)

    leave = blocking(leave_async)

    async def _close_http(self) -> None:
        if self._http is not None:
            http, self._http = self._http, None
            await http.aclose()

    @network
    async def drop_connection_async(self) -> None:
        """Close the socket without leaving, as a network failure would (the client reconnects)."""
        if self._connection is None:
            raise NotJoinedError("not joined")
        self._connection.drop()

    drop_connection = blocking(drop_connection_async)

    @network
    async def reconnect_async(self) -> None:
        """Connect again now: after the connection failed, start retrying; while it is
        reconnecting, skip the rest of the wait.

        Returns once connected (at once when already connected). If this attempt fails it
        raises why (:class:`AuthenticationError` for a refused token,
        :class:`ConnectionLostError` otherwise); a client that was reconnecting keeps
        retrying in the background. Raises :class:`NotJoinedError` before :meth:`join`
        and after :meth:`leave`.
        """
        if self._connection is None:
            raise NotJoinedError("reconnect() needs a joined meeting: call meeting.join()")
        await self._connection.reconnect()

    reconnect = blocking(reconnect_async)

    def __enter__(self) -> Meeting:
        self.join()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.leave()

    async def __aenter__(self) -> Meeting:
        await self.join_async()
        return self

    async def __aexit__(self, kind: type[BaseException] | None, error: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.leave_async()

    # ----- network side -----

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token}", "x-realtimekit-version": SDK_VERSION,
                "tracing-id": self.peer_id,
                "TRACEPARENT": f"00-{self.peer_id.replace('-', '')}-{secrets.token_hex(8)}-01"}

    async def _participant_details(self, api_base: str) -> dict[str, Any]:
        assert self._http is not None
        try:
            response = await self._http.get(f"{api_base}/v2/internals/participant-details",
                                            headers=self._headers())
        except httpx.HTTPError as exc:
            tls_failure = ssl_error_in(exc)
            if tls_failure is not None:
                raise TLSError(tls_failure_message(api_base, tls_failure)) from tls_failure
            raise ConnectionLostError(f"Unable to connect to the server at {api_base}: {exc}") from exc
        if response.status_code in (401, 403):
            raise AuthenticationError(f"the server refused the token (HTTP {response.status_code})")
        if response.status_code >= 300:
            raise ChatError(f"participant-details failed: HTTP {response.status_code} {response.text[:200]}")
        try:
            data = response.json()["data"]
        except (ValueError, KeyError, TypeError) as exc:
            raise ChatError(f"unexpected participant-details answer: {response.text[:200]}") from exc
        if not isinstance(data, dict):
            raise ChatError("participant-details answered without data")
        return data

    def _endpoints(self, details: dict[str, Any]) -> Endpoints:
        if self._base_url:
            return endpoints_for_base_url(self._base_url)
        socket = details.get("socket") or {}
        socket_base = socket.get("base_uri") or socket.get("baseUri")
        return endpoints_for_base_uri(self._base_uri, str(socket_base) if socket_base else None)

    async def _on_open(self, reconnected: bool) -> None:
        connection, me = self._connection, self._me
        assert connection is not None
        assert me is not None
        peer = room.Peer(peer_id=self.peer_id, user_id=me.user_id, display_name=me.name)
        join = room.JoinRoomRequest(peer=peer, room_uuid="")
        await connection.request(Event.JOIN_ROOM, join.SerializeToString(), internal=True)
        info = await connection.request(Event.GET_ROOM_INFO, internal=True)
        with contextlib.suppress(MalformedFrameError):
            self.title = parse_payload(room.RoomInfoResponse, info.payload).room.title or self.title
        peers = await connection.request(Event.GET_ROOM_PEERS_INFO, internal=True)
        listed = parse_payload(room.RoomPeersInfoResponse, peers.payload)
        self.participants.replace([Participant.from_peer(p) for p in listed.peers])
        await self.chat.state.load_history(reconnected=reconnected)

    def _on_push(self, frame: Frame) -> None:
        if frame.event in CHAT_EVENTS:
            self.chat.state.handle_push(frame)
        elif frame.event in (Event.JOIN_ROOM, Event.LEAVE_ROOM):
            with contextlib.suppress(MalformedFrameError):
                peer = parse_payload(room.PeerInfoResponse, frame.payload).peer
                if frame.event == Event.JOIN_ROOM:
                    self.participants.joined_peer(Participant.from_peer(peer))
                else:
                    self.participants.left_peer(peer.peer_id)

    def _on_state(self, info: ConnectionInfo) -> None:
        self._info = info
        self._emitter.emit("socketConnectionUpdate", info)


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


def _self_from_details(details: dict[str, Any], peer_id: str) -> SelfParticipant:
    participant = details.get("participant") or {}
    preset = details.get("preset") or {}
    permissions = preset.get("permissions") or {}
    config = preset.get("config") or {}
    if not participant.get("id"):
        raise ChatError("participant-details has no participant id")
    return SelfParticipant(
        id=peer_id,
        user_id=str(participant["id"]),
        name=str(participant.get("name") or ""),
        picture=participant.get("picture"),
        custom_participant_id=(participant.get("custom_participant_id")
                               or participant.get("customParticipantId")),
        organization_id=participant.get("organization_id") or participant.get("organizationId"),
        preset_name=preset.get("name"),
        view_type=config.get("view_type") or config.get("viewType"),
        permissions=ChatPermissions.from_preset(permissions),
        raw_permissions=permissions,
    )
