"""Generated documentation: the configuration reference, rendered from the settings schema."""
