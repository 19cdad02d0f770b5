"""``research-ci new``: bake a research project from the cookiecutter template.

The template lives in this repository (``templates/research-project``), next to the package
(``scripts/research_ci``), because research-ci is installed from its repository. Answers come
from ``key=value`` arguments, the user's cookiecutter config and, without ``--no-input``, the
prompts. Everything that can be refused is refused before a file is written, as one line.

The new project gets a ``.cruft.json``, exactly as ``cruft create`` writes it, so that
``cruft check`` and ``cruft update`` know where it came from and which template commit it was
baked from, whenever that is known: the template is in a git checkout (research-ci run from
its repository or installed editable), or it is the copy inside a wheel or sdist built from
one (the build records the repository and commit in ``template-origin.json``). A template copy
outside git gets none, and ``research-ci new`` says so.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import research_ci
from research_ci.errors import UsageError
from research_ci.process import ToolError, run_tool

TEMPLATE_NAME = "research-project"
#: Printed by the template's pre_gen_project hook in front of each refusal.
HOOK_PREFIX = "research-project template: error: "
#: Context keys cookiecutter adds that describe one machine, not the project.
MACHINE_KEYS = ("_output_dir", "_repo_dir", "_checkout")
#: cookiecutter renders answers as Jinja templates; markup in an answer is refused up front.
JINJA_MARKERS = ("{{", "{%", "{#")
#: Written next to the packaged template by the wheel build (build_hooks/template_origin.py).
ORIGIN_FILE = "template-origin.json"
#: The owner in the template's default action reference, which names no real repository.
ACTION_PLACEHOLDER_OWNER = "ORG"

#: Where a template came from: (repository URL or path, commit, template path inside it).
Origin = tuple[str, str, str]


def template_dir() -> Path:
    """The template: inside the installed wheel, else in the checkout it is installed from."""
    packaged = Path(research_ci.__file__).resolve().parent / "project_template" / TEMPLATE_NAME
    if (packaged / "cookiecutter.json").is_file():
        return packaged
    return Path(research_ci.__file__).resolve().parents[2] / "templates" / TEMPLATE_NAME


def find_template(explicit: Path | None) -> Path:
    """The template to bake: ``explicit`` or the one next to the package, checked."""
    template = (explicit or template_dir()).resolve()
    if not (template / "cookiecutter.json").is_file():
        where = "--template" if explicit else "the research-ci installation"
        raise UsageError(
            f"no project template at {template} (from {where}): install research-ci from its "
            "repository (pip install -e .), or use cookiecutter with --directory "
            f"templates/{TEMPLATE_NAME}"
        )
    return template


def template_defaults(template: Path) -> dict[str, Any]:
    """The prompts of ``cookiecutter.json`` (private ``_`` keys left out)."""
    try:
        raw = json.loads((template / "cookiecutter.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot read {template / 'cookiecutter.json'}: {exc}") from exc
    return {key: value for key, value in raw.items() if not key.startswith("_")}


def parse_assignments(items: Sequence[str], defaults: dict[str, Any]) -> dict[str, str]:
    """Turn ``key=value`` arguments into cookiecutter's extra context, refusing bad ones."""
    answers: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise UsageError(f"expected key=value, got {item!r}")
        if key not in defaults:
            raise UsageError(f"unknown template variable {key!r}; known: {', '.join(defaults)}")
        if any(marker in value for marker in JINJA_MARKERS):
            raise UsageError(f"{key}: template markup ({{{{, {{% or {{#) is not allowed in answers")
        choices = defaults[key]
        if isinstance(choices, list) and value not in choices:
            raise UsageError(
                f"{key}={value!r} is not one of the choices: {', '.join(map(str, choices))}"
            )
        answers[key] = value
    return answers


def split_arguments(arguments: Sequence[str]) -> tuple[Path, list[str]]:
    """Separate the optional OUTPUT_DIR from the ``key=value`` arguments."""
    paths = [arg for arg in arguments if "=" not in arg]
    if len(paths) > 1:
        raise UsageError(
            f"one OUTPUT_DIR at most, got {', '.join(paths)} (answers are written key=value)"
        )
    return Path(paths[0] if paths else "."), [arg for arg in arguments if "=" in arg]


@contextlib.contextmanager
def captured_stderr() -> Iterator[list[str]]:
    """Collect what child processes (the template's hooks) write to file descriptor 2.

    The hooks print their refusals there; capturing them lets ``new`` report one line instead
    of the hook's output followed by cookiecutter's traceback.
    """
    lines: list[str] = []
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield lines
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            lines.extend(sink.read().decode("utf-8", "replace").splitlines())


@contextlib.contextmanager
def quiet_cookiecutter() -> Iterator[None]:
    """Silence cookiecutter's own logging (it logs a traceback when a hook refuses)."""
    logger = logging.getLogger("cookiecutter")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


def user_config(replay_dir: Path) -> Path:
    """A cookiecutter config: the user's defaults, with the replay written to ``replay_dir``."""
    from cookiecutter.config import get_user_config  # noqa: PLC0415 - slow import

    try:
        config = dict(get_user_config())
    except Exception as exc:  # cookiecutter raises several kinds for a broken config
        raise UsageError(f"cannot read your cookiecutter config: {exc}") from exc
    config["replay_dir"] = str(replay_dir)
    config["cookiecutters_dir"] = str(replay_dir / "cookiecutters")
    path = replay_dir / "config.yaml"
    # JSON is YAML, and needs no YAML writer.
    path.write_text(json.dumps(config, default=str), encoding="utf-8")
    return path


