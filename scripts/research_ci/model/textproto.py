"""A reader for protocol-buffer text format (``.pbtxt``), without protobuf.

TFMA's ``EvalConfig`` is usually kept as a text proto. research-ci needs to read one without
protobuf or TFMA's generated classes, so this module parses the text format into a tree of
:class:`Message` objects that keep every field (all fields as repeated, in file order) and
the line each came from; :mod:`research_ci.model.evalconfig` decides what they mean.

Supported: ``name: value``, ``name { ... }``, ``name: { ... }``, ``name < ... >``, lists
``name: [a, b]`` (of scalars or messages), strings in single or double quotes with C escapes
(adjacent strings are joined), numbers (with ``inf``/``nan``), identifiers (enum values,
``true``/``false``), ``#`` comments and optional ``,``/``;`` separators. Extensions and
``Any`` expansions (``[type.googleapis.com/...]``) are refused.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from typing import Any

from research_ci.errors import UsageError

_TOKEN = re.compile(
    r"""
    (?P<space>[ \t\r\f\v]+)
  | (?P<newline>\n)
  | (?P<comment>\#[^\n]*)
  | (?P<string>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
  | (?P<number>[-+]?(?:0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)[fF]?(?![\w.]))
  | (?P<word>-?[A-Za-z_][A-Za-z0-9_.]*)
  | (?P<punct>[{}<>\[\]:,;/])
    """,
    re.VERBOSE,
)
_ESCAPES = {
    "n": "\n",
    "t": "\t",
    "r": "\r",
    '"': '"',
    "'": "'",
    "\\": "\\",
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "v": "\v",
    "?": "?",
}


@dataclasses.dataclass(frozen=True)
class Identifier:
    """An unquoted word used as a value: an enum name, ``true``, ``false``."""

    name: str


@dataclasses.dataclass
class Message:
    """A parsed message: ``(name, value, line)`` for every field, in order."""

    fields: list[tuple[str, Any, int]] = dataclasses.field(default_factory=list)
    line: int = 1

    def names(self) -> list[str]:
        """Field names, each once, in order."""
        return list(dict.fromkeys(name for name, _, _ in self.fields))

    def all(self, name: str) -> list[Any]:
        """Every value of a field (empty when absent)."""
        return [value for key, value, _ in self.fields if key == name]

    def line_of(self, name: str) -> int:
        """The line of the field's first occurrence (the message's line when absent)."""
        return next((line for key, _, line in self.fields if key == name), self.line)


@dataclasses.dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    line: int


def _unescape(body: str, source: str, line: int) -> str:
    out: list[str] = []
    index = 0
    while index < len(body):
        char = body[index]
        if char != "\\":
            out.append(char)
            index += 1
            continue
        following = body[index + 1]
        if following in _ESCAPES:
            out.append(_ESCAPES[following])
            index += 2
        elif following in "xX":
            digits = re.match(r"[0-9a-fA-F]{1,2}", body[index + 2 :])
            if digits is None:
                raise UsageError(f"{source}:{line}: bad \\x escape in a string")
            out.append(chr(int(digits.group(), 16)))
            index += 2 + len(digits.group())
        elif following.isdigit():
            digits = re.match(r"[0-7]{1,3}", body[index + 1 :])
            assert digits is not None  # noqa: S101 (a digit was seen)
            out.append(chr(int(digits.group(), 8)))
            index += 1 + len(digits.group())
        else:
            raise UsageError(f"{source}:{line}: unknown escape \\{following} in a string")
    text = "".join(out)
    try:
        return text.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return text


def _tokens(text: str, source: str) -> Iterator[_Token]:
    line = 1
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise UsageError(f"{source}:{line}: cannot read {text[position:position + 20]!r}")
        kind = match.lastgroup or ""
        if kind == "newline":
            line += 1
        elif kind not in ("space", "comment"):
            yield _Token(kind, match.group(), line)
        position = match.end()


class _Parser:
    def __init__(self, text: str, source: str) -> None:
        self.source = source
        self.tokens = list(_tokens(text, source))
        self.index = 0

    def peek(self) -> _Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self, expected: str | None = None) -> _Token:
        token = self.peek()
        if token is None:
            raise UsageError(
                f"{self.source}: unexpected end of file"
                + (f", expected {expected!r}" if expected else "")
            )
        if expected is not None and token.text != expected:
            raise UsageError(
                f"{self.source}:{token.line}: expected {expected!r}, found {token.text!r}"
            )
        self.index += 1
        return token

    def message(self, closing: str | None, line: int) -> Message:
        message = Message(line=line)
        while True:
            token = self.peek()
            if token is None:
                if closing is not None:
                    raise UsageError(f"{self.source}: unexpected end of file, expected {closing!r}")
                return message
            if closing is not None and token.text == closing:
                self.index += 1
                return message
            if token.text in (",", ";"):
                self.index += 1
                continue
            self.field(message)

    def field(self, message: Message) -> None:
        token = self.take()
        if token.text == "[":
            raise UsageError(
                f"{self.source}:{token.line}: extensions and Any fields are not supported"
            )
        if token.kind != "word":
            raise UsageError(
                f"{self.source}:{token.line}: expected a field name, found {token.text!r}"
            )
        following = self.peek()
        if following is not None and following.text == ":":
            self.index += 1
            following = self.peek()
        if following is None:
            raise UsageError(f"{self.source}: unexpected end of file after {token.text!r}")
        if following.text == "[":
            self.index += 1
            for value in self.values():
                message.fields.append((token.text, value, token.line))
            return
        message.fields.append((token.text, self.value(), token.line))

    def values(self) -> list[Any]:
        found: list[Any] = []
        while True:
            token = self.peek()
            if token is not None and token.text == "]":
                self.index += 1
                return found
            found.append(self.value())
            token = self.peek()
            if token is not None and token.text == ",":
                self.index += 1

    def value(self) -> Any:
        token = self.take()
        if token.text in ("{", "<"):
            return self.message("}" if token.text == "{" else ">", token.line)
        if token.kind == "string":
            parts = [_unescape(token.text[1:-1], self.source, token.line)]
            while (following := self.peek()) is not None and following.kind == "string":
                self.index += 1
                parts.append(_unescape(following.text[1:-1], self.source, following.line))
            return "".join(parts)
        if token.kind == "number":
            text = token.text
            if re.fullmatch(r"[-+]?0[xX][0-9a-fA-F]+", text):
                return int(text, 16)
            text = text.rstrip("fF")
            return int(text) if re.fullmatch(r"[-+]?\d+", text) else float(text)
        if token.kind == "word":
            lowered = token.text.lower()
            if lowered in ("inf", "-inf", "infinity", "-infinity", "nan", "-nan"):
                return float(lowered.replace("infinity", "inf"))
            return Identifier(token.text)
        raise UsageError(f"{self.source}:{token.line}: unexpected {token.text!r}")


def parse(text: str, *, source: str) -> Message:
    """Parse a text-format message; errors are one line with ``source:line``."""
    return _Parser(text, source).message(None, 1)
