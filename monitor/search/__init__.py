"""Mention search: full text (Chinese by substring) with filters, one query for the console,
the API and the CLI."""
