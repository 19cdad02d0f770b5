"""Flat records written to JSON as their fields and read back from it.

For every record whose fields are plain values (the anomalies and measurements of a data
report, the failures and gaps of a model report): :class:`FlatRecord` gives it ``to_dict``
(``dataclasses.asdict``) and ``from_dict``, which reads each field under its own name and
converts it to its declared ``str``, ``int``, ``float`` or ``bool``; an absent field takes its
default, and one without a default must be there (``KeyError``).
"""

from __future__ import annotations

import dataclasses
import functools
import typing
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

R = TypeVar("R", bound="DataclassInstance")
F = TypeVar("F", bound="FlatRecord")

_PLAIN: dict[object, Callable[[Any], Any]] = {str: str, int: int, float: float, bool: bool}


def _keep(value: Any) -> Any:
    return value


@functools.cache
def _fields(cls: type[DataclassInstance]) -> tuple[tuple[str, Any, Callable[[Any], Any]], ...]:
    """Each field's name, default (``MISSING``: required) and conversion."""
    types = typing.get_type_hints(cls)
    return tuple(
        (field.name, field.default, _PLAIN.get(types[field.name], _keep))
        for field in dataclasses.fields(cls)
    )


def from_fields(cls: type[R], data: Mapping[str, Any]) -> R:
    """The record ``cls`` of ``data``; optional fields (``X | None``) are taken as they are."""
    values: dict[str, Any] = {}
    for name, default, convert in _fields(cls):
        if name in data:
            values[name] = convert(data[name])
        elif default is dataclasses.MISSING:
            raise KeyError(name)
        else:
            values[name] = default
    return cls(**values)


class FlatRecord:
    """Base of a dataclass of plain values: its JSON form and the inverse of it."""

    __dataclass_fields__: ClassVar[dict[str, dataclasses.Field[Any]]]

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls: type[F], data: Mapping[str, Any]) -> F:
        """Inverse of :meth:`to_dict`."""
        return from_fields(cls, data)
