"""The nesting-limited JSON parser used for everything other people send."""

from __future__ import annotations

import json

import pytest

from rtk_widget.wire import safe_json


def test_nesting_up_to_the_limit_parses_like_json():
    for text in ("[" * 64 + "]" * 64, '{"a":' * 64 + "1" + "}" * 64, '{"x": [1, {"y": null}], "z": "é"}'):
        assert safe_json.loads(text) == json.loads(text)
        assert safe_json.loads(text.encode()) == json.loads(text)


@pytest.mark.parametrize(
    "text",
    [
        "[" * 65 + "]" * 65,
        "[" * 60_000,
        '{"a":' * 65 + "1" + "}" * 65,
        '{"n": ' + "[" * 3000 + "]" * 3000 + "}",
    ],
)
def test_deeper_nesting_is_a_value_error_not_a_recursion_error(text):
    with pytest.raises(safe_json.TooDeepError):
        safe_json.loads(text)


def test_brackets_inside_strings_do_not_count():
    text = '["' + "[" * 1000 + '", "\\"[[[", "{{{"]'
    assert safe_json.loads(text) == ["[" * 1000, '"[[[', "{{{"]


@pytest.mark.parametrize("data", [b'{"a": "\xff"}', b'{"a": NaN}', b"[Infinity]", b'{"a":', b"", b"1" * 5000])
def test_everything_else_that_is_not_plain_json_is_a_value_error(data):
    with pytest.raises(ValueError):
        safe_json.loads(data)
