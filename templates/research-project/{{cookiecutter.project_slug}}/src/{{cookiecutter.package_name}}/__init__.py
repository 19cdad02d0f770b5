"""The {{ cookiecutter.package_name }} research pipeline.

Load the sample data, build features, fit a model and evaluate it. The pipeline is
deliberately small and uses numpy only, so that every step is easy to read, test and replace
with the real thing.
"""

from {{ cookiecutter.package_name }}.data import Dataset, load_csv
from {{ cookiecutter.package_name }}.features import FeatureBuilder
from {{ cookiecutter.package_name }}.model import Metrics, RidgeRegression
from {{ cookiecutter.package_name }}.pipeline import (
    PipelineResult,
    run_pipeline,
)

__all__ = [
    "Dataset",
    "FeatureBuilder",
    "Metrics",
    "PipelineResult",
    "RidgeRegression",
    "load_csv",
    "run_pipeline",
]
__version__ = "0.1.0"
