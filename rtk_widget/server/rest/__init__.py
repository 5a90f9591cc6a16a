"""HTTP endpoints: the SDK-facing REST, the file host, Chat Replay, Cloudflare's management API."""
