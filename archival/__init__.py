"""Archival outputs from the catalog and the page store: searchable PDF (with a Persian
text layer in logical order), hOCR, ALTO v4, BagIt bags per dossier and the parcel table.

Above `indexer/` and `pipeline/`, never imported by them; reads the catalog, never writes it.
"""
