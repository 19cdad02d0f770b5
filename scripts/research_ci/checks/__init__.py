"""One module per check. Each turns its tool's machine-readable output into a CheckResult."""
