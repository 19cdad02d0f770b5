"""Model analysis sliced by feature, with a fairness gate: ``research-ci model``.

How a model performs on each slice of the data (overall, every value of a slice column,
crosses of two columns, numeric columns in quantile buckets), each metric with a 95 %
confidence interval and its change against a baseline, gated in TensorFlow Model Analysis'
vocabulary (value thresholds, change thresholds, per-slice and cross-slice thresholds).
Our own small vectorised engine (numpy, pyarrow): no TensorFlow, no pandas at runtime.

* :mod:`research_ci.model.specs` - slice specs and slice keys (pure Python);
* :mod:`research_ci.model.metrics` - the metric catalogue: names, tasks, directions,
  interval methods, TFMA names (pure Python);
* :mod:`research_ci.model.settings` - the ``[tool.research-ci.model]`` table and the gate's
  thresholds (pure Python);
* :mod:`research_ci.model.textproto` and :mod:`research_ci.model.evalconfig` - a TFMA
  ``EvalConfig`` text proto read and mapped onto the settings (pure Python);
* :mod:`research_ci.model.table` - reading the predictions table (CSV, Parquet) into columns;
* :mod:`research_ci.model.slicing` - slice columns to group codes (quantile buckets, crosses);
* :mod:`research_ci.model.engine` - metrics and intervals for every group at once;
* :mod:`research_ci.model.gate` - thresholds applied to the slices: failures and gaps;
* :mod:`research_ci.model.analysis` - inputs to a :class:`ModelReport` (JSON);
* :mod:`research_ci.model.curves` - ROC, calibration and threshold sweeps (HTML views);
* :mod:`research_ci.model.targets` - the label and prediction columns as the task needs them;
* :mod:`research_ci.model.counterfactuals` - nearest counterfactual examples;
* :mod:`research_ci.model.predictor` - ``--model module:function`` in the project's Python
  (:mod:`research_ci.model.project_runner` runs over there);
* :mod:`research_ci.model.probes` - partial dependence and the attribute-flip test;
* :mod:`research_ci.model.render` - the Markdown section and the offline HTML page.

The ``research-ci model`` command group is :mod:`research_ci.cli.model`; the ``model`` check
of ``research-ci check`` is :mod:`research_ci.checks.model`.
"""
