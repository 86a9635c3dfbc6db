"""The planners' and reviewers' web application (`parvandeh serve`): search, page viewer,
parcel view, review screen and their JSON API, over one archive.

Above `indexer/` and `pipeline/` in the dependency order: they never import it.
"""
