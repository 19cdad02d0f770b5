"""Reading a predictions table (CSV or Parquet) into numpy columns, with one-line errors.

pyarrow parses CSV in parallel and reads Parquet column by column; only the columns the
analysis needs are converted. The CSV dialect (delimiter, header-less column names, missing
value markers, encoding) is the data-validation one (:class:`~research_ci.data.settings.Dialect`),
so UCI Adult's ``", "`` separator and ``?`` markers read the same way everywhere. A
multi-character delimiter is replaced by a unit separator before parsing (Adult has no
quoted fields; a quoted field containing the delimiter would be split).

A column whose type pyarrow guessed from the first block and that does not fit a later
block (an integer column with ``2.5`` further down) is read again as float, then as text.
"""

from __future__ import annotations

import csv
import dataclasses
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from research_ci.data.settings import Dialect
from research_ci.data.sources import csv_error, resolve_source
from research_ci.errors import UsageError

_UNIT_SEPARATOR = "\x1f"
_CONVERSION = re.compile(
    r"In CSV column #(\d+): .*CSV conversion error to (\w+): invalid value '(.*)'"
)
#: Widening steps when a later CSV block does not fit the guessed type.
_RETRIES = 20


@dataclasses.dataclass(frozen=True)
class Column:
    """One column as numpy: ``numeric`` (float64, NaN = missing) or ``categorical``.

    A categorical column holds integer codes (-1 = missing) into ``categories``.
    """

    name: str
    kind: str
    values: Any
    categories: tuple[str, ...] = ()

    @property
    def missing(self) -> Any:
        """Boolean mask of the missing values."""
        return np.isnan(self.values) if self.kind == "numeric" else self.values < 0

    def texts(self) -> Any:
        """The values as an object array of strings (``None`` when missing)."""
        if self.kind == "categorical":
            lookup = np.array([*self.categories, None], dtype=object)
            return lookup[np.where(self.values < 0, len(self.categories), self.values)]
        return np.array([number_text(value) for value in self.values.tolist()], dtype=object)


def number_text(value: float) -> str | None:
    """``37`` for 37.0, ``2.5`` for 2.5, ``None`` for NaN."""
    if value != value:  # noqa: PLR0124 (NaN)
        return None
    return str(int(value)) if float(value).is_integer() and abs(value) < 1e15 else f"{value:g}"


@dataclasses.dataclass(frozen=True)
class Table:
    """The predictions table as read: pyarrow columns, converted on demand."""

    path: str
    arrow: Any

    @property
    def rows(self) -> int:
        """Number of rows."""
        return int(self.arrow.num_rows)

    @property
    def names(self) -> list[str]:
        """Column names in file order."""
        return list(self.arrow.schema.names)

    def require(self, columns: Sequence[str]) -> None:
        """Raise a one-line error naming the columns that are not in the table."""
        _require(self.path, self.names, columns)

    def column(self, name: str) -> Column:
        """Column ``name`` as numpy (numbers, booleans as 0/1, everything else as categories)."""
        self.require([name])
        return to_column(name, self.arrow.column(name))


def to_column(name: str, array: Any) -> Column:
    """A pyarrow (chunked) array as a :class:`Column`."""
    kind = array.type
    if pa.types.is_dictionary(kind):
        array = array.cast(kind.value_type)
        kind = array.type
    if pa.types.is_boolean(kind):
        array = array.cast(pa.int8())
        kind = array.type
    if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind):
        values = array.cast(pa.float64()).to_numpy()
        return Column(name, "numeric", np.asarray(values, dtype=np.float64))
    if pa.types.is_null(kind):
        return Column(name, "numeric", np.full(len(array), np.nan))
    if not (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
        array = array.cast(pa.string())
    encoded = pc.dictionary_encode(array)
    if isinstance(encoded, pa.ChunkedArray):
        encoded = encoded.unify_dictionaries()
        chunks = encoded.chunks
        dictionary = chunks[0].dictionary if chunks else pa.array([], pa.string())
        indices = pa.chunked_array([chunk.indices for chunk in chunks], pa.int32())
    else:  # pragma: no cover - tables always hold chunked arrays
        dictionary, indices = encoded.dictionary, encoded.indices
    codes = np.asarray(indices.fill_null(-1).to_numpy(), dtype=np.int64)
    return Column(name, "categorical", codes, tuple(dictionary.to_pylist()))


def _csv_bytes(path: str, dialect: Dialect) -> Any:
    if len(dialect.delimiter) == 1:
        return path
    raw = Path(path).read_bytes()
    encoded = dialect.delimiter.encode(dialect.encoding)
    return pa.BufferReader(raw.replace(encoded, _UNIT_SEPARATOR.encode(dialect.encoding)))


def _read_csv(path: str, dialect: Dialect, columns: Sequence[str] | None) -> Any:
    delimiter = dialect.delimiter if len(dialect.delimiter) == 1 else _UNIT_SEPARATOR
    read_options = pa_csv.ReadOptions(
        column_names=list(dialect.column_names) or None, encoding=dialect.encoding
    )
    parse_options = pa_csv.ParseOptions(delimiter=delimiter, newlines_in_values=False)
    types: dict[str, Any] = {}
    names: list[str] | None = None
    for _ in range(_RETRIES):
        convert_options = pa_csv.ConvertOptions(
            column_types=types,
            null_values=["", *dialect.na_values],
            strings_can_be_null=True,
            include_columns=list(columns) if columns is not None else None,
            include_missing_columns=False,
        )
        try:
            return pa_csv.read_csv(
                _csv_bytes(path, dialect),
                read_options=read_options,
                parse_options=parse_options,
                convert_options=convert_options,
            )
        except pa.ArrowInvalid as exc:
            match = _CONVERSION.search(str(exc))
            if match is None:
                raise csv_error(path, str(exc), dialect) from exc
            names = names or header(path, dialect)
            index, target, value = int(match.group(1)), match.group(2), match.group(3)
            if index >= len(names):  # pragma: no cover - pyarrow numbers the file's columns
                raise csv_error(path, str(exc), dialect) from exc
            wider = pa.float64() if target.startswith("int") and _is_float(value) else pa.string()
            types[names[index]] = wider
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"cannot read {path}: {exc}") from exc
    raise UsageError(f"{path}: cannot settle the column types")  # pragma: no cover


