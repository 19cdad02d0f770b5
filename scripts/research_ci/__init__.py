"""research-ci: code-quality and data-validation automation for research repositories."""

__version__ = "0.1.0"
