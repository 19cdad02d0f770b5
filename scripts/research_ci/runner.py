"""Run the selected checks in parallel and collect one result per check.

Every check starts at once, each in its own thread. The ones that need the project's packages
(types, tests) ask for the project's Python, which the first of them makes (with
:mod:`research_ci.environment`) while the others wait; the data check runs in its own TFDV
environment. The wall time is close to the slowest check, not their sum. Results are collected
as they complete, so progress lines come out in completion order.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from pathlib import Path

from research_ci.checks.common import error_result
from research_ci.checks.registry import BY_NAME, CHECK_NAMES
from research_ci.checks.spec import CheckInputs, CheckSpec
from research_ci.config import Settings
from research_ci.environment import EnvironmentSetupError, ProjectPython
from research_ci.report import CheckResult

Listener = Callable[[str, CheckResult | None], None]


def _run(spec: CheckSpec[object], inputs: CheckInputs) -> CheckResult:
    started = time.perf_counter()
    try:
        return spec.run(inputs)
    except EnvironmentSetupError as exc:
        message = f"could not prepare the project environment: {exc}"
        return error_result(spec.name, message, started)


def run_checks(
    settings: Settings,
    selected: tuple[str, ...],
    *,
    install: bool = True,
    listener: Listener | None = None,
    project_python: Callable[[], Path] | None = None,
) -> dict[str, CheckResult]:
    """Run ``selected`` checks; unselected checks are reported as skipped.

    Each selected check's ``preflight`` runs first, here: bad configuration is refused (a
    :class:`~research_ci.errors.UsageError`) before any check starts.
    """
    notify = listener or (lambda _name, _result: None)
    specs = [BY_NAME[name] for name in selected]
    for spec in specs:
        if spec.preflight is not None:
            spec.preflight(settings)
    # A base checkout (check --base) borrows the head's environment through ``project_python``.
    inputs = CheckInputs(settings, project_python or ProjectPython(settings, install=install).get)
    results: dict[str, CheckResult] = {}
    with ThreadPoolExecutor(max_workers=max(1, len(specs))) as pool:
        futures: dict[Future[CheckResult], str] = {}
        for spec in specs:
            notify(spec.name, None)
            futures[pool.submit(_run, spec, inputs)] = spec.name
        for future in as_completed(futures):
            name = futures[future]
            results[name] = future.result()
            notify(name, results[name])
    for name in CHECK_NAMES:
        if name not in results:
            results[name] = CheckResult(
                name=name, status="skipped", summary="not selected for this run"
            )
    return {name: results[name] for name in CHECK_NAMES}
