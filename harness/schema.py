"""Checking decoded JSON against the type hints of a dataclass.

Documents the harness writes are dataclasses (`harness.results`); reading one back
checks every field against the field's type hint, so a hand-edited or damaged file
fails on read with one line naming the field, instead of deep inside a report.
Understood hints: str, int, float (finite; ints accepted), bool, None, unions, Any,
list[X], dict[str, X] and nested dataclasses.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from typing import Any


class SchemaError(ValueError):
    """`where` (a dotted path such as `rows[0].kendall`) does not have the expected type."""

    def __init__(self, where: str, problem: str):
        super().__init__(f"{where} {problem}")
        self.where = where


def describe(hint: Any) -> str:
    """A hint in words: `float | None` -> `a number or null`."""
    if hint is Any:
        return "any value"
    if _is_union(hint):
        return " or ".join(describe(h) for h in typing.get_args(hint))
    origin = typing.get_origin(hint)
    if origin is list:
        return "a list"
    if origin is dict:
        return "an object"
    if dataclasses.is_dataclass(hint):
        return "an object"
    return {
        type(None): "null",
        bool: "true or false",
        int: "an integer",
        float: "a finite number",
        str: "text",
    }.get(hint, str(hint))


def _is_union(hint: Any) -> bool:
    return typing.get_origin(hint) in (typing.Union, types.UnionType)


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def check_value(value: Any, hint: Any, where: str) -> None:
    """SchemaError unless `value` (decoded JSON) fits `hint`."""
    if hint is Any:
        return
    if _is_union(hint):
        for option in typing.get_args(hint):
            try:
                check_value(value, option, where)
                return
            except SchemaError as error:
                if error.where != where:  # the shape fits, something inside does not
                    raise
        raise SchemaError(where, f"must be {describe(hint)}, got {_shown(value)}")
    origin = typing.get_origin(hint)
    if origin is list:
        if not isinstance(value, list):
            raise SchemaError(where, f"must be a list, got {_shown(value)}")
        (item,) = typing.get_args(hint)
        for i, element in enumerate(value):
            check_value(element, item, f"{where}[{i}]")
        return
    if origin is dict:
        if not isinstance(value, dict):
            raise SchemaError(where, f"must be an object, got {_shown(value)}")
        _, item = typing.get_args(hint)
        for key, element in value.items():
            check_value(element, item, f"{where}.{key}")
        return
    if dataclasses.is_dataclass(hint):
        check_fields(value, hint, where)
        return
    if not _fits(value, hint):
        raise SchemaError(where, f"must be {describe(hint)}, got {_shown(value)}")


def _fits(value: Any, hint: Any) -> bool:
    if hint is type(None):
        return value is None
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is float:
        return (
            isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
        )
    if hint is str:
        return isinstance(value, str)
    return isinstance(value, hint)


def check_fields(value: Any, cls: type, where: str) -> None:
    """SchemaError unless `value` is an object with `cls`'s fields, each of its type:
    every field without a default present, no field `cls` does not have."""
    if not isinstance(value, dict):
        raise SchemaError(where, f"must be an object, got {_shown(value)}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    prefix = f"{where}." if where else ""
    for key in value:
        if key not in fields:
            raise SchemaError(f"{prefix}{key}", f"is not a field of {cls.__name__}")
    for name, field in fields.items():
        if name not in value:
            required = (
                field.default is dataclasses.MISSING
                and field.default_factory is dataclasses.MISSING
            )
            if required:
                raise SchemaError(f"{prefix}{name}", "is missing")
            continue
        check_value(value[name], hints[name], f"{prefix}{name}")
