"""Importing contacts, accounts, leads and products from CSV/XLSX files (issue 5).

files     upload checks (names, size, content, zip bombs) and storage under DATA_DIR/imports
detect    encoding, delimiter, sheet, header row (title rows, merged header cells)
reader    the rows of a file, streamed (csv over a decoded stream; openpyxl's read-only parser)
fields    what a column can be mapped to (Vietnamese and English headers, custom fields), proposals
values    strict value parsers (dates, numbers, phones, text) and the formula un-escaping
lookups   names → ids for provinces (also pre-2025 ones), sources, groups, tags, users, choices
parser    one row → what will be stored, or the reasons it cannot be
dedupe    batched duplicate lookups against the indexed keys, and keys seen in the file
undo      removing/restoring what an import did (the batches are written, and undone, through the
          spine's bulk form: record_bulk_create/update/delete in sencrm/events/services.py)
runner    preview counts, the run batch by batch; pacing: read-ahead thread, GC, commits
products  the catalogue's cells (codes, prices, VAT rates, categories, suppliers), and its rows written
          (and undone) one by one through the catalogue's services instead of the bulk form
jobs      the job's life (upload → mapping → preview → run → undo), mapping templates
preview   the first rows as they will be stored;  forms: the wizard's forms;  labels: timeline text
"""
