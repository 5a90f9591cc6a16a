"""Requests from the front end checked against their declarations in ``_protocol.py``.

A request's ``msg`` is untrusted JSON; :func:`parse` returns it as the TypedDict
it was declared as, or raises :class:`RequestError` (code ``invalid``) naming
the first field that does not fit, so a bad request gets an error reply and
never an exception in the comm handler. Unknown keys are dropped.
"""

from __future__ import annotations

import functools
import types
from typing import Any, Literal, NotRequired, TypeVar, Union, cast, get_args, get_origin, get_type_hints

from ._errors import RequestError

T = TypeVar("T")


@functools.cache
def fields_of(declaration: type) -> tuple[dict[str, Any], frozenset[str]]:
    """A TypedDict's field types (``NotRequired`` unwrapped) and its required keys."""
    hints = get_type_hints(declaration, include_extras=True)
    fields: dict[str, Any] = {}
    required: set[str] = set()
    for name, hint in hints.items():
        if get_origin(hint) is NotRequired:
            fields[name] = get_args(hint)[0]
        else:
            fields[name] = hint
            required.add(name)
    return fields, frozenset(required)


def is_typed_dict(hint: Any) -> bool:
    """Whether ``hint`` is a TypedDict class."""
    return isinstance(hint, type) and issubclass(hint, dict) and hasattr(hint, "__required_keys__")


def parse(declaration: type[T], value: object, where: str = "msg") -> T:
    """``value`` as the TypedDict ``declaration``, or :class:`RequestError` ``invalid``."""
    return cast(T, _check(declaration, value, where))


def _check(hint: Any, value: object, where: str) -> Any:
    if is_typed_dict(hint):
        return _check_dict(hint, value, where)
    origin = get_origin(hint)
    if origin is Literal:
        choices = get_args(hint)
        if value not in choices or isinstance(value, bool) != any(isinstance(a, bool) for a in choices):
            listed = ", ".join(repr(a) for a in choices)
            raise RequestError("invalid", f"{where} must be one of {listed}, got {value!r}")
        return value
    if origin in (Union, types.UnionType):
        for option in get_args(hint):
            try:
                return _check(option, value, where)
            except RequestError:
                continue
        raise RequestError("invalid", f"{where} must be {_describe(hint)}, got {_kind(value)}")
    if origin is list:
        if not isinstance(value, list):
            raise RequestError("invalid", f"{where} must be a list, got {_kind(value)}")
        (item,) = get_args(hint)
        return [_check(item, element, f"{where}[{i}]") for i, element in enumerate(value)]
    if hint is type(None):
        if value is not None:
            raise RequestError("invalid", f"{where} must be null, got {_kind(value)}")
        return None
    # bool is an int subclass; a JSON true is never a valid count or index.
    if not isinstance(value, hint) or (isinstance(value, bool) and hint is not bool):
        raise RequestError("invalid", f"{where} must be {_describe(hint)}, got {_kind(value)}")
    return value


def _check_dict(declaration: type, value: object, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise RequestError("invalid", f"{where} must be an object, got {_kind(value)}")
    fields, required = fields_of(declaration)
    checked: dict[str, Any] = {}
    for name, hint in fields.items():
        if name in value:
            checked[name] = _check(hint, value[name], repr(name) if where == "msg" else f"{where}.{name}")
        elif name in required:
            raise RequestError("invalid", f"{where} needs {name!r}")
    return checked


def _describe(hint: Any) -> str:
    if get_origin(hint) in (Union, types.UnionType):
        return " or ".join(_describe(option) for option in get_args(hint))
    if hint is type(None):
        return "null"
    names = {str: "a string", int: "an integer", bool: "a boolean"}
    return names.get(hint, getattr(hint, "__name__", str(hint)))


def _kind(value: object) -> str:
    return "null" if value is None else type(value).__name__
