"""Run the selected checks in parallel and collect one result per check.

Every check starts at once, each in its own thread, the slowest (the tests) first. The ones
that need the project's packages (types, tests), or a tool the project installs in it, ask for
the project's environment, which the first of them makes (with
:mod:`research_ci.environment`) while the others wait; the data check runs in its own TFDV
environment. The wall time is close to the slowest check, not their sum. Results are collected
as they complete, so progress lines come out in completion order. Each result is then marked
advisory when the project's settings say so, and gets the notices its check has about the
project's configuration.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, as_completed

from research_ci.checks.common import error_result
from research_ci.checks.registry import BY_NAME, CHECK_NAMES, CHECKS
from research_ci.checks.spec import CheckInputs, CheckSpec, Sentence
from research_ci.config import Settings
from research_ci.environment import EnvironmentSetupError, ProjectEnvironment
from research_ci.report import CheckResult

Listener = Callable[[str, CheckResult | None], None]

#: Checks started first, slowest first (their specs' ``start``): the wall time is the slowest
#: check's, and on a busy machine the one started first gets the processor first.
SLOWEST_FIRST: tuple[str, ...] = tuple(
    spec.name for spec in sorted(CHECKS, key=lambda spec: spec.start or 0) if spec.start is not None
)


def start_order(names: tuple[str, ...]) -> list[str]:
    """``names`` with the slow checks first (:data:`SLOWEST_FIRST`), the others in their order."""
    slow = [name for name in SLOWEST_FIRST if name in names]
    return slow + [name for name in names if name not in slow]


def _run(spec: CheckSpec[Sentence], inputs: CheckInputs) -> CheckResult:
    started = time.perf_counter()
    try:
        result = spec.run(inputs)
    except EnvironmentSetupError as exc:
        message = f"could not prepare the project environment: {exc}"
        result = error_result(spec.name, message, started)
    settings = inputs.settings
    if spec.notices is not None and result.status in ("passed", "failed"):
        result.findings.extend(spec.notices(settings))
    result.advisory = settings.advisory.get(spec.name)
    return result


def run_checks(
    settings: Settings,
    selected: tuple[str, ...],
    *,
    install: bool = True,
    listener: Listener | None = None,
    environment: ProjectEnvironment | None = None,
    announce: Callable[[str], None] | None = None,
) -> dict[str, CheckResult]:
    """Run ``selected`` checks; unselected checks are reported as skipped.

    Each selected check's ``preflight`` runs first, here: bad configuration is refused (a
    :class:`~research_ci.errors.UsageError`) before any check starts. ``environment`` is the
    project's (by default one that installs unless ``install`` is false); ``announce``
    receives one line when a long phase starts.
    """
    notify = listener or (lambda _name, _result: None)
    specs = [BY_NAME[name] for name in selected]
    for spec in specs:
        if spec.preflight is not None:
            spec.preflight(settings)
    say = announce or (lambda _line: None)
    project = environment or ProjectEnvironment(settings, install=install, announce=say)
    inputs = CheckInputs(settings, project, say)
    results: dict[str, CheckResult] = {}
    with ThreadPoolExecutor(max_workers=max(1, len(specs))) as pool:
        futures: dict[Future[CheckResult], str] = {}
        for spec in specs:
            notify(spec.name, None)
        for name in start_order(tuple(spec.name for spec in specs)):
            futures[pool.submit(_run, BY_NAME[name], inputs)] = name
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
