"""Decoded JSON checked against dataclass type hints (the results document's schema)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from harness.schema import SchemaError, check_fields, check_value, describe


@dataclass
class Inner:
    x: float
    tags: list[str] = field(default_factory=list)


@dataclass
class Outer:
    name: str
    count: int
    flag: bool
    value: float | None
    inner: list[Inner]
    extra: dict[str, Any] = field(default_factory=dict)


GOOD = {"name": "a", "count": 2, "flag": True, "value": None, "inner": [{"x": 1}]}


def test_a_fitting_object_passes():
    check_fields(GOOD, Outer, "")
    check_fields({**GOOD, "value": 0.5, "extra": {"any": [1, "x"]}}, Outer, "")


@pytest.mark.parametrize(
    ("change", "where", "problem"),
    [
        ({"count": True}, "count", "must be an integer"),
        ({"count": 1.5}, "count", "must be an integer"),
        ({"flag": 1}, "flag", "must be true or false"),
        ({"value": "high"}, "value", "must be a finite number or null"),
        ({"value": float("inf")}, "value", "must be a finite number or null"),
        ({"inner": {}}, "inner", "must be a list"),
        ({"inner": [{"x": "1"}]}, "inner[0].x", "must be a finite number"),
        ({"inner": [{"x": 1, "tags": [3]}]}, "inner[0].tags[0]", "must be text"),
        ({"inner": [{}]}, "inner[0].x", "is missing"),
        ({"extra": None}, "extra", "must be an object"),
        ({"other": 1}, "other", "is not a field of Outer"),
    ],
)
def test_each_misfit_names_its_place(change, where, problem):
    with pytest.raises(SchemaError) as info:
        check_fields({**GOOD, **change}, Outer, "")
    assert info.value.where == where and problem in str(info.value)


def test_a_missing_required_field():
    with pytest.raises(SchemaError, match="name is missing"):
        check_fields({k: v for k, v in GOOD.items() if k != "name"}, Outer, "")


def test_descriptions_read_as_words():
    assert describe(float | None) == "a finite number or null"
    assert describe(dict[str, int]) == "an object"
    check_value({"a": 1}, dict[str, int], "d")
    with pytest.raises(SchemaError, match=r"d\.a must be an integer"):
        check_value({"a": "1"}, dict[str, int], "d")
