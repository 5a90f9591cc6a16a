"""Chat rules independent of transport: payload validation, rate limits, the chat service."""
