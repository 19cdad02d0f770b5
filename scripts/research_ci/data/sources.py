"""Reading the input data as a stream of bounded Arrow record batches.

Formats: CSV (any one-character delimiter natively, longer delimiters such as UCI Adult's
``", "`` by transcoding; quoted fields may span lines; a header row or ``column_names``),
Parquet, and TFRecord files of ``tf.Example`` (TensorFlow is imported only for TFRecord). A
path may be a glob over shards; ``.gz``/``.bz2``/``.zst`` CSV files are decompressed on the fly.

Memory stays bounded: CSV is parsed block by block (``pyarrow.csv.open_csv``), Parquet row
group by row group, TFRecord a batch of records at a time. Column types must not change from
one batch to the next (TFDV refuses a feature that is INT in one batch and FLOAT in another),
so a CSV column's type is taken from the schema or the first block and, when a later block
does not fit it, widened (null -> int -> float -> string) and the read starts again.
:func:`read_widening` is the one place that does this: a job reads the source with the types
it is given and :func:`read_widening` runs it again with wider ones when a reader raised
:class:`TypesChanged`. A value that fits no numeric type (``unknown`` in an INT column) makes
the column text: what is in the file is read, and TFDV reports the type against the schema.

Every problem with the input is one :class:`~research_ci.errors.UsageError` line naming the
file, and the line where it is known.
"""

from __future__ import annotations

import csv
import dataclasses
import glob
import importlib
import io
import itertools
import re
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, BinaryIO, Protocol, TypeVar

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from research_ci.data.settings import Dialect
from research_ci.errors import UsageError

#: Bytes of CSV parsed per block: bounds memory (a block and its batch are alive at once).
DEFAULT_BLOCK_SIZE = 1 << 20
#: Rows per batch for Parquet and TFRecord.
DEFAULT_BATCH_ROWS = 65_536
#: A byte that cannot appear in text, used in place of a multi-character delimiter.
_UNIT_SEPARATOR = "\x1f"
_COMPRESSED_SUFFIXES = (".gz", ".bz2", ".zst", ".lz4")
_ArrowType = Any  # pyarrow.DataType (pyarrow has no type stubs)

Progress = Callable[[int], None]
T = TypeVar("T")


class TypesChanged(Exception):  # noqa: N818 (a signal, not an error)
    """A CSV column needed a wider type: the read starts again with :attr:`types`."""

    def __init__(self, types: Mapping[str, str]) -> None:
        super().__init__(", ".join(f"{name}: {kind}" for name, kind in types.items()))
        self.types = dict(types)


class Reader(Protocol):
    """Record batches of a source, file after file, with one type per column."""

    def batches(self) -> Iterator[Any]:
        """Arrow record batches (pyarrow has no type stubs); CSV may raise TypesChanged."""
        ...  # pragma: no cover - protocol


@dataclasses.dataclass(frozen=True)
class Source:
    """Resolved input: the pattern as given, its files, their format and dialect."""

    pattern: str
    files: tuple[str, ...]
    format: str
    dialect: Dialect

    @property
    def total_bytes(self) -> int:
        """Size of all the files, for the progress bar."""
        return sum(Path(name).stat().st_size for name in self.files)


def detect_format(path: str) -> str:
    """``csv``, ``parquet`` or ``tfrecord`` from the file name (CSV when unsure)."""
    name = path.lower()
    for suffix in _COMPRESSED_SUFFIXES:
        name = name.removesuffix(suffix)
    if name.endswith((".parquet", ".pq")):
        return "parquet"
    if ".tfrecord" in name or name.endswith((".tfrec", ".records")) or "tfrecord" in name:
        return "tfrecord"
    return "csv"


