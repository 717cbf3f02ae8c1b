"""Checks a translator's dict against the hub TypedDicts of translators/hub.py, at run time.

Stricter than a type checker on purpose: a key the TypedDict does not declare fails, so a
translator cannot start emitting a field the hub contract does not write down.
"""

from __future__ import annotations

import functools
import types
from typing import (
    Any,
    Literal,
    Union,
    get_args,
    get_origin,
    get_type_hints,
    is_typeddict,
)


def assert_conforms(value: Any, expected: Any, path: str = "$") -> None:
    """Raises AssertionError naming the first place where `value` leaves `expected`."""
    if expected is Any:
        return
    if is_typeddict(expected):
        _check_typeddict(value, expected, path)
        return
    origin = get_origin(expected)
    if origin is Literal:
        assert value in get_args(expected), f"{path}: {value!r} is not one of {get_args(expected)}"
    elif origin in (Union, types.UnionType):
        _check_union(value, get_args(expected), path)
    elif origin is list:
        assert isinstance(value, list), f"{path}: expected a list, got {value!r}"
        for index, item in enumerate(value):
            assert_conforms(item, get_args(expected)[0], f"{path}[{index}]")
    elif origin is dict:
        assert isinstance(value, dict), f"{path}: expected an object, got {value!r}"
        for key, item in value.items():
            assert isinstance(key, str), f"{path}: key {key!r} is not a string"
            assert_conforms(item, get_args(expected)[1], f"{path}.{key}")
    else:
        _check_scalar(value, expected, path)


@functools.cache
def _fields(expected: Any) -> dict[str, Any]:
    # Cached: evaluating a TypedDict's hints costs far more than checking a value against them.
    return get_type_hints(expected)


def _check_typeddict(value: Any, expected: Any, path: str) -> None:
    assert isinstance(value, dict), f"{path}: expected {expected.__name__}, got {value!r}"
    fields = _fields(expected)
    unknown = sorted(set(value) - set(fields))
    assert not unknown, f"{path}: {expected.__name__} has no field {unknown}"
    missing = sorted(expected.__required_keys__ - set(value))
    assert not missing, f"{path}: {expected.__name__} lacks {missing}"
    for key, item in value.items():
        assert_conforms(item, fields[key], f"{path}.{key}")


def _check_union(value: Any, options: tuple[Any, ...], path: str) -> None:
    failures = []
    for option in options:
        try:
            assert_conforms(value, option, path)
        except AssertionError as failure:
            failures.append(str(failure))
        else:
            return
    raise AssertionError(" / ".join(failures))


def _check_scalar(value: Any, expected: Any, path: str) -> None:
    if expected is type(None):
        assert value is None, f"{path}: expected null, got {value!r}"
    elif expected is float:
        assert isinstance(value, int | float) and not isinstance(value, bool), f"{path}: {value!r}"
    elif expected is int:
        assert isinstance(value, int) and not isinstance(value, bool), f"{path}: {value!r}"
    else:
        assert isinstance(value, expected), f"{path}: expected {expected.__name__}, got {value!r}"
