"""Importing contacts, accounts and leads from CSV/XLSX files.

files    upload checks and storage outside MEDIA_ROOT
detect   encoding, delimiter, sheet and header row
reader   the rows of a file, streamed (csv over a decoded stream, openpyxl read-only)
fields   what each column can be mapped to (Vietnamese and English headers), the proposed mapping
values   strict value parsers (dates, numbers, phones, choices)
parser   one row → what will be stored, or the reasons it cannot be
dedupe   batched duplicate lookups against the database and within the file
bulk     batch writers that keep the spine's rules (derived fields, events, access)
runner   analyse (preview counts), run and undo a job, batch by batch
"""