def resolve_source(pattern: str, dialect: Dialect, *, label: str = "data") -> Source:
    """Expand ``pattern`` (a file or a glob); raise a one-line error when nothing is there."""
    path = Path(pattern).expanduser()
    if glob.has_magic(pattern):
        matches = glob.glob(str(path))  # noqa: PTH207 (absolute or relative patterns alike)
        files = tuple(sorted(name for name in matches if Path(name).is_file()))
        if not files:
            raise UsageError(f"{label}: no file matches {pattern}")
    elif path.is_dir():
        files = tuple(sorted(str(item) for item in path.iterdir() if item.is_file()))
        if not files:
            raise UsageError(f"{label}: directory {pattern} has no files")
    elif path.is_file():
        files = (str(path),)
    elif path.exists():  # a FIFO or a device would hang or never end
        raise UsageError(f"{label}: {pattern} is not a regular file")
    else:
        raise UsageError(f"{label} file not found: {pattern}")
    for name in files:
        if Path(name).stat().st_size == 0:
            raise UsageError(f"{name}: empty file (no header, no rows)")
    fmt = dialect.format if dialect.format != "auto" else detect_format(files[0])
    return Source(pattern=pattern, files=files, format=fmt, dialect=dialect)


# --------------------------------------------------------------------------------------- CSV


class _DelimiterTranscoder(io.RawIOBase):
    """A binary stream that replaces a multi-character delimiter by one unit separator."""

    def __init__(self, raw: BinaryIO, delimiter: bytes, progress: Progress | None) -> None:
        super().__init__()
        self._raw = raw
        self._delimiter = delimiter
        self._pending = b""
        self._out = b""
        self._eof = False
        self._progress = progress

    def readable(self) -> bool:
        """Always readable."""
        return True

    def readinto(self, buffer: Any) -> int:
        """Fill ``buffer`` with transcoded bytes, cut after a line break (delimiters never span)."""
        separator = _UNIT_SEPARATOR.encode()
        while not self._out and not self._eof:
            chunk = self._raw.read(1 << 20)
            if self._progress is not None:
                self._progress(len(chunk))
            if not chunk:
                self._eof = True
                self._out = self._pending.replace(self._delimiter, separator)
                self._pending = b""
                break
            data = self._pending + chunk
            cut = data.rfind(b"\n") + 1
            self._pending = data[cut:]
            self._out = data[:cut].replace(self._delimiter, separator)
        size = min(len(buffer), len(self._out))
        buffer[:size] = self._out[:size]
        self._out = self._out[size:]
        return size

    def close(self) -> None:
        """Close the underlying stream too."""
        self._raw.close()
        super().close()


class _CountingStream(io.RawIOBase):
    """Reports the bytes read to a progress callback."""

    def __init__(self, raw: BinaryIO, progress: Progress) -> None:
        super().__init__()
        self._raw = raw
        self._progress = progress

    def readable(self) -> bool:
        """Always readable."""
        return True

    def readinto(self, buffer: Any) -> int:
        """Read from the wrapped stream."""
        data = self._raw.read(len(buffer))
        buffer[: len(data)] = data
        self._progress(len(data))
        return len(data)

    def close(self) -> None:
        """Close the underlying stream too."""
        self._raw.close()
        super().close()


class _RangeStream(io.RawIOBase):
    """Bytes ``start`` to ``end`` of a file."""

    def __init__(self, path: str, start: int, end: int) -> None:
        super().__init__()
        self._handle = Path(path).open("rb")  # noqa: SIM115 (closed in close())
        self._handle.seek(start)
        self._left = end - start

    def readable(self) -> bool:
        """Always readable."""
        return True

    def readinto(self, buffer: Any) -> int:
        """Read at most up to the end of the range."""
        size = min(len(buffer), self._left)
        data = self._handle.read(size) if size > 0 else b""
        buffer[: len(data)] = data
        self._left -= len(data)
        return len(data)

    def close(self) -> None:
        """Close the file."""
        self._handle.close()
        super().close()


