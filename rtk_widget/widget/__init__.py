"""``ChatWidget``: a meeting's chat as a Jupyter panel (anywidget)."""

from __future__ import annotations

from ._subscriptions import Subscription
from ._widget import ChatWidget

__all__ = ["ChatWidget", "Subscription"]
