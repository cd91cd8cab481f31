"""Contracts: AsyncAPI 3.0 documents inferred from recordings, and traffic checked against them.

Layer: pure. Standard library, PyYAML and the pure recording package only;
never twisted. ``sioproxy spec`` and ``sioproxy check`` (and live validation
in ``proxy``/``record --spec``) are built on it; docs/contracts.md is the
user guide.
"""

from sioproxy.contracts.check import Contract, Finding, check_entries
from sioproxy.contracts.document import build_document, index_document
from sioproxy.contracts.infer import Attachment, Shape, infer_schema
from sioproxy.contracts.observe import Observation, observe
from sioproxy.contracts.output import SpecError, dumps, load_document, write_document
from sioproxy.contracts.update import Contradiction, update_document
from sioproxy.contracts.validate import Validator, Violation

__all__ = [
    "Attachment",
    "Contract",
    "Contradiction",
    "Finding",
    "Observation",
    "Shape",
    "SpecError",
    "Validator",
    "Violation",
    "build_document",
    "check_entries",
    "dumps",
    "index_document",
    "infer_schema",
    "load_document",
    "observe",
    "update_document",
    "write_document",
]
