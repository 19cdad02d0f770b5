"""Slice specs and slice keys: what to slice by, and how a slice is named (pure Python).

A :class:`SliceSpec` is the whole data (no column), one column, or a cross of two; its
``only`` keeps some slices (TFMA's ``feature_values``). A slice is the tuple of its
``(column, value)`` pairs; its key (``sex = Female``) names it in reports and messages.
Used by the settings, the gate and the report, which never need numpy.
"""

from __future__ import annotations

import dataclasses

OVERALL = "Overall"
MISSING = "(missing)"
#: Joins the columns of a cross in its name.
CROSS = " \u00d7 "

SliceValues = tuple[tuple[str, str], ...]


@dataclasses.dataclass(frozen=True)
class SliceSpec:
    """What to slice by: ``()`` the whole data, one column, or a cross of two columns.

    ``only`` keeps just the slices whose values are listed (TFMA's ``feature_values``).
    """

    columns: tuple[str, ...] = ()
    only: SliceValues = ()

    @property
    def name(self) -> str:
        """``Overall``, ``sex`` or ``marital-status \u00d7 sex`` (a multiplication sign)."""
        return CROSS.join(self.columns) if self.columns else OVERALL

    def keeps(self, values: SliceValues) -> bool:
        """True when the slice with ``values`` is reported."""
        return all((column, value) in values for column, value in self.only)


def slice_key(values: SliceValues) -> str:
    """``Overall``, ``sex = Female``, ``marital-status = Divorced, sex = Female``."""
    return ", ".join(f"{column} = {value}" for column, value in values) or OVERALL
