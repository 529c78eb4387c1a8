"""Importing shop data into the warehouse: order lines, products and experiment assignments.

Public API (used by the CLI, the Data page and the tests):
`import_files`, `preview_file`, `detect_columns`, `import_history`, `ImportReport`, and for the Data
page's column mapping `suggest_mapping` and `layout_for`.
"""

from recs.importer.formats import FORMATS, layout_for, suggest_mapping
from recs.importer.load import import_files, import_history
from recs.importer.products import NON_PRODUCT_CODES, NON_PRODUCT_PREFIXES
from recs.importer.readers import detect_columns, preview_file
from recs.importer.report import ImportReport

__all__ = ["import_files", "import_history", "preview_file", "detect_columns", "ImportReport",
           "NON_PRODUCT_CODES", "NON_PRODUCT_PREFIXES", "FORMATS", "layout_for", "suggest_mapping"]
