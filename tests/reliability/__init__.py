"""Delivery and hardening properties.

Each module names its label (D1, D6, D7, D8, H2, ...) from docs/reliability.md.
"""
