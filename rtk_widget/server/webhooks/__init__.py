"""Webhooks: registration REST, payloads, signing and durable delivery."""
