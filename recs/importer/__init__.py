"""Importing shop data into the warehouse: order lines, products and experiment assignments.

Public API (used by the CLI, the Data page and the tests):
`import_files`, `preview_file`, `detect_columns`, `import_history`, `ImportReport`, `delete_import` (with
`describe_import` and its `Deletion` result), and for the Data page's column mapping `suggest_mapping` and
`layout_for`.
"""

from recs.importer.delete import Deletion, delete_import
from recs.importer.delete import describe as describe_import
from recs.importer.formats import FORMATS, layout_for, suggest_mapping
from recs.importer.load import import_files, import_history
from recs.importer.products import NON_PRODUCT_CODES, NON_PRODUCT_PREFIXES
from recs.importer.readers import detect_columns, preview_file
from recs.importer.report import ImportReport

__all__ = ["import_files", "delete_import", "describe_import", "Deletion", "import_history", "preview_file", "detect_columns", "ImportReport",
           "NON_PRODUCT_CODES", "NON_PRODUCT_PREFIXES", "FORMATS", "layout_for", "suggest_mapping"]
