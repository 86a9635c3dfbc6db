"""QA for reviewers: the review queue ordered by risk and the confidence report.

Above ``indexer/`` (which never imports it): it reads the catalog, the page store's
images and word files, and writes corrections through ``indexer.corrections``.
"""
