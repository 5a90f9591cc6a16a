"""The comm protocol's kinds and error codes are the same in Python and in js/src/protocol.ts."""

from __future__ import annotations

import re
from pathlib import Path

from rtk_widget.widget import _protocol

PROTOCOL_TS = Path(__file__).resolve().parents[2] / "js" / "src" / "protocol.ts"


def ts_block(source: str, opener: str, closer: str) -> str:
    start = source.index(opener) + len(opener)
    return source[start : source.index(closer, start)]


def string_literals(block: str) -> set[str]:
    return set(re.findall(r'"([^"\\]*)"', block))


def test_kinds_match():
    source = PROTOCOL_TS.read_text()
    js_kinds = string_literals(ts_block(source, "export const KINDS = {", "}"))
    assert js_kinds == _protocol.REQUEST_KINDS | _protocol.PUSH_KINDS


def test_error_codes_match():
    source = PROTOCOL_TS.read_text()
    js_codes = string_literals(ts_block(source, "export const ERROR_CODES = [", "]"))
    assert js_codes == _protocol.ERROR_CODES


def test_response_suffix_matches():
    source = PROTOCOL_TS.read_text()
    match = re.search(r'export const RESPONSE_SUFFIX = "([^"]+)"', source)
    assert match is not None
    assert match.group(1) == _protocol.RESPONSE_SUFFIX


def test_delta_ops_match():
    source = PROTOCOL_TS.read_text()
    ops = set(re.findall(r'op: "([a-z-]+)"', ts_block(source, "export type Delta =", "\n")))
    assert ops == {_protocol.UPSERT, _protocol.REMOVE}
