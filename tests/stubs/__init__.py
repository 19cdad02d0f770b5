"""Test stand-ins: local actions for act, a GitHub API server on 127.0.0.1, an act runner."""
