"""GitHub glue for the composite action: outputs, gate, sticky PR comment, badge commit.

Nothing here runs a check; it only reads the report that ``check`` wrote.

One module per concern: :mod:`~research_ci.github.context` (the run's environment, the output
and summary files), :mod:`~research_ci.github.api` (the REST client),
:mod:`~research_ci.github.comment`, :mod:`~research_ci.github.badge_commit` and
:mod:`~research_ci.github.outputs`; the ``research-ci github`` command group is
:mod:`research_ci.cli.github`.
"""
