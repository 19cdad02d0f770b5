"""Parsing the YAML a project configures tools with (pre-commit, conda's environment.yml).

PyYAML's safe loader, through libyaml when PyYAML was built with it (the wheels are): the pure
Python parser takes 7-15 ms for a template's ``.pre-commit-config.yaml``, which ``check`` reads
before any tool starts; libyaml takes about 1 ms. Both build the same plain Python values.
"""

from __future__ import annotations

from typing import Any


def safe_load(text: str) -> Any:
    """The plain values of one YAML document; raises :class:`yaml.YAMLError` when it is not one."""
    import yaml  # noqa: PLC0415 - only projects with a YAML configuration need it

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader, libyaml's or PyYAML's
