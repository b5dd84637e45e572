"""Training recipes for the shipped classifier models (run explicitly, never on import)."""