def git_origin(template: Path) -> Origin | None:
    """(repository root, HEAD commit, template path inside it), or None outside git."""

    def git(*args: str) -> str | None:
        try:
            completed = run_tool(["git", "-C", template, *args], cwd=template, timeout_s=30)
        except (ToolError, OSError):
            return None
        return completed.stdout.strip() if completed.returncode == 0 else None

    root = git("rev-parse", "--show-toplevel")
    commit = git("rev-parse", "HEAD")
    if not root or not commit:
        return None
    root_path = Path(root).resolve()
    return str(root_path), commit, template.relative_to(root_path).as_posix()


def packaged_origin(template: Path) -> Origin | None:
    """The origin a wheel build recorded next to its template copy, if any."""
    try:
        recorded = json.loads((template.parent / ORIGIN_FILE).read_text(encoding="utf-8"))
        return str(recorded["template"]), str(recorded["commit"]), str(recorded["directory"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def template_origin(template: Path) -> Origin | None:
    """Where the template came from: its git checkout, else what its build recorded."""
    return git_origin(template) or packaged_origin(template)


def cruft_state(context: dict[str, Any], origin: Origin, *, url: str | None = None) -> str:
    """The ``.cruft.json`` text ``cruft create`` would write for this bake.

    ``url`` (the template repository's public address) replaces the recorded one.
    """
    root, commit, directory = origin
    source = url or root
    baked = context.get("cookiecutter", {})
    answers = {key: value for key, value in baked.items() if key not in MACHINE_KEYS}
    answers["_template"] = source
    answers["_commit"] = commit
    state = {
        "template": source,
        "commit": commit,
        "checkout": None,
        "context": {"cookiecutter": answers},
        "directory": directory,
    }
    return json.dumps(state, ensure_ascii=False, indent=2, separators=(",", ": ")) + "\n"


def placeholder_warning(context: dict[str, Any]) -> str | None:
    """One line when the baked workflows still use the placeholder action reference."""
    action = str(context.get("cookiecutter", {}).get("research_ci_action", ""))
    if action.split("/", 1)[0] != ACTION_PLACEHOLDER_OWNER:
        return None
    example = action.replace(ACTION_PLACEHOLDER_OWNER, "OWNER", 1)
    return (
        f"research-ci: warning: research_ci_action is {action}, a placeholder: CI fails until it "
        f"names the published research-ci; bake with research_ci_action={example}, or set it "
        f'later with cruft update --variables-to-update \'{{"research_ci_action": "{example}"}}\''
    )


@dataclasses.dataclass(frozen=True)
class Baked:
    """A new project, the answers cookiecutter baked it with, and whether cruft can follow it."""

    path: Path
    context: dict[str, Any]
    cruft: bool


def bake(
    template: Path,
    output_dir: Path,
    answers: dict[str, str],
    *,
    no_input: bool,
    origin_url: str | None = None,
) -> Baked:
    """Bake the template into ``output_dir``.

    When the template's origin is known (:func:`template_origin`), the project gets a
    ``.cruft.json`` that names it (``origin_url`` or the recorded one), the commit and the
    answers.
    """
    from cookiecutter.exceptions import (  # noqa: PLC0415 - slow import
        CookiecutterException,
        FailedHookException,
        OutputDirExistsException,
    )
    from cookiecutter.main import cookiecutter  # noqa: PLC0415
    from jinja2 import TemplateError  # noqa: PLC0415

    if output_dir.exists() and not output_dir.is_dir():
        raise UsageError(f"OUTPUT_DIR {output_dir} is not a directory")
    created_output = not output_dir.exists()
    with tempfile.TemporaryDirectory(prefix="research-ci-new-") as tmp:
        replay_dir = Path(tmp)
        config_file = user_config(replay_dir)
        try:
            output_dir.mkdir(parents=True, exist_ok=True)
            with quiet_cookiecutter(), captured_stderr() as hook_output:
                project = Path(
                    cookiecutter(
                        str(template),
                        no_input=no_input,
                        extra_context=answers,
                        output_dir=str(output_dir),
                        config_file=str(config_file),
                    )
                )
        except FailedHookException as exc:
            refusals = [
                line.removeprefix(HOOK_PREFIX)
                for line in hook_output
                if line.startswith(HOOK_PREFIX)
            ]
            raise UsageError(
                "; ".join(refusals) or f"the template refused the answers: {exc}"
            ) from exc
        except OutputDirExistsException as exc:
            detail = str(exc).removeprefix("Error: ")
            raise UsageError(f"{detail}: choose another OUTPUT_DIR or project_slug") from exc
        except TemplateError as exc:
            raise UsageError(f"an answer is not valid template text: {exc.message}") from exc
        except (CookiecutterException, ValueError, OSError) as exc:
            # cookiecutter appends the whole context to some messages: keep the first part.
            detail = str(exc).split(" Context: ")[0]
            raise UsageError(f"cannot bake the template: {detail}") from exc
        finally:
            if created_output and output_dir.is_dir() and not any(output_dir.iterdir()):
                output_dir.rmdir()
        replay_file = replay_dir / f"{template.name}.json"
        context: dict[str, Any] = (
            json.loads(replay_file.read_text(encoding="utf-8")) if replay_file.exists() else {}
        )
    origin = template_origin(template)
    if origin is not None and context:
        state = cruft_state(context, origin, url=origin_url)
        (project / ".cruft.json").write_text(state, encoding="utf-8")
    return Baked(path=project, context=context, cruft=origin is not None and bool(context))
