"""Which ruff rules the lint check gates on: the project's own choice, translated when needed.

A project is linted by the rules it adopted, never by ruff's newest defaults alone:

* **ruff configured** (``[tool.ruff]``, ``ruff.toml``, ``.ruff.toml``, in the project or a
  parent directory), or ruff adopted without configuration (a ``ruff`` pre-commit hook, ruff
  in the project's dependencies): ruff runs as the project runs it.
* **flake8 configured** (and ruff not): ruff runs with the flake8 settings translated into
  ruff's options on its command line (nothing is written into the project). The rules are
  the ones flake8 itself would report, decided the way flake8 decides (its ``select``,
  ``extend-select``, ``ignore``, ``extend-ignore``, their defaults and "the longest prefix
  wins"), among the rules ruff implements for the plugins the project installs (pycodestyle,
  pyflakes and mccabe always; flake8-bugbear, pep8-naming... when a flake8 pre-commit hook,
  tox or the project's dependencies install them, or its ``select`` names them).
  ``max-line-length`` (79 by default, as in flake8), ``max-doc-length``, ``max-complexity``
  (mccabe's C901 runs only with it, as in flake8), ``per-file-ignores``, ``exclude`` and
  ``extend-exclude`` carry over; flake8 reads ``*.py`` files only, so notebooks and stubs are
  left out. Codes ruff does not implement are named once in a notice.
* **no linter configured**: ruff's classic rule set, ``E4, E7, E9, F`` (syntax errors,
  undefined names, unused imports and variables, ``==`` against ``None``...), the rules ruff
  chose by default for years, not a style the project never chose. The check advises (no
  points off, no gate, as types without a mypy configuration): a project that never adopted
  a linter is not failed by one. Only ``BLOCKING_RULES`` (syntax errors, undefined names)
  count as violations; the rest are notices.

In every case, when neither ruff's configuration nor ``[project] requires-python`` sets the
target Python, the lower bound of ``python_requires`` (``setup.py``, ``setup.cfg``) is passed
as ``--target-version``, so that ruff never suggests syntax the project's oldest Python lacks.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

#: ruff's default rules before 0.17 widened them (and flake8's pyflakes + the pycodestyle errors).
CLASSIC_RULES: tuple[str, ...] = ("E4", "E7", "E9", "F")
#: Of those, the violations of a project that configures no linter: syntax errors, invalid
#: comparisons and statements, undefined names. GitHub's starter workflow for Python stops the
#: build on exactly these (``flake8 . --select=E9,F63,F7,F82``) and reports the rest as warnings.
BLOCKING_RULES: tuple[str, ...] = ("E9", "F63", "F7", "F82")
#: flake8's own checkers (its default ``select`` is theirs: ``E``, ``F``, ``W``, ``C90``).
FLAKE8_SELECT: tuple[str, ...] = ("E", "F", "W", "C90")
#: flake8's default ``ignore`` (``defaults.IGNORE``), replaced by an ``ignore`` setting.
FLAKE8_IGNORE: tuple[str, ...] = ("E121", "E123", "E126", "E226", "E24", "E704", "W503", "W504")
FLAKE8_MAX_LINE_LENGTH = 79
#: flake8-docstrings' ``docstring-convention`` values ruff's pydocstyle knows.
DOCSTRING_CONVENTIONS = frozenset({"pep257", "numpy", "google"})
#: The newest target Python passed to ruff (older ruffs know fewer).
NEWEST_TARGET = (3, 14)
#: ruff's linters for the checkers flake8 always has.
BUILT_IN_LINTERS = frozenset({"pycodestyle", "pyflakes", "mccabe"})
#: flake8 plugins ruff implements under another linter's name.
PLUGIN_LINTERS: Mapping[str, str] = {"flake8-docstrings": "pydocstyle"}
#: flake8 plugins ruff has no equivalent of (their codes, for the notice). ruff's isort rules
#: read ``[tool.ruff.lint.isort]``, not isort's settings: flake8-isort's findings differ.
NOT_IN_RUFF: Mapping[str, str] = {
    "flake8-black": "BLK",
    "flake8-import-order": "I100-I202",
    "flake8-isort": "I001-I005",
    "flake8-broken-line": "N400",
    "flake8-rst-docstrings": "RST",
    "flake8-noqa": "NQA",
}
#: ruff linters never translated from a flake8 selection (see ``NOT_IN_RUFF``).
UNTRANSLATED_LINTERS = frozenset({"isort"})
#: flake8 plugins that add no checks (they only read settings, or format output).
NOT_CHECKERS = frozenset({"flake8-pyproject", "flake8-toml-config", "flake8-nb"})
_SPLIT = re.compile(r"[,\s]+")
_LETTERS = re.compile(r"^[A-Z]+")


@dataclasses.dataclass(frozen=True)
class RuffRule:
    """One rule of the ruff that runs: its code, its linter (``flake8-bugbear``), preview or not."""

    code: str
    linter: str
    preview: bool = False


@dataclasses.dataclass(frozen=True)
class Linter:
    """One of ruff's linters: its code prefix (``B``, ``C90``) and name."""

    prefix: str
    name: str


