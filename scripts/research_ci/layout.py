"""What a project's files say about installing it and about the Python it needs.

research-ci reads the project's files and never runs them (``setup.py`` is parsed, not
executed). A :class:`Layout` says:

* how to install the project for its checks, as :class:`InstallStep` values: ``-e .[extras]``
  for a package (PEP 621 ``[project]``, a ``[build-system]``, ``setup.py`` or ``setup.cfg``),
  with its ``test``/``tests``/``dev`` extras and dependency groups (and uv's
  ``default-groups``), at the versions its ``uv.lock`` pins when it has one; ``-r FILE`` for
  each requirements file (``requirements.txt``, ``requirements-dev.txt``,
  ``test-requirements.txt`` ...); for a project that declares no test dependencies in any of
  these, the plain requirements of its tox ``[testenv] deps`` (see :mod:`research_ci.toxconfig`);
  for a project that has neither a package nor requirements files, the dependencies of its
  conda ``environment.yml`` that exist on PyPI;
* which Python it asks for (:class:`PythonRequest`): ``.python-version``, then
  ``requires-python`` (or ``python_requires``), then the ``python`` of ``environment.yml``;
* which files decide the environment (their hash is the environment's stamp);
* which packages those steps name (so research-ci knows that the project's environment will
  hold, say, its own ruff);
* in a flat layout, the project's own import packages and modules (:func:`top_level_code`):
  what its maintainers measure coverage of (``pytest --cov=nfft``), without ``setup.py``,
  ``docs/conf.py`` or a ``tests`` folder beside them.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import ast

    from research_ci.toxconfig import ToxConfig

#: What the tests check needs in the project's environment, whatever the project says.
TEST_TOOLS: tuple[str, ...] = ("pytest", "pytest-cov")
#: Extras and dependency groups worth installing for the checks, when the project has them.
TEST_GROUPS: tuple[str, ...] = ("test", "tests", "dev")
_REQUIREMENT_TAGS = ("dev", "test", "tests", "testing")
#: uv's lock file: its versions constrain the install of a package that has one.
LOCK_FILE = "uv.lock"
#: Requirements files installed when present, in this order.
REQUIREMENTS_FILES: tuple[str, ...] = (
    "requirements.txt",
    *(f"requirements{sep}{tag}.txt" for tag in _REQUIREMENT_TAGS for sep in "-_"),
    *(f"{tag}{sep}requirements.txt" for tag in _REQUIREMENT_TAGS for sep in "-_"),
    *(f"requirements/{name}.txt" for name in ("base", "requirements", *_REQUIREMENT_TAGS)),
)
#: Requirements files of what the project needs to run (not to be tested).
_RUNTIME_FILES = frozenset(
    {"requirements.txt", "requirements/base.txt", "requirements/requirements.txt"}
)
ENVIRONMENT_FILES: tuple[str, ...] = ("environment.yml", "environment.yaml")
#: conda package names whose PyPI name differs.
CONDA_TO_PYPI: Mapping[str, str] = {
    "pytorch": "torch",
    "pytorch-cpu": "torch",
    "py-opencv": "opencv-python",
    "opencv": "opencv-python",
    "pytables": "tables",
    "matplotlib-base": "matplotlib",
    "tensorflow-base": "tensorflow",
    "py-xgboost": "xgboost",
    "pyqt": "PyQt5",
}
#: conda packages that are not Python packages on PyPI (compilers, libraries, runtimes).
CONDA_ONLY: frozenset[str] = frozenset(
    {
        "python",
        "pip",
        "setuptools",
        "wheel",
        "cudatoolkit",
        "cuda-toolkit",
        "cudnn",
        "mkl",
        "blas",
        "openblas",
        "libblas",
        "nodejs",
        "git",
        "gcc",
        "gxx",
        "make",
        "cmake",
        "compilers",
        "r-base",
        "ipykernel",
        "jupyterlab",
        "notebook",
        "pytorch-cuda",
        "pytorch-mutex",
        "nb_conda_kernels",
    }
)
_CONDA_ONLY_PREFIXES = ("lib", "r-", "cuda", "conda", "_")
#: The fingerprint's entry for the install steps themselves.
STEPS_KEY = "(install steps)"
_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
_VERSION_LIKE = re.compile(r"^\d+(\.\d+){0,2}$")


def project_file(root: Path, relative: str) -> Path | None:
    """``root/relative`` when it is a file inside the project (a symlink out of it is not)."""
    path = root / relative
    try:
        if path.is_file() and path.resolve().is_relative_to(root.resolve()):
            return path
    except OSError:
        return None
    return None


def normalize(name: str) -> str:
    """A distribution name in PEP 503 form (``Ruff_Lint`` -> ``ruff-lint``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(text: str) -> str | None:
    """The normalized name a requirement line starts with (``None`` for options, URLs...)."""
    match = _NAME.match(text)
    if match is None or text.lstrip().startswith(("-", "#")):
        return None
    return normalize(match.group(1))


@dataclasses.dataclass(frozen=True)
class InstallStep:
    """One thing installed into the project's environment, and where it was read."""

    #: What a person would type: ``-e .[test]``, ``-r requirements.txt``.
    what: str
    #: The file that says so (``setup.py``), or ``research-ci`` for the test tools.
    source: str
    #: The arguments to ``uv pip install``.
    args: tuple[str, ...]
    #: When installing it fails, the rest is installed without it, and a note says why
    #: (tox's deps: research-ci reads them, the project does not declare them for pip).
    optional: bool = False


@dataclasses.dataclass(frozen=True)
class PythonRequest:
    """The Python a project asks for: ``3.12``, ``>=3.12``, or a path; and where it says so."""

    request: str
    source: str

    @property
    def is_path(self) -> bool:
        """A path to an interpreter rather than a version."""
        return "/" in self.request or "\\" in self.request

    def accepts(self, version: str) -> bool:
        """True when a Python ``version`` (``3.12.1``) satisfies the request.

        ``3.12`` accepts ``3.12.*``; a PEP 440 specifier (``>=3.10,<3.13``) is checked as one;
        a path, or anything else this cannot read, accepts every version.
        """
        if self.is_path:
            return True
        request = self.request.strip()
        if _VERSION_LIKE.match(request):
            return version == request or version.startswith(request + ".")
        from packaging.specifiers import InvalidSpecifier, SpecifierSet  # noqa: PLC0415

        try:
            return SpecifierSet(request).contains(version, prereleases=True)
        except InvalidSpecifier:
            return True

    def __str__(self) -> str:
        return f"Python {self.request} ({self.source})"


@dataclasses.dataclass(frozen=True)
class Layout:
    """How a project is laid out, for installing it (see the module docstring)."""

    name: str
    #: ``pyproject``, ``setup.py``, ``setup.cfg``, ``requirements``, ``environment.yml``,
    #: or ``scripts`` (nothing to install but the test tools).
    kind: str
    steps: tuple[InstallStep, ...] = ()
    python: PythonRequest | None = None
    #: Files (relative to the root) whose content decides the environment.
    sources: tuple[str, ...] = ()
    #: Normalized names of the packages the steps name (the project's own dependencies).
    declared: frozenset[str] = frozenset()
    #: The extras and dependency groups installed.
    extras: tuple[str, ...] = ()
    dependency_groups: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    #: ``uv.lock`` when the package has one: the versions it pins constrain the install.
    lock: str | None = None
    #: The project's tox configuration, when it has one (tool pins and paths are read there).
    tox: ToxConfig | None = None
    #: The import packages and modules of a flat layout (``("nfft",)``; see
    #: :func:`top_level_code`); empty when they are not known.
    top_level: tuple[str, ...] = ()

    @property
    def installable(self) -> bool:
        """The project itself is installed (editable)."""
        return self.kind in ("pyproject", "setup.py", "setup.cfg")

    def declares(self, name: str) -> bool:
        """True when the install steps name the package ``name`` (``ruff``)."""
        return normalize(name) in self.declared

    def fingerprint(self, root: Path) -> dict[str, str]:
        """A hash of each file that decides the environment, and of the install steps."""
        hashes = {relative: _file_hash(root / relative) for relative in sorted(self.sources)}
        steps = "\n".join("\0".join(step.args) for step in self.steps)
        hashes[STEPS_KEY] = hashlib.sha256(steps.encode()).hexdigest()
        return hashes


def _file_hash(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return "unreadable"


# --- setup.py and setup.cfg ------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _SetupFacts:
    name: str | None = None
    python_requires: str | None = None
    extras: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()
    py_modules: tuple[str, ...] = ()


def _literal(node: ast.AST | None, assigned: Mapping[str, ast.AST]) -> Any:
    """The value of a literal (or of a module-level name bound to one); ``None`` otherwise."""
    import ast  # noqa: PLC0415 - setup.py projects only

    if isinstance(node, ast.Name) and node.id in assigned:
        node = assigned[node.id]
    if node is None:
        return None
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None


def _setup_call(tree: ast.Module) -> ast.Call | None:
    import ast  # noqa: PLC0415 - setup.py projects only

    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            if name == "setup":
                return node
    return None


def read_setup_py(path: Path) -> _SetupFacts:
    """What ``setup.py``'s ``setup(...)`` call says in literals; nothing is executed."""
    import ast  # noqa: PLC0415 - setup.py projects only

    try:
        tree = ast.parse(path.read_bytes(), filename=str(path))
    except (OSError, SyntaxError, ValueError, RecursionError, MemoryError):
        return _SetupFacts()
    assigned: dict[str, ast.AST] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name):
                assigned[target.id] = node.value
    call = _setup_call(tree)
    if call is None:
        return _SetupFacts()
    keywords = {keyword.arg: keyword.value for keyword in call.keywords if keyword.arg}
    name = _literal(keywords.get("name"), assigned)
    python = _literal(keywords.get("python_requires"), assigned)
    extras = _literal(keywords.get("extras_require"), assigned)
    extras = extras if isinstance(extras, dict) else {}
    requires = _literal(keywords.get("install_requires"), assigned)
    modules = _literal(keywords.get("py_modules"), assigned)
    chosen = [group for group in TEST_GROUPS if group in extras]
    names = [*_strings(requires), *(item for group in chosen for item in _strings(extras[group]))]
    return _SetupFacts(
        name=name if isinstance(name, str) else None,
        python_requires=python if isinstance(python, str) else None,
        extras=tuple(chosen),
        requires=tuple(names),
        py_modules=tuple(_strings(modules)),
    )


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [line for line in value.splitlines() if line.strip()]
    if isinstance(value, (list, tuple)):
        return [item for item in value if isinstance(item, str)]
    return []


def read_setup_cfg(path: Path) -> tuple[_SetupFacts, bool]:
    """What ``setup.cfg`` says, and whether it describes a package (has ``[metadata]``)."""
    import configparser  # noqa: PLC0415 - setup.cfg projects only

    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(path.read_text(encoding="utf-8", errors="replace"), source=str(path))
    except (OSError, configparser.Error):
        return _SetupFacts(), False
    package = parser.has_section("metadata") or parser.has_section("options")
    extras_section = "options.extras_require"
    extras = (
        {key: parser.get(extras_section, key) for key in parser.options(extras_section)}
        if parser.has_section(extras_section)
        else {}
    )
    chosen = [group for group in TEST_GROUPS if group in extras]
    requires = parser.get("options", "install_requires", fallback="")
    return (
        _SetupFacts(
            name=parser.get("metadata", "name", fallback=None),
            python_requires=parser.get("options", "python_requires", fallback=None),
            extras=tuple(chosen),
            requires=(*_strings(requires), *(i for g in chosen for i in _strings(extras[g]))),
            py_modules=tuple(
                name
                for line in _strings(parser.get("options", "py_modules", fallback=""))
                for name in line.replace(",", " ").split()
            ),
        ),
        package,
    )


# --- requirements files and environment.yml -----------------------------------------------------


def requirement_names(path: Path, root: Path, seen: set[Path] | None = None) -> set[str]:
    """The packages a requirements file names, following its ``-r`` includes inside ``root``."""
    seen = set() if seen is None else seen
    try:
        resolved = path.resolve()
        resolved.relative_to(root.resolve())
        text = resolved.read_text(encoding="utf-8", errors="replace")
    except (OSError, ValueError):
        return set()
    if resolved in seen:
        return set()
    seen.add(resolved)
    names: set[str] = set()
    for raw in text.splitlines():
        line = raw.split(" #", 1)[0].strip()
        include = re.match(r"^(?:-r|--requirement)[\s=]+(\S+)", line)
        if include:
            names |= requirement_names(path.parent / include.group(1), root, seen)
        elif (name := requirement_name(line)) is not None:
            names.add(name)
    return names


def conda_requirement(spec: str) -> str | None:
    """A conda dependency (``numpy=1.26``, ``conda-forge::scipy>=1.10``) as a PyPI requirement.

    ``None`` for what is not a Python package on PyPI (compilers, C libraries, CUDA, R).
    """
    spec = spec.rsplit("::", maxsplit=1)[-1].strip()
    match = re.match(r"^([A-Za-z0-9_][A-Za-z0-9._-]*)\s*(.*)$", spec)
    if match is None:
        return None
    name, rest = match.group(1).lower(), match.group(2).strip()
    if name in CONDA_ONLY or name.startswith(_CONDA_ONLY_PREFIXES):
        return None
    name = CONDA_TO_PYPI.get(name, name)
    if rest.startswith("=") and not rest.startswith("=="):
        # conda's fuzzy "=1.26" (1.26.*), possibly followed by "=build".
        version = rest[1:].split("=")[0].strip().rstrip("*").rstrip(".")
        return f"{name}=={version}.*" if _VERSION_LIKE.match(version) else name
    if re.match(r"^(==|>=|<=|!=|~=|<|>)", rest):
        return name + "".join(rest.split())
    return name


@dataclasses.dataclass(frozen=True)
class _Conda:
    requirements: tuple[str, ...] = ()
    pip: tuple[str, ...] = ()
    python: str | None = None


def read_environment_yml(path: Path) -> _Conda:
    """The PyPI-installable dependencies and the Python of a conda ``environment.yml``."""
    import yaml  # noqa: PLC0415 - only projects with an environment.yml need it

    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8", errors="replace"))
    except (OSError, yaml.YAMLError):
        return _Conda()
    dependencies = document.get("dependencies") if isinstance(document, dict) else None
    requirements: list[str] = []
    pip: list[str] = []
    python: str | None = None
    for item in dependencies if isinstance(dependencies, list) else []:
        if isinstance(item, dict) and isinstance(item.get("pip"), list):
            pip.extend(str(entry) for entry in item["pip"] if isinstance(entry, str))
        elif isinstance(item, str):
            python_match = re.match(r"^python\s*(=|==|>=)?\s*(\d+(?:\.\d+)*)", item.strip())
            if python_match:
                operator = python_match.group(1) or "="
                python = (python_match.group(2) if operator == "=" else "") or (
                    operator + python_match.group(2)
                )
            elif (requirement := conda_requirement(item)) is not None:
                requirements.append(requirement)
    return _Conda(tuple(requirements), tuple(pip), python)


# --- the layout -------------------------------------------------------------------------------


def read_python_version(root: Path) -> str | None:
    """The first version named in ``.python-version`` (pyenv's, uv's), if any."""
    path = project_file(root, ".python-version")
    try:
        text = path.read_text(encoding="utf-8", errors="replace") if path else ""
    except OSError:
        return None
    for line in text.splitlines():
        value = line.split("#", 1)[0].strip()
        if value:
            return value
    return None


def _pep621(pyproject: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    project = pyproject.get("project")
    project = project if isinstance(project, dict) else {}
    extras = project.get("optional-dependencies")
    groups = pyproject.get("dependency-groups")
    return (
        project,
        extras if isinstance(extras, dict) else {},
        groups if isinstance(groups, dict) else {},
    )


def _poetry_python(pyproject: Mapping[str, Any]) -> str | None:
    """``[tool.poetry.dependencies] python = "^3.10"`` as a PEP 440 specifier."""
    poetry = pyproject.get("tool", {}).get("poetry", {}) if isinstance(pyproject, dict) else {}
    dependencies = poetry.get("dependencies") if isinstance(poetry, dict) else None
    value = dependencies.get("python") if isinstance(dependencies, dict) else None
    if not isinstance(value, str):
        return None
    caret = re.match(r"^\^(\d+)\.(\d+)", value.strip())
    if caret:
        return f">={caret.group(1)}.{caret.group(2)}"
    return value.strip() or None


def _names(requirements: Iterable[object]) -> set[str]:
    return {
        name
        for item in requirements
        if isinstance(item, str) and (name := requirement_name(item)) is not None
    }


@dataclasses.dataclass(frozen=True)
class _Package:
    """The file that describes the project as a package, and what it says."""

    kind: str
    source: str
    name: str | None = None
    python: PythonRequest | None = None
    extras: tuple[str, ...] = ()
    declared: frozenset[str] = frozenset()
    #: The top-level modules it declares (``py_modules``, ``[tool.setuptools] py-modules``).
    modules: tuple[str, ...] = ()


def _py_modules(pyproject: Mapping[str, Any]) -> tuple[str, ...]:
    tool = pyproject.get("tool")
    setuptools = tool.get("setuptools") if isinstance(tool, dict) else None
    modules = setuptools.get("py-modules") if isinstance(setuptools, dict) else None
    return tuple(_strings(modules))


def _package(root: Path, pyproject: Mapping[str, Any]) -> _Package | None:
    """PEP 621 ``[project]``, else ``setup.cfg``, else ``setup.py``, else a ``[build-system]``."""
    project, extras, _groups = _pep621(pyproject)
    if project:
        chosen = tuple(group for group in TEST_GROUPS if group in extras)
        python = project.get("requires-python")
        return _Package(
            kind="pyproject",
            source="pyproject.toml",
            name=project.get("name") if isinstance(project.get("name"), str) else None,
            python=(
                PythonRequest(python.strip(), "requires-python in pyproject.toml")
                if isinstance(python, str) and python.strip()
                else None
            ),
            extras=chosen,
            declared=frozenset(
                _names(project.get("dependencies") or [])
                | {name for group in chosen for name in _names(extras[group] or [])}
            ),
            modules=_py_modules(pyproject),
        )
    described: list[tuple[str, _SetupFacts]] = []
    if project_file(root, "setup.cfg"):
        facts, package = read_setup_cfg(root / "setup.cfg")
        if package:
            described.append(("setup.cfg", facts))
    if project_file(root, "setup.py"):
        described.append(("setup.py", read_setup_py(root / "setup.py")))
    if described:
        # setup.py is what pip runs (often a one-line shim for setup.cfg); both are read.
        kind = "setup.py" if any(source == "setup.py" for source, _ in described) else "setup.cfg"
        python = next(
            (
                PythonRequest(facts.python_requires, f"python_requires in {source}")
                for source, facts in described
                if facts.python_requires
            ),
            None,
        )
        return _Package(
            kind=kind,
            source=kind,
            name=next((facts.name for _, facts in described if facts.name), None),
            python=python,
            extras=tuple(dict.fromkeys(extra for _, facts in described for extra in facts.extras)),
            declared=frozenset(name for _, facts in described for name in _names(facts.requires)),
            modules=tuple(
                dict.fromkeys(name for _, facts in described for name in facts.py_modules)
            ),
        )
    if "build-system" in pyproject:
        poetry = _poetry_python(pyproject)
        return _Package(
            kind="pyproject",
            source="pyproject.toml",
            python=(
                PythonRequest(poetry, "python in [tool.poetry.dependencies]") if poetry else None
            ),
            modules=_py_modules(pyproject),
        )
    return None


# --- the project's own code, in a flat layout ---------------------------------------------------

#: Folders at the root that are not the project's code even as packages (besides ``test*``).
ASIDE_PACKAGES: frozenset[str] = frozenset(
    {"doc", "docs", "example", "examples", "benchmark", "benchmarks", "bench", "notebooks"}
)
#: Modules at the root that are tooling, not the project's code (besides ``test*``).
ASIDE_MODULES: frozenset[str] = frozenset(
    {"setup", "conftest", "noxfile", "tasks", "fabfile", "versioneer", "manage"}
)


def _aside(name: str, aside: frozenset[str]) -> bool:
    return (
        not name.isidentifier()
        or name.startswith("test")
        or name.endswith("_test")
        or name in aside
    )


def top_level_code(
    root: Path, declared_modules: Sequence[str] = (), *, installable: bool
) -> tuple[str, ...]:
    """The import packages and modules of a flat layout: what its maintainers measure.

    Packages are the folders at the root with an ``__init__.py`` (not tests, docs, examples
    or benchmarks: :data:`ASIDE_PACKAGES`); modules are the ``py_modules`` an installed
    package declares, else, when it has no package folder, its one ``.py`` file beside
    ``setup.py`` (not :data:`ASIDE_MODULES` nor tests). A project that is not installed
    (requirements, scripts) gets its packages only when no script sits beside them. Empty,
    so that the whole root is measured, when the root is itself a package or nothing is found.
    """
    if project_file(root, "__init__.py"):
        return ()
    try:
        entries = sorted(root.iterdir())
    except OSError:
        return ()
    packages = [
        entry.name
        for entry in entries
        if not entry.is_symlink()
        and entry.is_dir()
        and not _aside(entry.name, ASIDE_PACKAGES)
        and project_file(root, f"{entry.name}/__init__.py")
    ]
    scripts = [
        entry.stem
        for entry in entries
        if entry.suffix == ".py"
        and not _aside(entry.stem, ASIDE_MODULES)
        and project_file(root, entry.name)
    ]
    if not installable:
        return () if scripts else tuple(packages)
    modules = [
        name
        for name in declared_modules
        if name.isidentifier() and project_file(root, f"{name}.py")
    ]
    if not packages and not modules and len(scripts) == 1:
        modules = scripts
    return tuple(sorted({*packages, *modules}))


def _requirements_steps(root: Path) -> tuple[list[InstallStep], set[str]]:
    steps: list[InstallStep] = []
    declared: set[str] = set()
    for relative in REQUIREMENTS_FILES:
        path = project_file(root, relative)
        if path is not None:
            steps.append(InstallStep(f"-r {relative}", relative, ("-r", str(path))))
            declared |= requirement_names(path, root)
    return steps, declared


def _conda_step(root: Path) -> tuple[InstallStep | None, _Conda, str | None]:
    for relative in ENVIRONMENT_FILES:
        path = project_file(root, relative)
        if path is None:
            continue
        conda = read_environment_yml(path)
        packages = list(conda.requirements)
        for entry in conda.pip:
            include = re.match(r"^(?:-r|--requirement)[\s=]+(\S+)", entry.strip())
            if include and project_file(root, include.group(1)):
                packages += ["-r", str(root / include.group(1))]
            elif requirement_name(entry) is not None:  # "-e ." is the package step's job
                packages.append(entry.strip())
        if not packages:
            return None, conda, relative
        what = f"{len(conda.requirements) + len(conda.pip)} dependencies of {relative}"
        return InstallStep(what, relative, tuple(packages)), conda, relative
    return None, _Conda(), None


def _chosen_groups(pyproject: Mapping[str, Any], groups: Mapping[str, Any]) -> tuple[str, ...]:
    """The test groups the project has, and the groups ``uv sync`` installs by default.

    ``[tool.uv] default-groups`` is a list of groups, or ``"all"``.
    """
    tool = pyproject.get("tool")
    uv = tool.get("uv") if isinstance(tool, dict) else None
    default = uv.get("default-groups") if isinstance(uv, dict) else None
    if default == "all":
        default = list(groups)
    listed = (
        [item for item in default if isinstance(item, str)] if isinstance(default, list) else []
    )
    return tuple(group for group in dict.fromkeys([*TEST_GROUPS, *listed]) if group in groups)


@dataclasses.dataclass(frozen=True)
class _FromTox:
    """What tox's ``[testenv]`` adds to the install of a project that declares no test deps."""

    groups: tuple[str, ...] = ()
    step: InstallStep | None = None
    names: frozenset[str] = frozenset()
    #: The tox configuration's file and the requirements files its deps include.
    sources: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


def _declares_tests(root: Path, package: _Package | None, groups: Sequence[str]) -> bool:
    """The project declares its test dependencies: an extra, a group, a requirements file."""
    if package is not None and (package.extras or groups):
        return True
    return any(
        project_file(root, name) for name in REQUIREMENTS_FILES if name not in _RUNTIME_FILES
    )


def _from_tox(tox: ToxConfig, root: Path, groups: Mapping[str, Any]) -> _FromTox:
    """What ``[testenv]`` of tox installs: dependency groups, and ``deps`` as an install step."""
    from research_ci.toxconfig import plain_deps  # noqa: PLC0415 - toxconfig imports this module

    base = tox.base
    if base is None:
        return _FromTox(sources=(tox.file,))
    deps = plain_deps(base, root)
    args = [*deps.requirements]
    names = _names(deps.requirements)
    for relative in deps.files:
        args += ["-r", str(root / relative)]
        names |= requirement_names(root / relative, root)
    shown = ", ".join([*deps.requirements, *(f"-r {relative}" for relative in deps.files)])
    place = tox.place(base, "deps")
    return _FromTox(
        groups=tuple(group for group in base.dependency_groups if group in groups),
        step=InstallStep(shown, place, tuple(args), optional=True) if args else None,
        names=frozenset(names),
        sources=(tox.file, *deps.files),
        notes=(f"not installed from {place}: {'; '.join(deps.skipped)}",) if deps.skipped else (),
    )


def detect_layout(
    root: Path, pyproject: Mapping[str, Any], *, test_tools: Sequence[str] = TEST_TOOLS
) -> Layout:
    """Read the project at ``root`` (its parsed ``pyproject``, possibly empty) into a Layout."""
    package = _package(root, pyproject)
    _project, _extras, groups = _pep621(pyproject)
    sources = [
        name
        for name in ("pyproject.toml", "setup.py", "setup.cfg", ".python-version")
        if project_file(root, name)
    ]
    steps: list[InstallStep] = []
    declared: set[str] = set()
    from research_ci.toxconfig import read_tox  # noqa: PLC0415 - toxconfig imports this module

    tox = read_tox(root, pyproject)
    chosen_groups = _chosen_groups(pyproject, groups) if package is not None else ()
    from_tox = (
        _from_tox(tox, root, groups)
        if tox is not None and not _declares_tests(root, package, chosen_groups)
        else _FromTox()
    )
    if package is not None:
        chosen_groups += from_tox.groups
        extras = f"[{','.join(package.extras)}]" if package.extras else ""
        args = ["-e", f"{root}{extras}"]
        shown = f"-e .{extras}"
        for group in chosen_groups:
            args += ["--group", f"{root / 'pyproject.toml'}:{group}"]
            shown += f" --group {group}"
            declared |= _names(groups[group] or [])
        steps.append(InstallStep(shown, package.source, tuple(args)))
        declared |= package.declared
        if project_file(root, LOCK_FILE):
            # The maintainers' environment is `uv sync`'s: an unpinned `ruff` in a dev group
            # is the locked version there, not the newest (itsdangerous: 0.11.11, not 0.17).
            sources.append(LOCK_FILE)
            steps.append(InstallStep(f"the versions {LOCK_FILE} pins", LOCK_FILE, ()))
    requirements, names = _requirements_steps(root)
    steps += requirements
    declared |= names
    sources += [step.source for step in requirements]
    steps += [from_tox.step] if from_tox.step is not None else []
    declared |= from_tox.names
    sources += from_tox.sources
    notes = list(from_tox.notes)
    # A conda environment file beside a package or requirements files is usually a demo or
    # binder environment (notebooks, jupyterlab): the package's own dependencies decide.
    conda_step, conda, conda_file = (
        _conda_step(root) if package is None and not requirements else (None, _Conda(), None)
    )
    if conda_file is not None:
        sources.append(conda_file)
    if conda_step is not None:
        steps.append(conda_step)
        declared |= _names(conda_step.args)
        notes.append(
            f"{conda_file} is a conda environment: research-ci installs its dependencies from "
            "PyPI by name; activate the conda environment (conda activate) to use it instead"
        )
    steps.append(InstallStep(", ".join(test_tools), "research-ci", tuple(test_tools)))

    kind = package.kind if package is not None else "scripts"
    if package is None and requirements:
        kind = "requirements"
    elif package is None and conda_file is not None:
        kind = "environment.yml"
    version_file = read_python_version(root)
    request = package.python if package is not None else None
    if version_file is not None and version_file != "system":
        request = PythonRequest(version_file, ".python-version")
    elif request is None and conda.python:
        request = PythonRequest(conda.python, f"python in {conda_file}")
    return Layout(
        name=str((package.name if package else None) or root.name),
        kind=kind,
        steps=tuple(steps),
        python=request,
        sources=tuple(dict.fromkeys(sources)),
        declared=frozenset(declared),
        extras=package.extras if package is not None else (),
        dependency_groups=chosen_groups,
        notes=tuple(notes),
        lock=LOCK_FILE if LOCK_FILE in sources else None,
        tox=tox,
        top_level=top_level_code(
            root, package.modules if package is not None else (), installable=package is not None
        ),
    )
