"""The SQLite schema. Times are integer milliseconds since the epoch (UTC)."""

from __future__ import annotations

import sqlite3

SCHEMA_VERSION = 3
"""1: the first release. 2: ``webhook_deliveries`` (added by SCHEMA's ``IF NOT EXISTS``).
3: a queued ``meeting.chatSynced`` body leaves out its Chat Replay URL, which each attempt signs
afresh; rows queued under 2 still carry one, which is replaced when sent, so nothing migrates,
but a version 2 server would send 3's rows without a URL, hence the bump."""

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

CREATE TABLE IF NOT EXISTS meetings (
  id TEXT PRIMARY KEY,
  title TEXT,
  status TEXT NOT NULL DEFAULT 'ACTIVE',
  settings TEXT NOT NULL DEFAULT '{}',      -- persist_chat, record_on_start, ... as JSON
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL,
  seq INTEGER NOT NULL DEFAULT 0,            -- last message sequence number given out
  rev INTEGER NOT NULL DEFAULT 0,            -- last change revision given out
  last_ms INTEGER NOT NULL DEFAULT 0         -- newest message time (times are strictly increasing)
);
CREATE INDEX IF NOT EXISTS meetings_created ON meetings (created_ms, id);

CREATE TABLE IF NOT EXISTS presets (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  body TEXT NOT NULL,                        -- {config, permissions, ui} as JSON
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS participants (
  id TEXT PRIMARY KEY,
  meeting_id TEXT NOT NULL REFERENCES meetings (id),
  custom_participant_id TEXT NOT NULL,
  preset_name TEXT NOT NULL,
  name TEXT,
  picture TEXT,
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS participants_meeting ON participants (meeting_id, created_ms);

CREATE TABLE IF NOT EXISTS sessions (
  id TEXT PRIMARY KEY,
  meeting_id TEXT NOT NULL REFERENCES meetings (id),
  status TEXT NOT NULL,                      -- LIVE | ENDED
  started_ms INTEGER NOT NULL,
  ended_ms INTEGER,
  updated_ms INTEGER NOT NULL,
  live_participants INTEGER NOT NULL DEFAULT 0,
  max_concurrent INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS sessions_meeting ON sessions (meeting_id, started_ms);
CREATE UNIQUE INDEX IF NOT EXISTS sessions_one_live ON sessions (meeting_id) WHERE status = 'LIVE';

CREATE TABLE IF NOT EXISTS session_peers (
  session_id TEXT NOT NULL REFERENCES sessions (id),
  peer_id TEXT NOT NULL,
  participant_id TEXT NOT NULL,
  custom_participant_id TEXT NOT NULL,
  display_name TEXT NOT NULL,
  preset_name TEXT NOT NULL,
  joined_ms INTEGER NOT NULL,
  left_ms INTEGER,
  PRIMARY KEY (session_id, peer_id)
);

CREATE TABLE IF NOT EXISTS messages (
  pk INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  meeting_id TEXT NOT NULL REFERENCES meetings (id),
  session_id TEXT,
  seq INTEGER NOT NULL,
  rev INTEGER NOT NULL,
  peer_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  display_name TEXT NOT NULL,
  payload_type INTEGER NOT NULL,
  payload TEXT NOT NULL,
  private INTEGER NOT NULL DEFAULT 0,
  target_user_ids TEXT NOT NULL DEFAULT '[]',
  pinned INTEGER NOT NULL DEFAULT 0,
  edited INTEGER NOT NULL DEFAULT 0,
  deleted INTEGER NOT NULL DEFAULT 0,        -- tombstone: payload cleared, row kept for sync
  created_ms INTEGER NOT NULL,
  UNIQUE (meeting_id, seq)
);
CREATE INDEX IF NOT EXISTS messages_time ON messages (meeting_id, created_ms);
CREATE INDEX IF NOT EXISTS messages_rev ON messages (meeting_id, rev);
CREATE INDEX IF NOT EXISTS messages_session ON messages (session_id, seq);

-- Who may see a private message: its targets and its sender (user ids).
CREATE TABLE IF NOT EXISTS message_audience (
  message_pk INTEGER NOT NULL REFERENCES messages (pk),
  user_id TEXT NOT NULL,
  PRIMARY KEY (message_pk, user_id)
) WITHOUT ROWID;

-- Idempotent sends: one row per (meeting, sender, envelope id), written with the message.
CREATE TABLE IF NOT EXISTS dedupe (
  meeting_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  envelope_id TEXT NOT NULL,
  message_pk INTEGER NOT NULL REFERENCES messages (pk),
  PRIMARY KEY (meeting_id, user_id, envelope_id)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS files (
  id TEXT PRIMARY KEY,                       -- server-generated; also the name on disk
  meeting_id TEXT NOT NULL,
  uploader_id TEXT NOT NULL,
  filename TEXT NOT NULL,                    -- metadata only, never a path
  content_type TEXT,
  size INTEGER,
  stored INTEGER NOT NULL DEFAULT 0,
  created_ms INTEGER NOT NULL
);

-- Webhook registrations (Cloudflare's Webhook object); events is a JSON array of names.
CREATE TABLE IF NOT EXISTS webhooks (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  url TEXT NOT NULL,
  events TEXT NOT NULL,
  enabled INTEGER NOT NULL DEFAULT 1,
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL
);

-- Webhook deliveries not yet made (schema 2): written in the transaction of the change they
-- report, removed once delivered or given up on. `id` is the rtk-uuid, the same on every attempt.
CREATE TABLE IF NOT EXISTS webhook_deliveries (
  id TEXT PRIMARY KEY,
  webhook_id TEXT NOT NULL,
  event TEXT NOT NULL,
  body BLOB NOT NULL,                        -- the JSON body as POSTed (signed when sent); a
                                             -- meeting.chatSynced one gets its Chat Replay URL then
  attempts INTEGER NOT NULL DEFAULT 0,       -- attempts made so far
  next_ms INTEGER NOT NULL,                  -- when the next attempt is due
  created_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS webhook_deliveries_due ON webhook_deliveries (next_ms, created_ms);

-- Tokens refused after a kick (sha256 of the token), kept until the token would expire.
CREATE TABLE IF NOT EXISTS revoked_tokens (
  digest TEXT PRIMARY KEY,
  participant_id TEXT NOT NULL,
  expires_ms INTEGER NOT NULL
) WITHOUT ROWID;

-- Files referenced by messages (their links), for private-audience checks on download.
CREATE TABLE IF NOT EXISTS message_files (
  message_pk INTEGER NOT NULL REFERENCES messages (pk),
  file_id TEXT NOT NULL,
  PRIMARY KEY (file_id, message_pk)
) WITHOUT ROWID;
"""


def migrate(conn: sqlite3.Connection) -> None:
    """Bring a database (new, or a data dir of any earlier version) to SCHEMA_VERSION.

    SCHEMA only adds tables and indexes with ``IF NOT EXISTS``, so running it is the whole
    migration so far; a data dir written by a newer version is refused rather than misread.
    """
    conn.executescript(SCHEMA)
    row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    found = int(row[0]) if row is not None else 0
    if found > SCHEMA_VERSION:
        raise RuntimeError(f"the database has schema {found}, newer than this rtk-widget's {SCHEMA_VERSION}")
    conn.execute(
        "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)
    )
