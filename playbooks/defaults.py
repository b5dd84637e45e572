"""Where the shipped default playbooks and response scripts live."""

from __future__ import annotations

from pathlib import Path

# Channel names the shipped playbooks use; the example config defines channels with these names.
DEFAULT_CHANNEL_NAMES: tuple[str, ...] = (
    "console",
    "risk-slack",
    "manager-email",
    "exec-slack",
    "webhook",
)
# Placeholders the shipped scripts use: brand, incident_id, hotline and date are for the service
# to fill; the rest stay visible in the alert for the responder to complete.
DEFAULT_PLACEHOLDERS: tuple[str, ...] = (
    "brand",
    "incident_id",
    "hotline",
    "date",
    "product",
    "service",
    "next_update",
    "details",
)


def defaults_dir() -> Path:
    """The folder holding low/medium/high/critical.yaml and scripts.yaml."""
    return Path(__file__).resolve().parent / "defaults"


def default_playbook_paths() -> tuple[Path, ...]:
    """The shipped playbook files, lowest grade first."""
    folder = defaults_dir()
    return tuple(folder / f"{grade}.yaml" for grade in ("low", "medium", "high", "critical"))


def default_scripts_path() -> Path:
    """The shipped response-script file."""
    return defaults_dir() / "scripts.yaml"
