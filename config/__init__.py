"""crisiswatch configuration: the pydantic schema, durations and the YAML loader."""

from config.loader import ConfigError, LoadedConfig, load_config
from config.schema import Settings

__all__ = ["ConfigError", "LoadedConfig", "Settings", "load_config"]
