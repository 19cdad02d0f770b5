"""Run the selected checks in parallel and collect one result per check.

format and lint start at once; types and tests wait for the project's environment (made by
:mod:`research_ci.environment` when missing) and then run side by side; data runs in its own
TFDV environment. The wall time is close to the slowest check, not their sum.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from research_ci.checks import format as format_check
from research_ci.checks import lint as lint_check
from research_ci.checks import tests as tests_check
from research_ci.checks import types as types_check
from research_ci.checks.common import error_result
from research_ci.config import Settings
from research_ci.environment import EnvironmentSetupError, ProjectEnv, prepare_environment
from research_ci.report import CHECK_NAMES, CheckResult

Listener = Callable[[str, CheckResult | None], None]


def _data_check(settings: Settings) -> CheckResult:
    # Imported on demand: only projects with a data check need it.
    from research_ci.checks.data import run as run_data  # noqa: PLC0415

    return run_data(settings)


def _with_env(
    name: str,
    env_future: Future[ProjectEnv],
    run: Callable[[Settings, Path], CheckResult],
    settings: Settings,
) -> CheckResult:
    started = time.perf_counter()
    try:
        env = env_future.result()
    except EnvironmentSetupError as exc:
        return error_result(name, f"could not prepare the project environment: {exc}", started)
    return run(settings, env.python)


def run_checks(
    settings: Settings,
    selected: tuple[str, ...],
    *,
    install: bool = True,
    listener: Listener | None = None,
) -> dict[str, CheckResult]:
    """Run ``selected`` checks; unselected checks are reported as skipped."""
    notify = listener or (lambda _name, _result: None)
    results: dict[str, CheckResult] = {}
    needs_env = any(name in selected for name in ("types", "tests"))
    with ThreadPoolExecutor(max_workers=len(selected) + 1) as pool:
        env_future: Future[ProjectEnv] | None = (
            pool.submit(prepare_environment, settings, install=install) if needs_env else None
        )
        futures: dict[str, Future[CheckResult]] = {}
        for name in selected:
            notify(name, None)
            if name == "format":
                futures[name] = pool.submit(format_check.run, settings)
            elif name == "lint":
                futures[name] = pool.submit(lint_check.run, settings)
            elif name == "data":
                futures[name] = pool.submit(_data_check, settings)
            elif env_future is not None:
                target = types_check.run if name == "types" else tests_check.run
                futures[name] = pool.submit(_with_env, name, env_future, target, settings)
        for name, future in futures.items():
            results[name] = future.result()
            notify(name, results[name])
    for name in CHECK_NAMES:
        if name not in results:
            results[name] = CheckResult(
                name=name, status="skipped", summary="not selected for this run"
            )
    return {name: results[name] for name in CHECK_NAMES}
