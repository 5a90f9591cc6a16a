"""``ChatWidget``: a meeting's chat as a Jupyter panel (anywidget); ``ReplayWidget``: a past session's."""

from __future__ import annotations

from ._replay import ReplayWidget
from ._subscriptions import Subscription
from ._widget import ChatWidget

__all__ = ["ChatWidget", "ReplayWidget", "Subscription"]
