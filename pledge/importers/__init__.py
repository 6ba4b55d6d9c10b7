"""Sloth, Pyrra and OpenSLO specs <-> the SLA model. Pure mapping: no file or network I/O here
(the command line edge is pledge.commands.importers; files are read by pledge.files)."""

from pledge.importers.detect import import_documents
from pledge.importers.export import to_openslo
from pledge.importers.report import Fidelity, Mapping, Note, exit_code

__all__ = ["Fidelity", "Mapping", "Note", "exit_code", "import_documents", "to_openslo"]
