"""Assembly: the components and the one Starlette app serving them on one port."""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp

from rtk_widget.server.admin import Admin
from rtk_widget.server.auth import TokenIssuer, UrlSigner, new_secret
from rtk_widget.server.chat.service import ChatService
from rtk_widget.server.config import ServerConfig
from rtk_widget.server.rest.files import FileHost
from rtk_widget.server.rest.management import Management
from rtk_widget.server.rest.replay import Replay
from rtk_widget.server.rest.responses import json_error
from rtk_widget.server.rest.sdk import MANAGEMENT_PREFIX, Cors, SdkRest
from rtk_widget.server.session_lifecycle import SessionLifecycle
from rtk_widget.server.store import admin as aq
from rtk_widget.server.store.db import Database
from rtk_widget.server.webhooks.delivery import WebhookDispatcher
from rtk_widget.server.webhooks.rest import WebhookRest
from rtk_widget.server.webhooks.signing import WebhookSigner
from rtk_widget.server.ws.handler import SocketHandler
from rtk_widget.server.ws.rooms import Rooms

SECRET_FILE = "secret.json"


def load_secret(config: ServerConfig) -> str:
    """The token/URL signing secret: configured, else kept in the data dir, else random."""
    if config.token_secret:
        return config.token_secret
    data = config.data_path
    if data is None:
        return new_secret()
    path = data / SECRET_FILE
    if path.exists():
        return str(json.loads(path.read_text())["token_secret"])
    secret = new_secret()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump({"token_secret": secret}, handle)
        handle.flush()
        os.fsync(handle.fileno())
    return secret


@dataclass(slots=True)
class Components:
    config: ServerConfig
    db: Database
    tokens: TokenIssuer
    admin: Admin
    rooms: Rooms
    chat: ChatService
    sockets: SocketHandler
    files: FileHost
    signer: UrlSigner
    replay: Replay
    webhooks: WebhookDispatcher
    sessions: SessionLifecycle
    api_token: str
    temp_dir: tempfile.TemporaryDirectory[str] | None

    def close(self) -> None:
        self.db.close()
        if self.temp_dir is not None:
            self.temp_dir.cleanup()


async def build(config: ServerConfig) -> Components:
    data = config.data_path
    temp_dir = None
    if data is not None:
        data.mkdir(parents=True, exist_ok=True)
        files_root = data / "files"
    else:
        temp_dir = tempfile.TemporaryDirectory(prefix="rtk-widget-files-")
        files_root = Path(temp_dir.name)
    db = Database(None if data is None else data / "rtk.sqlite3")
    db.open()
    await db.write(aq.seed_presets)
    secret = load_secret(config)
    tokens = TokenIssuer(secret, config.app_id, config.token_ttl_s)
    signer = UrlSigner(secret)
    rooms = Rooms()
    chat = ChatService.create(config, db, rooms)
    replay = Replay(config, db, signer)
    webhooks = WebhookDispatcher(config, db, WebhookSigner(data), replay)
    sessions = SessionLifecycle(config, db, webhooks)
    sockets = SocketHandler(config, db, rooms, chat, tokens, sessions=sessions)
    admin = Admin(db, tokens, config.app_id)
    admin.on_participant_changed = sockets.participant_changed
    admin.on_kick = sockets.kick
    files = FileHost(config, db, tokens, signer, files_root)
    files.open()
    return Components(
        config,
        db,
        tokens,
        admin,
        rooms,
        chat,
        sockets,
        files,
        signer,
        replay,
        webhooks,
        sessions,
        config.api_token or new_secret(),
        temp_dir,
    )


def asgi_app(parts: Components) -> ASGIApp:
    config = parts.config
    sdk = SdkRest(config, parts.db, parts.tokens, parts.files)
    hooks = WebhookRest(parts.db, parts.webhooks.signer)
    management = Management(config, parts.admin, parts.replay, parts.api_token, hooks.table())

    async def fallback(request: Request) -> Response:
        path = request.url.path
        if path.startswith((MANAGEMENT_PREFIX, "/files/", "/replay/")):
            return json_error(404, "not found")
        return await sdk.anything(request)

    routes = [
        WebSocketRoute("/ws", parts.sockets.__call__),
        Route("/v2/internals/participant-details", sdk.participant_details, methods=["GET"]),
        Route("/iceservers", sdk.ice_servers, methods=["GET"]),
        Route("/v2/meetings/chat-upload", sdk.chat_upload, methods=["POST"]),
        Route("/files/{file_id}", parts.files.put, methods=["PUT"]),
        Route("/files/{file_id}", parts.files.get, methods=["GET"]),
        Route("/files/{file_id}/{name:path}", parts.files.get, methods=["GET"]),
        Route("/replay/{session_id}.csv", parts.replay.serve, methods=["GET"]),
        *management.routes(),
        Route("/.well-known/webhooks.json", hooks.public_key, methods=["GET"]),
        Route("/{path:path}", fallback, methods=["GET", "POST"]),
    ]
    return Cors(Starlette(routes=routes))