def parse_rules(text: str) -> list[RuffRule]:
    """``ruff rule --all --output-format json`` into rules (removed rules left out)."""
    rules: list[RuffRule] = []
    for item in json.loads(text or "[]"):
        status = item.get("status")
        if isinstance(status, dict) and "Removed" in status:
            continue
        rules.append(
            RuffRule(
                code=str(item.get("code", "")),
                linter=str(item.get("linter") or ""),
                preview=bool(item.get("preview")),
            )
        )
    return [rule for rule in rules if rule.code]


def parse_linters(text: str) -> list[Linter]:
    """``ruff linter --output-format json`` into linters."""
    return [
        Linter(prefix=str(item.get("prefix") or ""), name=str(item.get("name") or ""))
        for item in json.loads(text or "[]")
    ]


def split_codes(value: str | None) -> list[str] | None:
    """A flake8 list of codes (commas or whitespace), upper-cased; ``None`` when not set."""
    if value is None:
        return None
    return [part.upper() for part in _SPLIT.split(value) if part]


def parse_per_file_ignores(value: str) -> dict[str, list[str]]:
    """flake8's ``per-file-ignores`` (``pattern:CODES`` separated by spaces, commas or lines).

    As flake8 reads it: file patterns up to a colon, then codes until the next pattern.
    """
    mapping: dict[str, list[str]] = {}
    files: list[str] = []
    codes: list[str] = []
    for token in re.findall(r"[^\s,:]+", value):
        if re.fullmatch(r"[A-Z]+[0-9]*", token):
            codes.append(token)
            continue
        if codes:
            for file in files:
                mapping.setdefault(file, []).extend(codes)
            files, codes = [], []
        files.append(token)
    for file in files:
        if codes:
            mapping.setdefault(file, []).extend(codes)
    return mapping


