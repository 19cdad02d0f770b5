"""research-ci's pytest plugin: every test report's outcome, as pytest's own summary counts it.

research-ci loads it into the project's test run with ``-p research_ci_outcomes`` (this
directory on ``PYTHONPATH``: it holds nothing else) and names the JSON file to write in
``RESEARCH_CI_OUTCOMES``. Each report is classified by pytest's own
``pytest_report_teststatus`` hook, exactly as the terminal summary classifies it, so the
counts are pytest's (``passed``, ``failed``, ``error``, ``skipped``, ``xfailed``,
``xpassed``); a module that cannot be collected is an ``error`` with ``when = "collect"``.
The file is written when the session finishes, by the controlling process only (never by a
pytest-xdist worker, whose reports reach the controller).

It runs inside the project's Python, which may be old: standard library only, Python 3.8
syntax, hooks that pytest has had since 6.0.
"""

from __future__ import annotations

import json
import os
from typing import Any

#: The environment variable that names the output file.
OUTPUT_VARIABLE = "RESEARCH_CI_OUTCOMES"
#: At most this much of a failure's text is kept (the end, where the exception is).
MAX_TEXT = 4000


def _location(report: Any) -> tuple[str | None, int | None]:
    location = getattr(report, "location", None)
    if location:
        path, line = location[0], location[1]
        return str(path), (int(line) + 1 if line is not None else None)
    path = getattr(report, "fspath", None)
    return (str(path) if path else None), None


def _message(report: Any) -> str:
    """The one-line message pytest shows for the report (crash line, skip or xfail reason)."""
    reason = getattr(report, "wasxfail", None)
    if reason:
        return str(reason)
    longrepr = getattr(report, "longrepr", None)
    if isinstance(longrepr, tuple) and len(longrepr) == 3:  # a skip: (path, line, reason)
        return str(longrepr[2])
    crash = getattr(longrepr, "reprcrash", None)
    if crash is not None and getattr(crash, "message", None):
        return str(crash.message)
    return ""


class Recorder:
    """Collects the reports and writes them when the session finishes."""

    def __init__(self, config: Any, path: str) -> None:
        self.config = config
        self.path = path
        self.reports: list[dict[str, Any]] = []

    def _add(self, report: Any, category: str) -> None:
        file, line = _location(report)
        entry: dict[str, Any] = {
            "nodeid": report.nodeid,
            "when": getattr(report, "when", None) or "collect",
            "category": category,
            "file": file,
            "line": line,
            "message": _message(report),
        }
        if report.failed:
            text = getattr(report, "longreprtext", "") or ""
            entry["text"] = text[-MAX_TEXT:]
        self.reports.append(entry)

    def pytest_runtest_logreport(self, report: Any) -> None:
        status = self.config.hook.pytest_report_teststatus(report=report, config=self.config)
        category = status[0] if status else ""
        if category:
            self._add(report, str(category))

    def pytest_collectreport(self, report: Any) -> None:
        # As pytest's terminal reporter counts them: a failed collection is an error.
        if report.failed:
            self._add(report, "error")
        elif report.skipped:
            self._add(report, "skipped")

    def pytest_sessionfinish(self, exitstatus: Any) -> None:
        document = {"exitstatus": int(exitstatus), "reports": self.reports}
        with open(self.path, "w", encoding="utf-8") as handle:  # noqa: PTH123 - Python 3.8
            json.dump(document, handle)


def pytest_configure(config: Any) -> None:
    """Register the recorder in the controlling process when research-ci asked for it."""
    path = os.environ.get(OUTPUT_VARIABLE)
    if path and not hasattr(config, "workerinput"):
        config.pluginmanager.register(Recorder(config, path), "research-ci-outcomes-recorder")
