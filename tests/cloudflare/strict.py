"""Strict checks of JSON against the official ``cloudflare`` SDK's response types.

The SDK's pydantic models accept anything (missing required fields, wrong types, unknown enum
values all parse). ``problems`` walks a model's annotations instead: every required field must
be present, and every present field must have the annotated type; a ``Literal`` must hold one
of its values, a ``datetime`` an ISO-8601 string. Extra fields are allowed (RealtimeKit adds
fields over time; our extension flags are extra fields).
"""

from __future__ import annotations

import types
import typing
from datetime import datetime
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel


def problems(model: type[BaseModel], data: Any, path: str = "$") -> list[str]:
    """Where ``data`` breaks ``model``'s type (empty list: it conforms)."""
    if not isinstance(data, dict):
        return [f"{path}: expected an object, got {type(data).__name__}"]
    found: list[str] = []
    for name, field in model.model_fields.items():
        key = field.alias or name
        if key not in data:
            if field.is_required():
                found.append(f"{path}.{key}: required field missing")
            continue
        found += _check(field.annotation, data[key], f"{path}.{key}")
    return found


def _check(kind: Any, value: Any, path: str) -> list[str]:
    origin = get_origin(kind)
    if origin is typing.Annotated:
        return _check(get_args(kind)[0], value, path)
    if origin in (Union, types.UnionType):
        options = get_args(kind)
        if value is None:
            return [] if type(None) in options else [f"{path}: must not be null"]
        attempts = [_check(option, value, path) for option in options if option is not type(None)]
        return [] if any(not a for a in attempts) else min(attempts, key=len)
    if origin is Literal:
        return [] if value in get_args(kind) else [f"{path}: {value!r} is not one of {get_args(kind)}"]
    if origin in (list, typing.List):  # noqa: UP006
        if not isinstance(value, list):
            return [f"{path}: expected an array"]
        return [p for i, item in enumerate(value) for p in _check(get_args(kind)[0], item, f"{path}[{i}]")]
    if origin in (dict, typing.Dict):  # noqa: UP006
        if not isinstance(value, dict):
            return [f"{path}: expected an object"]
        return [p for k, item in value.items() for p in _check(get_args(kind)[1], item, f"{path}.{k}")]
    if isinstance(kind, type) and issubclass(kind, BaseModel):
        return problems(kind, value, path)
    return _scalar(kind, value, path)


def _scalar(kind: Any, value: Any, path: str) -> list[str]:
    if kind is object or kind is Any:
        return []
    if value is None:
        return [f"{path}: must not be null"]
    if kind is bool:
        ok = isinstance(value, bool)
    elif kind is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif kind is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    elif kind is str:
        ok = isinstance(value, str)
    elif kind is datetime:
        ok = isinstance(value, str) and _is_iso(value)
    else:
        raise TypeError(f"{path}: no check for {kind!r}")
    return [] if ok else [f"{path}: {value!r} is not a {getattr(kind, '__name__', kind)}"]


def _is_iso(text: str) -> bool:
    try:
        datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True
