"""Persian text, identifiers, the catalog and the search backends.

Knows nothing of images: it works on text and on words with boxes.
"""