def split_ranges(path: str, parts: int, *, min_part: int = 8 << 20) -> list[tuple[int, int]]:
    """Cut a plain CSV file into ``parts`` byte ranges that end after unquoted line breaks.

    A quoted value may hold line breaks: no range may end inside one.
    A position is outside quotes when an even number of ``"`` precede it (RFC 4180 doubles
    a quote inside a quoted value), so one ``bytes.count`` pass over the file places every
    cut. Compressed and small files stay whole.
    """
    size = Path(path).stat().st_size
    if parts < 2 or size < 2 * min_part or path.lower().endswith(_COMPRESSED_SUFFIXES):
        return [(0, size)]
    cuts = [0]
    quotes = 0
    position = 0
    with Path(path).open("rb") as handle:
        for index in range(1, parts):
            target = max(size * index // parts, position)
            handle.seek(position)
            while position < target:
                chunk = handle.read(min(16 << 20, target - position))
                if not chunk:
                    break
                quotes += chunk.count(b'"')
                position += len(chunk)
            while True:  # to the end of a line that is outside quotes
                line = handle.readline()
                quotes += line.count(b'"')
                position += len(line)
                if not line or quotes % 2 == 0:
                    break
            if cuts[-1] < position < size:
                cuts.append(position)
    cuts.append(size)
    return list(itertools.pairwise(cuts))


_HINTS: dict[str, _ArrowType] = {
    "int": pa.int64(),
    "float": pa.float64(),
    "string": pa.string(),
}
_WIDER: dict[str, str] = {"null": "int", "int": "float", "float": "string"}
_CONVERSION = re.compile(
    r"In CSV column #(\d+): CSV conversion error to (\w+): invalid value '(.*)'"
)
_COLUMNS = re.compile(r"Expected (\d+) columns, got (\d+)")

_ORDER = ("null", "int", "float", "string")


def wider(first: str, second: str) -> str:
    """The wider of two column kinds (``null`` < ``int`` < ``float`` < ``string``)."""
    rank = {kind: index for index, kind in enumerate(_ORDER)}
    return max(first, second, key=lambda kind: rank.get(kind, len(_ORDER)))


def _type_name(arrow_type: _ArrowType) -> str:
    if pa.types.is_null(arrow_type):
        return "null"
    if pa.types.is_integer(arrow_type):
        return "int"
    if pa.types.is_floating(arrow_type):
        return "float"
    if pa.types.is_binary(arrow_type) or pa.types.is_large_binary(arrow_type):
        return "binary"
    return "string"


def _fits(value: str, kind: str) -> bool:
    try:
        if kind == "int":
            int(value)
        elif kind == "float":
            float(value)
    except ValueError:
        return False
    return True


class CsvReader:
    """Streams a CSV source as record batches with stable column types."""

    def __init__(
        self,
        source: Source,
        *,
        type_hints: Mapping[str, str] | None = None,
        block_size: int = DEFAULT_BLOCK_SIZE,
        progress: Progress | None = None,
        byte_range: tuple[int, int] | None = None,
        names: list[str] | None = None,
    ) -> None:
        self.source = source
        self.byte_range = byte_range
        self.block_size = block_size
        self.progress = progress
        self.types: dict[str, str] = dict(type_hints or {})
        self.names: list[str] | None = names
        dialect = source.dialect
        self._multichar = len(dialect.delimiter) > 1
        self._delimiter = _UNIT_SEPARATOR if self._multichar else dialect.delimiter

    def _open(self, path: str, *, typed: bool = True) -> Any:
        dialect = self.source.dialect
        column_names = list(dialect.column_names) or None
        if self.byte_range is not None:
            start, end = self.byte_range
            stream: Any = _RangeStream(path, start, end)
            if start > 0:  # a later part of the file: no header row, names known
                column_names = self.names
        else:
            stream = pa.input_stream(path)
        if self._multichar:
            encoded = dialect.delimiter.encode(dialect.encoding)
            stream = _DelimiterTranscoder(stream, encoded, self.progress)
        elif self.progress is not None:
            stream = _CountingStream(stream, self.progress)
        read_options = pa_csv.ReadOptions(
            block_size=self.block_size,
            column_names=column_names,
            encoding=dialect.encoding,
        )
        parse_options = pa_csv.ParseOptions(delimiter=self._delimiter, newlines_in_values=True)
        kinds = self.types if typed else {}
        column_types = {name: _HINTS[kind] for name, kind in kinds.items() if kind in _HINTS}
        column_types.update({name: pa.null() for name, kind in kinds.items() if kind == "null"})
        convert_options = pa_csv.ConvertOptions(
            column_types=column_types,
            null_values=["", *dialect.na_values],
            strings_can_be_null=True,
            true_values=[],
            false_values=[],
            check_utf8=True,
        )
        return pa_csv.open_csv(
            stream,
            read_options=read_options,
            parse_options=parse_options,
            convert_options=convert_options,
        )

    def batches(self) -> Iterator[Any]:
        """Record batches of every file; raises :class:`TypesChanged` after widening a type."""
        for path in self.source.files:
            try:
                yield from self._file_batches(path, self._open(path))
            except pa.ArrowInvalid as exc:  # noqa: PERF203 (one per file, not per row)
                if self.names is None:
                    # The first block did not fit the given types: learn the header alone.
                    self.names = self._header(path)
                if self._widen(str(exc)):
                    raise TypesChanged(self.types) from exc
                raise csv_error(path, str(exc), self.source.dialect) from exc
            except UnicodeDecodeError as exc:
                raise csv_error(path, str(exc), self.source.dialect) from exc
            except OSError as exc:
                raise UsageError(f"cannot read {path}: {exc}") from exc

    def _file_batches(self, path: str, reader: Any) -> Iterator[Any]:
        schema = reader.schema
        names = list(schema.names)
        if self.names is None:
            self.names = names
            if len(set(names)) != len(names):
                duplicates = sorted({name for name in names if names.count(name) > 1})
                raise UsageError(f"{path}:1: duplicate column names: {', '.join(duplicates)}")
        elif names != self.names:
            raise UsageError(
                f"{path}:1: columns differ from the first file {self.source.files[0]}: "
                f"{', '.join(names)}"
            )
        retype = False
        for field in schema:
            kind = _type_name(field.type)
            if kind == "binary":
                raise csv_error(path, "invalid UTF8", self.source.dialect)
            if self.types.get(field.name) != kind:
                retype = retype or not (
                    pa.types.is_integer(field.type)
                    or pa.types.is_floating(field.type)
                    or pa.types.is_string(field.type)
                    or pa.types.is_null(field.type)
                )
                self.types[field.name] = kind
        if retype:
            # Dates, times... became strings: read again with explicit types.
            reader = self._open(path)
        yield from reader

    def _header(self, path: str) -> list[str] | None:
        """The column names of ``path`` (read with inferred types), or None if unreadable."""
        try:
            return list(self._open(path, typed=False).schema.names)
        except (pa.ArrowInvalid, UnicodeDecodeError, OSError):
            return None

    def _widen(self, message: str) -> bool:
        match = _CONVERSION.search(message)
        if match is None or self.names is None:
            return False
        index, _, value = int(match.group(1)), match.group(2), match.group(3)
        if index >= len(self.names):
            return False
        name = self.names[index]
        current = self.types.get(name, "null")
        widened = _WIDER.get(current)
        while widened is not None and widened != "string" and not _fits(value, widened):
            widened = _WIDER.get(widened)
        if widened is None:
            return False
        self.types[name] = widened
        return True


def csv_error(path: str, message: str, dialect: Dialect) -> UsageError:
    """A one-line error for a CSV problem, with the line number where it can be found."""
    if "Empty CSV file" in message:
        return UsageError(f"{path}: empty file (no header, no rows)")
    if "invalid UTF8" in message or "UTF-8" in message or "codec can't decode" in message:
        line, column, byte = _first_undecodable_line(path, dialect.encoding)
        where = f"{path}:{line}" if line else path
        hint = "pass --encoding (e.g. latin-1) if the file is not UTF-8"
        detail = f"byte 0x{byte:02x} at column {column} is not valid {dialect.encoding}"
        return UsageError(f"{where}: {detail}; {hint}" if line else f"{where}: not valid text")
    counts = _COLUMNS.search(message)
    if counts is not None:
        line, found = _first_ragged_line(path, dialect)
        expected = int(counts.group(1))
        got = found if found is not None else int(counts.group(2))
        where = f"{path}:{line}" if line else path
        return UsageError(f"{where}: ragged row: expected {expected} fields, got {got}")
    first = message.strip().splitlines()[0] if message.strip() else "unknown error"
    return UsageError(f"{path}: cannot read CSV: {first}")


def _open_text_bytes(path: str) -> BinaryIO:
    stream: BinaryIO = pa.input_stream(path)
    return stream


def _first_undecodable_line(path: str, encoding: str) -> tuple[int, int, int]:
    with _open_text_bytes(path) as handle:
        data = handle.read()
    try:
        data.decode(encoding)
    except UnicodeDecodeError as exc:
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        return data.count(b"\n", 0, exc.start) + 1, exc.start - line_start + 1, data[exc.start]
    return 0, 0, 0


def _first_ragged_line(path: str, dialect: Dialect) -> tuple[int, int | None]:
    with _open_text_bytes(path) as handle:
        text = handle.read().decode(dialect.encoding, errors="replace")
    delimiter = dialect.delimiter
    if len(delimiter) > 1:
        text = text.replace(delimiter, _UNIT_SEPARATOR)
        delimiter = _UNIT_SEPARATOR
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    expected = len(dialect.column_names) or None
    for row in reader:
        if not row:
            continue
        if expected is None:
            expected = len(row)
            continue
        if len(row) != expected:
            return reader.line_num, len(row)
    return 0, None


# ---------------------------------------------------------------------------- Parquet, TFRecord


def _normalize_type(arrow_type: _ArrowType) -> _ArrowType | None:
    """The type TFDV can take for ``arrow_type`` (``None``: drop the column)."""
    if pa.types.is_dictionary(arrow_type):
        return _normalize_type(arrow_type.value_type)
    if pa.types.is_boolean(arrow_type) or pa.types.is_integer(arrow_type):
        return pa.int64()
    if pa.types.is_floating(arrow_type) or pa.types.is_decimal(arrow_type):
        return pa.float64()
    if (
        pa.types.is_string(arrow_type)
        or pa.types.is_large_string(arrow_type)
        or pa.types.is_binary(arrow_type)
        or pa.types.is_large_binary(arrow_type)
        or pa.types.is_null(arrow_type)
    ):
        return arrow_type
    if pa.types.is_temporal(arrow_type):
        return pa.string()
    if pa.types.is_list(arrow_type) or pa.types.is_large_list(arrow_type):
        inner = _normalize_type(arrow_type.value_type)
        if inner is None or pa.types.is_list(inner) or pa.types.is_large_list(inner):
            return None
        return pa.large_list(inner)
    return None


def normalize_batch(batch: Any) -> Any:
    """Cast columns to types TFDV takes (int64, float64, string, lists of them)."""
    arrays, names = [], []
    for name, column in zip(batch.schema.names, batch.columns, strict=True):
        target = _normalize_type(column.type)
        if target is None:
            continue
        array = column.dictionary_decode() if pa.types.is_dictionary(column.type) else column
        arrays.append(array.cast(target) if array.type != target else array)
        names.append(name)
    return pa.RecordBatch.from_arrays(arrays, names)


def _parquet_batches(source: Source, progress: Progress | None) -> Iterator[Any]:
    for path in source.files:
        try:
            parquet = pq.ParquetFile(path)
        except (pa.ArrowException, OSError) as exc:
            raise UsageError(f"{path}: not a readable Parquet file: {exc}") from exc
        total_rows = max(parquet.metadata.num_rows, 1)
        size = Path(path).stat().st_size
        try:
            for batch in parquet.iter_batches(batch_size=DEFAULT_BATCH_ROWS):
                if progress is not None:
                    progress(int(size * batch.num_rows / total_rows))
                yield normalize_batch(batch)
        except (pa.ArrowException, OSError) as exc:
            raise UsageError(f"{path}: cannot read Parquet: {exc}") from exc


def _tfrecord_batches(source: Source, progress: Progress | None) -> Iterator[Any]:
    from research_ci.data.runtime import load_tensorflow  # noqa: PLC0415

    tf = load_tensorflow()
    example_coder = importlib.import_module("tfx_bsl.coders.example_coder")

    decoder = example_coder.ExamplesToRecordBatchDecoder()
    for path in source.files:
        compression = "GZIP" if path.endswith(".gz") else ""
        size = Path(path).stat().st_size
        dataset = tf.data.TFRecordDataset([path], compression_type=compression)
        records = 0
        try:
            for chunk in dataset.batch(DEFAULT_BATCH_ROWS).as_numpy_iterator():
                records += len(chunk)
                try:
                    batch = decoder.DecodeBatch(list(chunk))
                except Exception as exc:  # the C++ decoder raises plain errors
                    raise UsageError(
                        f"{path}: record {records - len(chunk) + 1}..{records}: "
                        f"not a tf.Example: {exc}"
                    ) from exc
                if progress is not None:
                    progress(size // max(records, 1))
                yield normalize_batch(batch)
        except tf.errors.OpError as exc:
            detail = " ".join(str(exc.message).split())
            raise UsageError(f"{path}: not a readable TFRecord file: {detail}") from exc


def open_reader(
    source: Source,
    *,
    type_hints: Mapping[str, str] | None = None,
    block_size: int = DEFAULT_BLOCK_SIZE,
    progress: Progress | None = None,
) -> Reader:
    """A reader of any format (a CSV reader may raise :class:`TypesChanged`)."""
    if source.format == "csv":
        return CsvReader(source, type_hints=type_hints, block_size=block_size, progress=progress)
    return _SimpleReader(source, progress)


@dataclasses.dataclass
class _SimpleReader:
    source: Source
    progress: Progress | None

    def batches(self) -> Iterator[Any]:
        if self.source.format == "parquet":
            return _parquet_batches(self.source, self.progress)
        return _tfrecord_batches(self.source, self.progress)


#: Most restarts of one read: every column widens at most three times (null->int->float->text).
_MAX_WIDENINGS = 3


def read_widening(
    job: Callable[[dict[str, str]], T], type_hints: Mapping[str, str] | None = None
) -> tuple[T, int]:
    """``job(types)`` - which reads a source with these column types - and its restarts.

    When a reader raises :class:`TypesChanged` (a CSV column needs a wider type), the job runs
    again from the start with the wider types; this is the only place that does it.
    """
    types = dict(type_hints or {})
    restarts = 0
    while True:
        try:
            return job(dict(types)), restarts
        except TypesChanged as changed:  # noqa: PERF203 (a restart, not a per-row cost)
            restarts += 1
            for name, kind in changed.types.items():
                types[name] = wider(kind, types.get(name, "null"))
            if restarts > _MAX_WIDENINGS * max(len(types), 1) + 1:  # pragma: no cover - guard
                raise UsageError(f"column types keep changing: {changed}") from changed


def probe_csv(
    source: Source, type_hints: Mapping[str, str] | None
) -> tuple[list[str], dict[str, str]]:
    """Column names and the types of the first block of a CSV source (widened as needed)."""

    def first_block(types: dict[str, str]) -> tuple[list[str], dict[str, str]]:
        reader = CsvReader(source, type_hints=types, block_size=1 << 20)
        next(iter(reader.batches()), None)
        return list(reader.names or []), dict(reader.types)

    return read_widening(first_block, type_hints)[0]


def column_names(source: Source) -> list[str]:
    """The columns (features) of the source, from its first batch."""
    if source.format == "csv":
        return probe_csv(source, None)[0]
    for batch in open_reader(source).batches():
        return list(batch.schema.names)
    return []
