"""The two chat panels the widget benchmark compares, as notebook code.

Each contender is a notebook of two cells, run in a real JupyterLab:

1. *prepare* (not timed): puts ``history`` messages where the panel will read them
   and defines ``READY``;
2. *show* (timed as first paint): builds the panel from that history and displays it.

and a snippet the benchmark executes in the same kernel to add one new message.
Both use the same texts (``history_text``), so both panels paint the same strings.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent

# Printed by a show cell that gave up building its panel within the time budget.
GAVE_UP = "bench-build-gave-up"


@dataclass(frozen=True)
class Contender:
    """One panel: how to prepare its history, show it, and add one message."""

    name: str
    module: str  # the package the panel needs in the kernel's environment
    prepare: str  # format fields: bench, count, budget
    show: str
    send: str  # format field: text; assigns the result, or IPython would display it as output

    def cells(self, count: int, budget: float) -> list[str]:
        return [self.prepare.format(bench=str(BENCH), count=count, budget=budget), self.show]


RTK_WIDGET = Contender(
    name="rtk-widget",
    module="rtk_widget",
    # An earlier session of Bob writes the history straight into the embedded server's store
    # and leaves; Bob and Ada then join, which loads all of it into their clients, as notebooks
    # that join a long meeting do. (Had the writer stayed, its client, which never loaded the
    # history, would catch up on all of it at the first new message, in this same kernel.)
    prepare="""
import sys, time
sys.path.insert(0, {bench!r})
from _history import seed_history
from rtk_widget import ChatWidget, Meeting

_writer = Meeting.local(display_name="Bob", title="bench")
seed_history(_writer, {count})
bob = Meeting.local(display_name="Bob", meeting=_writer)
ada = Meeting.local(display_name="Ada", meeting=_writer)
_writer.leave()
assert len(ada.chat.messages) == len(bob.chat.messages) == {count}, len(ada.chat.messages)
BUILT = {count}
READY = True
""",
    show="""
_started = time.monotonic()
widget = ChatWidget(ada)
BUILD_SECONDS = time.monotonic() - _started
widget
""",
    send="_sent = bob.chat.send_text_message({text!r})",
)

PANEL_CHATFEED = Contender(
    name="Panel ChatFeed",
    module="panel",
    # The history is plain (user, text) pairs in the kernel; building the ChatMessage
    # objects is part of showing it, and gives up after the budget.
    prepare="""
import sys, time
sys.path.insert(0, {bench!r})
from _history import history_text
import panel as pn
pn.extension(inline=True)  # BokehJS and Panel's JS from the kernel: the page may not reach a CDN
# Panel's default for the panel itself: inline stylesheets make display O(models^2) (each
# patch recomputes the Bokeh document), which is not what Panel users run. The page
# refuses the CDN stylesheet links, so the feed paints unstyled, with the same text.
pn.config.inline = False

HISTORY = [("Bob", history_text(i)) for i in range({count})]
BUDGET = {budget}
READY = True
""",
    show=f"""
_started = time.monotonic()
_objects = []
for _user, _text in HISTORY:
    _objects.append(pn.chat.ChatMessage(_text, user=_user))
    if time.monotonic() - _started > BUDGET:
        break
BUILT = len(_objects)
if BUILT == len(HISTORY):
    feed = pn.chat.ChatFeed(objects=_objects, height=600)
    BUILD_SECONDS = time.monotonic() - _started
    display(feed)
else:
    BUILD_SECONDS = None
    print({GAVE_UP!r}, BUILT)
""",
    send="_sent = feed.send({text!r}, user='Bob', respond=False)",
)

CONTENDERS = (RTK_WIDGET, PANEL_CHATFEED)
