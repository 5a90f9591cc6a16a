"""Short reprs: what a notebook prints for the panel and for messages."""

from __future__ import annotations

from .support import png


def test_messages_print_as_one_short_line(widget, bob):
    text = widget.send_text("a fairly long line of text that goes on and on and on", to="Bob")
    clipped = "a fairly long line of text that goes on\u2026"
    assert repr(text) == f"<TextMessage #{text.seq} Ada: '{clipped}' (private)>"
    widget.pin(text.id)
    assert repr(widget.pinned[0]).endswith("(private, pinned)>")
    image = widget.send_image(png(), name="dots.png")
    assert repr(image) == f"<ImageMessage #{image.seq} Ada: dots.png>"
    report = widget.send_file("x" * 1234, name="notes.txt")
    assert repr(report) == f"<FileMessage #{report.seq} Ada: notes.txt, 1,234 bytes>"


def test_the_widget_prints_its_title_person_count_and_state(widget, ada):
    assert repr(widget) == "<ChatWidget 'Notebook chat': Ada, 0 messages, connected>"
    widget.send_text("one")
    assert repr(widget) == "<ChatWidget 'Notebook chat': Ada, 1 message, connected>"
    bundle = widget._repr_mimebundle_()
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    assert data["text/plain"] == repr(widget)
