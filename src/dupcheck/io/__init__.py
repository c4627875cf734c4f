"""Readers, validation and writers of dupcheck's data folders (contract §1, docs/design.md).

``load(folder)`` gives a :class:`Dataset` of typed polars frames; ``validate(folder)`` a
:class:`ValidationReport`; ``write_frames`` and ``write_csv_excel_safe`` write outputs.
"""

from __future__ import annotations

from dupcheck.io.coerce import REPORT_CAP
from dupcheck.io.dataset import Dataset, load
from dupcheck.io.validate import ValidationReport, validate
from dupcheck.io.write import write_csv_excel_safe, write_frames

__all__ = [
    "REPORT_CAP",
    "Dataset",
    "ValidationReport",
    "load",
    "validate",
    "write_csv_excel_safe",
    "write_frames",
]
