"""Configuration of the embedded meeting server (every limit in one place)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rtk_widget.wire import limits


@dataclass(slots=True)
class ServerConfig:
    """Everything the server needs; defaults are RealtimeKit's own figures where it has any.

    ``data_dir=None`` keeps the database in memory and uploads in a temporary
    directory removed at :meth:`MeetingServer.stop` (tests, ``Meeting.local()``).
    """

    host: str = "127.0.0.1"
    port: int = 0
    data_dir: Path | str | None = None

    # TLS (both or neither); `rtk-widget serve --tls-self-signed` generates a pair.
    tls_cert: Path | str | None = None
    tls_key: Path | str | None = None

    # What the server advertises. `public_base_uri` is RealtimeKit's `baseURI` as the official
    # SDK is given it (e.g. "rtk.localhost:8443"): REST and file URLs become
    # https://api.<base>/..., the socket wss://socket-edge.<base>/ws. Without it, URLs are built
    # from the request's own Host header and scheme.
    public_base_uri: str | None = None

    # Management REST: Bearer token and Cloudflare-style path ids.
    api_token: str | None = None  # None: a random token, readable as MeetingServer.api_token
    account_id: str = "local"
    app_id: str = "local"

    # Participant tokens (HS256 JWTs). None: random per in-memory server, persisted in the data dir.
    token_secret: str | None = None
    token_ttl_s: int = 7 * 24 * 3600

    # Socket.
    ping_interval_s: float = 15.0  # the SDK closes after 30 s of silence
    max_frame_bytes: int = 256 * 1024  # larger frames close the socket with 1009
    send_queue_frames: int = 2048  # a peer this far behind is dropped (close 1013)
    allowed_origins: tuple[str, ...] = ()  # besides no Origin, loopback and *.localhost
    max_connections_per_participant: int = 20  # more sockets on one token are refused (close 4029)
    # More sockets from one address are refused (close 4029). Generous: every local client
    # (notebooks, the SDK in a browser, benches) shares 127.0.0.1.
    max_connections_per_ip: int = 512
    # A connection must deliver its HTTP request head (the WebSocket upgrade included) this
    # soon after connecting, or after its previous response: slowloris connections are closed.
    request_head_timeout_s: float = 10.0
    # A longer request head (request line and header fields) is refused with 431 and a close.
    max_request_head_bytes: int = 8 * 1024

    # Sessions: how long a session outlives its last participant when the meeting does not say
    # (`session_keep_alive_time_in_secs`; Cloudflare's example meeting shows 60).
    session_keep_alive_s: float = 60.0

    # Webhooks: delivery is retried on 5xx and network errors, with exponential backoff.
    webhook_attempts: int = 5
    webhook_backoff_s: float = 1.0  # first retry delay; doubles per attempt
    webhook_timeout_s: float = 10.0  # per attempt
    webhook_queue_events: int = 1000  # queued deliveries (in the database) beyond this are dropped, logged
    webhook_concurrency: int = 8  # deliveries in flight at once

    # Chat limits (RealtimeKit's figures).
    max_text_chars: int = limits.MAX_TEXT_LENGTH  # UTF-16 code units, as the SDK counts `message.length`
    max_payload_chars: int = 16_000  # image/file/custom payloads
    text_rate: int = limits.TEXT_MESSAGES_PER_MINUTE
    file_rate: int = (
        limits.FILE_MESSAGES_PER_MINUTE
    )  # for images and for files, each (the SDK limits them apart)
    rate_window_s: float = limits.RATE_WINDOW_S
    history_limit: int = 1000  # GET_MESSAGES answers at most this many
    page_limit: int = 500  # largest page/search/sync size honoured

    # Uploads.
    max_upload_bytes: int = limits.MAX_UPLOAD_BYTES
    upload_url_ttl_s: int = 3600
    replay_url_ttl_s: int = 3600
    replay_include_private: bool = False

    log_level: str = "warning"

    @property
    def tls(self) -> bool:
        return self.tls_cert is not None

    @property
    def data_path(self) -> Path | None:
        return None if self.data_dir is None else Path(self.data_dir)

    def api_base(self, own_origin: str) -> str:
        """Where REST, file and Chat Replay URLs point: ``https://api.<public_base_uri>``, else
        ``own_origin`` (the request's origin, or the server's own address)."""
        return f"https://api.{self.public_base_uri}" if self.public_base_uri else own_origin
