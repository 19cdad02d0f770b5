"""The action's inputs that its plan refuses, and the words of each refusal.

The plan's own tests (test_github_plan) refuse them in process; the action's tests (test_action)
refuse them end to end under act, as one error annotation. Keys are the action's input names.
"""

from __future__ import annotations

#: One bad input each, with what the refusal says.
REFUSED_INPUTS: list[tuple[dict[str, str], str]] = [
    ({"badge": "maybe"}, "badge must be readme or none, got: maybe"),
    ({"comment": "yes"}, "comment must be true or false"),
    ({"working-directory": "nowhere"}, "working-directory does not exist: nowhere"),
    ({"python-version": "3.9"}, "Python 3.10 or newer, not 3.9"),
    ({"report": "r.json\n::warning::injected"}, "are one line"),
]


def input_ids(cases: list[tuple[dict[str, str], str]]) -> list[str]:
    """A test id per case: the names of its inputs."""
    return [",".join(inputs) for inputs, _message in cases]
