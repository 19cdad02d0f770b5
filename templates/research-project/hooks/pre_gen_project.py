"""Refuse answers that would bake a broken project, before any file is written.

cookiecutter renders this file with the answers, then runs it. Each refusal prints one line
that says what is wrong and how to fix it, and exits non-zero without a traceback; cookiecutter
then removes the half-made project directory.
"""

from __future__ import annotations

import keyword
import re
import sys

SUPPORTED_PYTHONS = ("3.10", "3.11", "3.12", "3.13")
LICENSES = ("MIT", "Apache-2.0", "BSD-3-Clause", "none")
YES_NO = ("yes", "no")
# GitHub logins: letters, digits and single hyphens, not at either end, at most 39 characters.
GITHUB_OWNER = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$")
# owner/repo[/path]@ref, or a local action ./path
ACTION_REF = re.compile(r"^(?:[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_./-]+)?@[A-Za-z0-9_./-]+|\./[A-Za-z0-9_./-]*)$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
MAX_NAME = 40
CONTROL = re.compile(r"[\x00-\x1f\x7f]")

ANSWERS = {
    "project_name": {{ cookiecutter.project_name | tojson }},
    "project_slug": {{ cookiecutter.project_slug | tojson }},
    "package_name": {{ cookiecutter.package_name | tojson }},
    "description": {{ cookiecutter.description | tojson }},
    "author_name": {{ cookiecutter.author_name | tojson }},
    "author_email": {{ cookiecutter.author_email | tojson }},
    "github_owner": {{ cookiecutter.github_owner | tojson }},
    "python_version": {{ cookiecutter.python_version | tojson }},
    "license": {{ cookiecutter.license | tojson }},
    "coverage_threshold": {{ cookiecutter.coverage_threshold | string | tojson }},
    "include_data_validation": {{ cookiecutter.include_data_validation | tojson }},
    "include_notebooks": {{ cookiecutter.include_notebooks | tojson }},
    "research_ci_action": {{ cookiecutter.research_ci_action | tojson }},
}


def joined(text: str) -> str:
    """``text`` with its surrogate pairs joined into the characters they stand for.

    ``tojson`` writes a character outside the BMP (an emoji) as a pair of surrogate escapes
    (``\\ud83d\\ude00``), which a Python string literal keeps as two lone surrogates: printed,
    they would show as escapes (or fail to encode).
    """
    return text.encode("utf-16", "surrogatepass").decode("utf-16")


ANSWERS = {key: joined(value) for key, value in ANSWERS.items()}


def problems(answers: dict[str, str]) -> list[str]:
    """Every reason the answers cannot make a working project (empty when they can)."""
    found: list[str] = []
    for key, value in answers.items():
        if CONTROL.search(value):
            found.append(f"{key} contains a control character (such as a newline or tab)")
    name = answers["project_name"].strip()
    if not name:
        found.append("project_name is empty: give the project a name")
    elif not any(char.isalnum() for char in name):
        found.append(f"project_name {name!r} needs at least one letter or digit")
    slug = answers["project_slug"]
    if name and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", slug):
        found.append(
            f"project_slug {slug!r} is not a usable repository name: use letters, digits,"
            " '.', '_' and '-', starting with a letter or digit"
        )
    if len(slug) > MAX_NAME:
        found.append(
            f"project_slug {slug!r} is longer than {MAX_NAME} characters:"
            " pass a shorter project_slug=..."
        )
    package = answers["package_name"]
    if name and not package.isidentifier():
        found.append(
            f"package_name {package!r} is not a valid Python identifier: use letters, digits"
            " and '_', not starting with a digit (for example package_name=my_study)"
        )
    elif name and not package.isascii():
        found.append(f"package_name {package!r} must be ASCII so that every tool can import it")
    elif keyword.iskeyword(package):
        found.append(f"package_name {package!r} is a Python keyword: choose another name")
    elif package in sys.stdlib_module_names or package.lower() in sys.stdlib_module_names:
        found.append(
            f"package_name {package!r} shadows the standard-library module {package.lower()!r}:"
            " choose another name"
        )
    elif len(package) > MAX_NAME:
        found.append(f"package_name {package!r} is longer than {MAX_NAME} characters")
    elif package != package.lower():
        found.append(f"package_name {package!r} must be lower case (PEP 8)")
    if answers["python_version"] not in SUPPORTED_PYTHONS:
        found.append(
            f"python_version {answers['python_version']!r} is not supported:"
            f" choose one of {', '.join(SUPPORTED_PYTHONS)}"
        )
    if answers["license"] not in LICENSES:
        found.append(f"license {answers['license']!r} is unknown: choose one of {', '.join(LICENSES)}")
    for key in ("include_data_validation", "include_notebooks"):
        if answers[key] not in YES_NO:
            found.append(f"{key} must be 'yes' or 'no', not {answers[key]!r}")
    threshold = answers["coverage_threshold"].strip()
    if not threshold.isdigit() or not 0 <= int(threshold) <= 100:
        found.append(
            f"coverage_threshold {threshold!r} must be a whole number of percent from 0 to 100"
        )
    if not EMAIL.fullmatch(answers["author_email"].strip()):
        found.append(f"author_email {answers['author_email']!r} is not an e-mail address (no '@')")
    if not answers["author_name"].strip():
        found.append("author_name is empty: CITATION.cff and LICENSE need an author")
    if not GITHUB_OWNER.fullmatch(answers["github_owner"]):
        found.append(
            f"github_owner {answers['github_owner']!r} is not a GitHub user or organisation name"
        )
    if not ACTION_REF.fullmatch(answers["research_ci_action"]):
        found.append(
            f"research_ci_action {answers['research_ci_action']!r} is not an action reference:"
            " use owner/repo@ref (for example ORG/research-ci@v1) or ./path"
        )
    return found


def main() -> int:
    """Print each problem on its own line; exit 1 when there is any."""
    found = problems(ANSWERS)
    for problem in found:
        print(f"research-project template: error: {problem}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