def _integer(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


# --- flake8's decision, code by code ------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Flake8Choice:
    """flake8's ``select``/``ignore`` settings and defaults: which codes it reports.

    A port of flake8's ``DecisionEngine`` (``style_guide.py``): a code is reported when it
    is selected (explicitly, or by default) and not ignored; when both match, explicitly
    beats by default, and between equals the longest prefix wins (ignore on a tie).
    """

    select: tuple[str, ...] | None
    extend_select: tuple[str, ...]
    ignore: tuple[str, ...] | None
    extend_ignore: tuple[str, ...]
    #: Prefixes selected by default: flake8's own and those of the plugins installed.
    default_select: tuple[str, ...]

    def _lists(self) -> tuple[tuple[str, ...], ...]:
        select, ignore = self.select, self.ignore
        explicit_select = (*(select or ()), *self.extend_select)
        explicit_ignore = (*(ignore or ()), *self.extend_ignore)
        selected = (
            explicit_select if select is not None else (*self.default_select, *self.extend_select)
        )
        ignored = explicit_ignore if ignore is not None else (*FLAKE8_IGNORE, *self.extend_ignore)
        return explicit_select, explicit_ignore, selected, ignored

    def reports(self, code: str) -> bool:
        """True when flake8 reports ``code`` with these settings."""
        explicit_select, explicit_ignore, selected, ignored = self._lists()
        chosen = _matched(code, explicit_select, selected)
        if chosen is None:
            return False
        dropped = _matched(code, explicit_ignore, ignored)
        if dropped is None:
            return True
        if chosen != dropped:
            return chosen == "explicit"
        select = max((s for s in selected if code.startswith(s)), key=len)
        ignore = max((i for i in ignored if code.startswith(i)), key=len)
        return len(select) > len(ignore)


def _matched(code: str, explicit: tuple[str, ...], effective: tuple[str, ...]) -> str | None:
    """``explicit`` when a listed prefix matches ``code``, ``implicit`` when a default does."""
    if code.startswith(explicit):
        return "explicit"
    return "implicit" if code.startswith(effective) else None


def _bugbear_opinion_selected(code: str, choice: Flake8Choice) -> bool:
    """Whether flake8-bugbear reports this B9 code (its opinions are off by default).

    It does when a prefix of two characters or more of the code is listed in ``select`` or
    ``extend-select`` (``B9``, ``B950``).
    """
    listed = {*(choice.select or ()), *choice.extend_select}
    return any(code[:length] in listed for length in range(2, len(code) + 1))


# --- the translation -------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Translation:
    """ruff's options for a project's flake8 settings, and what could not be carried over."""

    #: The exact rule codes to ``--select``.
    select: tuple[str, ...]
    #: ``--config`` overrides (``line-length = 80``...), TOML ``key = value`` lines.
    config: tuple[str, ...]
    #: ``--extend-exclude`` patterns.
    exclude: tuple[str, ...]
    #: Codes (or plugins) the project's flake8 reports that ruff does not implement.
    unimplemented: tuple[str, ...] = ()
    #: Rules flake8 reports that ruff has only in preview (not run).
    preview_only: tuple[str, ...] = ()
    #: The linters (ruff's names) of the rules selected.
    linters: tuple[str, ...] = ()

    def arguments(self) -> list[str]:
        """The ``ruff check`` arguments: ``--select``, ``--config``, ``--extend-exclude``.

        (They override any configuration file; the project has none for ruff.)
        """
        # With no rule left, E902 (a file that cannot be read, as flake8 reports it) keeps
        # ruff from falling back to its defaults; syntax errors are always reported.
        args = ["--select", ",".join(self.select) if self.select else "E902"]
        for line in self.config:
            args += ["--config", line]
        for pattern in self.exclude:
            args += ["--extend-exclude", pattern]
        return args


def _plugin_linters(
    plugins: Iterable[str], linters: Sequence[Linter]
) -> tuple[set[str], list[str]]:
    """The ruff linters of the installed plugins, and the plugins ruff lacks."""
    names = {linter.name.lower() for linter in linters}
    found: set[str] = set()
    missing: list[str] = []
    for plugin in sorted(set(plugins)):
        if plugin in NOT_CHECKERS or not (plugin.startswith("flake8-") or plugin == "pep8-naming"):
            continue
        linter = PLUGIN_LINTERS.get(plugin, plugin)
        if linter in names and linter not in UNTRANSLATED_LINTERS:
            found.add(linter)
        else:
            codes = NOT_IN_RUFF.get(plugin)
            missing.append(f"{plugin} ({codes})" if codes else plugin)
    return found, missing


def _named_linters(selectors: Iterable[str], linters: Sequence[Linter]) -> set[str]:
    """Plugin linters a ``select`` names (``B``, ``B950``: flake8-bugbear; ``C4``), not ``C``.

    A selector names a linter when it starts with the linter's prefix and, for a prefix of
    letters only, has the same letters (``BLE`` is flake8-blind-except's, not bugbear's).
    """
    named: set[str] = set()
    for selector in selectors:
        letters = _LETTERS.match(selector)
        for linter in linters:
            prefix = linter.prefix
            if not prefix or not selector.startswith(prefix):
                continue
            if prefix.isalpha() and (letters is None or letters.group(0) != prefix):
                continue
            if linter.name.lower() not in UNTRANSLATED_LINTERS:
                named.add(linter.name.lower())
    return named


def _grouped(codes: Sequence[str]) -> tuple[str, ...]:
    """``E111, E112, ..., E131, W391`` as ``E1 (12 rules), W391``: a readable notice."""
    groups: dict[str, list[str]] = {}
    for code in codes:
        groups.setdefault(code[:2], []).append(code)
    return tuple(
        members[0] if len(members) == 1 else f"{prefix} ({len(members)} rules)"
        for prefix, members in groups.items()
    )


def _choice(settings: Mapping[str, str], default_select: tuple[str, ...]) -> Flake8Choice:
    return Flake8Choice(
        select=_tuple(split_codes(settings.get("select"))),
        extend_select=tuple(split_codes(settings.get("extend-select")) or ()),
        ignore=_tuple(split_codes(settings.get("ignore"))),
        extend_ignore=tuple(split_codes(settings.get("extend-ignore")) or ()),
        default_select=default_select,
    )


def _reported(rule: RuffRule, choice: Flake8Choice, complexity: int | None) -> bool:
    """flake8 reports this rule: selected, not ignored, and its checker's own conditions."""
    if not choice.reports(rule.code):
        return False
    linter = rule.linter.lower()
    if linter == "mccabe":  # C901 only with a max-complexity
        return complexity is not None and complexity >= 0
    return not (
        linter == "flake8-bugbear"
        and rule.code.startswith("B9")
        and not _bugbear_opinion_selected(rule.code, choice)
    )


def _options(
    settings: Mapping[str, str], complexity: int | None, available: frozenset[str] | set[str]
) -> tuple[str, ...]:
    """``--config`` lines: line length, doc length, complexity, docstring convention, ignores."""
    length = _integer(settings.get("max-line-length")) or FLAKE8_MAX_LINE_LENGTH
    config = [f"line-length = {length}"]
    if "pydocstyle" in available:  # flake8-docstrings' convention, pep257 by default
        convention = settings.get("docstring-convention", "pep257").strip().lower()
        if convention in DOCSTRING_CONVENTIONS:
            config.append(f'lint.pydocstyle.convention = "{convention}"')
    if (doc_length := _integer(settings.get("max-doc-length"))) is not None:
        config.append(f"lint.pycodestyle.max-doc-length = {doc_length}")
    if complexity is not None and complexity >= 0:
        config.append(f"lint.mccabe.max-complexity = {complexity}")
    per_file = parse_per_file_ignores(settings.get("per-file-ignores", ""))
    if per_file:
        table = ", ".join(f"{json.dumps(k)} = {json.dumps(v)}" for k, v in per_file.items())
        config.append(f"lint.per-file-ignores = {{{table}}}")
    return tuple(config)


def _excluded(settings: Mapping[str, str]) -> tuple[str, ...]:
    """flake8's ``exclude`` and ``extend-exclude``, added to ruff's own exclusions.

    (ruff's default exclusions stay: ``--exclude`` would drop ``.venv``.) flake8 reads
    ``*.py`` files only: notebooks and stubs are left out too.
    """
    patterns = [
        pattern.removeprefix("./").rstrip("/")
        for key in ("exclude", "extend-exclude")
        for pattern in split_paths(settings.get(key))
    ]
    return tuple(dict.fromkeys([*filter(None, patterns), "*.ipynb", "*.pyi"]))


def translate_flake8(
    settings: Mapping[str, str],
    plugins: Iterable[str],
    rules: Sequence[RuffRule],
    linters: Sequence[Linter],
    *,
    plugins_known: bool = True,
) -> Translation:
    """Translate flake8's ``settings``, with ``plugins`` installed, into ruff's options.

    ``plugins_known``: the project says where it installs flake8 (a pre-commit hook, tox, its
    dependencies), so ``plugins`` are all it has; otherwise a plugin its ``select`` names
    (``B``: flake8-bugbear) counts as installed. See the module docstring.
    """
    installed_linters, missing = _plugin_linters(plugins, linters)
    prefixes = {linter.name.lower(): linter.prefix for linter in linters}
    plugin_select = tuple(prefixes[name] for name in sorted(installed_linters) if prefixes[name])
    choice = _choice(settings, (*FLAKE8_SELECT, *plugin_select))
    listed = (*(choice.select or ()), *choice.extend_select)
    available = BUILT_IN_LINTERS | installed_linters
    if not plugins_known:
        available |= _named_linters(listed, linters)
    complexity = _integer(settings.get("max-complexity"))
    reported = [
        rule
        for rule in rules
        if rule.linter.lower() in available and _reported(rule, choice, complexity)
    ]
    # A code no rule of ruff's starts with (B950); a code of a plugin the project does not
    # install (N without pep8-naming) is not reported by its flake8 either.
    unimplemented = [
        code for code in dict.fromkeys(listed) if not any(r.code.startswith(code) for r in rules)
    ]
    return Translation(
        select=tuple(rule.code for rule in reported if not rule.preview),
        config=_options(settings, complexity, available),
        exclude=_excluded(settings),
        unimplemented=(*unimplemented, *missing),
        preview_only=_grouped([rule.code for rule in reported if rule.preview]),
        linters=tuple(dict.fromkeys(rule.linter for rule in reported if not rule.preview)),
    )


def _tuple(values: list[str] | None) -> tuple[str, ...] | None:
    return tuple(values) if values is not None else None


def split_paths(value: str | None) -> list[str]:
    """A flake8 list of paths (commas or lines)."""
    if not value:
        return []
    return [part.strip() for part in re.split(r"[,\n]", value) if part.strip()]


# --- the target Python -------------------------------------------------------------------------


def target_version(specifier: str) -> str | None:
    """``>=3.8`` -> ``py38``: the oldest Python a ``python_requires`` admits (3.7 at least).

    ``None`` when the specifier names no lower bound (``<4``), one newer than
    :data:`NEWEST_TARGET`, or cannot be read.
    """
    from packaging.specifiers import InvalidSpecifier, SpecifierSet  # noqa: PLC0415

    try:
        specifiers = SpecifierSet(specifier)
    except InvalidSpecifier:
        return None
    floors: list[tuple[int, int]] = []
    for item in specifiers:
        if item.operator in (">=", ">", "~=", "==", "==="):
            parts = re.findall(r"\d+", item.version)
            if len(parts) >= 2 and parts[0] == "3":
                floors.append((3, int(parts[1])))
            elif parts and int(parts[0]) < 3:
                floors.append((3, 7))
    if not floors or max(floors) > NEWEST_TARGET:
        return None  # no lower bound, or one newer than ruff knows: ruff's default stands
    major, minor = max(floors)
    return f"py{major}{max(minor, 7)}"


def describe(values: Iterable[Any]) -> str:
    """``a, b, c``."""
    return ", ".join(str(value) for value in values)