def header(path: str, dialect: Dialect) -> list[str]:
    """The column names of a CSV file: ``column_names`` or its first row."""
    if dialect.column_names:
        return list(dialect.column_names)
    try:
        with Path(path).open("rb") as handle:
            first = handle.readline().decode(dialect.encoding)
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {path}: {exc}") from exc
    if len(dialect.delimiter) > 1:
        first = first.replace(dialect.delimiter, _UNIT_SEPARATOR)
    delimiter = dialect.delimiter if len(dialect.delimiter) == 1 else _UNIT_SEPARATOR
    return next(csv.reader([first.rstrip("\r\n")], delimiter=delimiter), [])


def _is_float(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def _parquet_names(path: str) -> list[str]:
    try:
        return list(pq.read_schema(path).names)
    except (pa.ArrowException, OSError) as exc:
        raise UsageError(f"{path}: not a readable Parquet file: {exc}") from exc


def _read_parquet(path: str, columns: Sequence[str] | None) -> Any:
    try:
        return pq.read_table(path, columns=list(columns) if columns is not None else None)
    except (pa.ArrowException, OSError) as exc:
        raise UsageError(f"{path}: not a readable Parquet file: {exc}") from exc


def read_table(
    pattern: str,
    dialect: Dialect,
    *,
    columns: Sequence[str] | None = None,
    required: Sequence[str] = (),
    what: str = "table",
) -> Table:
    """Read the file (or glob of shards) ``pattern``; ``columns`` limits what is parsed.

    Raises :class:`UsageError` for a missing or empty file, a ``required`` column that is
    not there, a table without rows, an unreadable file or shards whose columns differ.
    """
    source = resolve_source(pattern, dialect, label=what)
    if source.format not in ("csv", "parquet"):
        raise UsageError(f"{pattern}: {source.format} is not supported here; write CSV or Parquet")
    tables = []
    for path in source.files:
        names = header(path, dialect) if source.format == "csv" else _parquet_names(path)
        _require(path, names, required)
        wanted = (
            None if columns is None else [name for name in dict.fromkeys(columns) if name in names]
        )
        if source.format == "csv":
            tables.append(_read_csv(path, dialect, wanted))
        else:
            tables.append(_read_parquet(path, wanted))
    first = tables[0]
    for path, table in zip(source.files[1:], tables[1:], strict=True):
        if table.schema.names != first.schema.names:
            raise UsageError(f"{path}: columns differ from the first file {source.files[0]}")
    try:
        arrow = pa.concat_tables(tables, promote_options="permissive") if len(tables) > 1 else first
    except pa.ArrowException as exc:
        raise UsageError(f"{pattern}: the shards' column types differ: {exc}") from exc
    if arrow.num_rows == 0:
        raise UsageError(f"{pattern}: the {what} has no rows")
    return Table(path=pattern, arrow=arrow)


def _require(path: str, names: Sequence[str], required: Sequence[str]) -> None:
    missing = [name for name in dict.fromkeys(required) if name not in names]
    if missing:
        quoted = ", ".join(repr(name) for name in missing)
        shown = ", ".join(names[:30]) + (" ..." if len(names) > 30 else "")
        raise UsageError(f"{path}: no column {quoted}; the columns are: {shown}")
