"""The front end's protocol declarations are generated from ``_protocol.py`` and current."""

from __future__ import annotations

import pytest

from rtk_widget.widget import _protocol
from rtk_widget.widget._typescript import TARGET, main, render


def test_the_generated_typescript_is_current():
    assert TARGET.read_text() == render(), "run: python -m rtk_widget.widget._typescript"
    assert main(["--check"]) == 0


def test_a_changed_declaration_makes_it_stale(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(_protocol.WireMessage, "__doc__", "A changed description.")
    assert main(["--check"]) == 1


def test_every_kind_trait_and_error_code_reaches_typescript():
    generated = render()
    for kind in _protocol.REQUEST_KINDS | _protocol.PUSH_KINDS:
        assert f'"{kind}"' in generated
    for code in _protocol.ERROR_CODES:
        assert f'"{code}"' in generated
    for trait in _protocol.ChatTraits.__annotations__:
        assert f"  {trait}: " in generated
    assert "reset" not in _protocol.PUSH_KINDS


def test_the_widget_syncs_exactly_the_declared_traits():
    import anywidget

    from rtk_widget.widget import ChatWidget

    inherited = anywidget.AnyWidget.class_traits(sync=True)
    own = {name for name in ChatWidget.class_traits(sync=True) if not name.startswith("_")}
    synced = own - set(inherited)
    assert synced == set(_protocol.ChatTraits.__annotations__)
