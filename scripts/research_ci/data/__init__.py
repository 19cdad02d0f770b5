"""Data validation with TensorFlow Data Validation (TFDV).

The package is split by concern, and only the modules that need TFDV import it, and only the
parts of TFDV they need (:mod:`research_ci.data.runtime`: the in-process path never starts
TensorFlow):

* :mod:`research_ci.data.settings` - the ``[tool.research-ci.data]`` table and the CSV dialect
  (pure Python, also used by the engine's ``check`` in an environment without TFDV);
* :mod:`research_ci.data.results` - the JSON results (anomalies, drift, skew) and their
  Markdown form (pure Python);
* :mod:`research_ci.data.runtime` - importing TFDV (in-process parts without TensorFlow);
* :mod:`research_ci.data.sources` - reading CSV, Parquet and TFRecord shards as bounded Arrow
  record batches (pyarrow), column types widened in one place;
* :mod:`research_ci.data.drift` - the Kolmogorov-Smirnov distance of numeric features from
  TFDV's quantile sketches, and its noise floor (pure Python);
* :mod:`research_ci.data.stats` - statistics: chunked in-process or on an Apache Beam runner;
* :mod:`research_ci.data.schemas` - schema inference, environments, drift and skew comparators;
* :mod:`research_ci.data.validation` - anomalies, drift, distribution skew and feature skew;
* :mod:`research_ci.data.html` - the self-contained offline HTML report (every feature).

The ``research-ci data`` command group is :mod:`research_ci.cli.data`.
"""
