"""Ingestion: collect a source, then parse, normalise, match, dedupe, score and store a batch.

Nothing is imported here; import the step modules directly.
"""
