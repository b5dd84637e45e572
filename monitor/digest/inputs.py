"""What a digest needs besides the database: plain values taken from the configuration."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from playbooks import Playbook, ResponseScript


@dataclass(frozen=True, slots=True)
class EntityInfo:
    id: str
    name: str  # in the digest's locale (the entity's display name for it)
    kind: str  # brand | product | executive | competitor | topic
    aliases: tuple[str, ...] = ()  # every other name: config name, display names, aliases


@dataclass(frozen=True, slots=True)
class DigestInputs:
    """Organisation, watched entities, playbooks and scripts, and the digest's size limits."""

    organisation: str
    timezone: str
    locale: str
    entities: tuple[EntityInfo, ...]
    playbooks: tuple[Playbook, ...] = ()
    scripts: tuple[ResponseScript, ...] = ()
    grade_table: tuple[tuple[str, ...], ...] | None = None
    top: int = 10  # rows in the top incidents / sources / authors / open items lists
    theme_sample: int = 5000  # negative texts read for themes, at most
    theme_chars: int = 160  # characters of each text used for themes
    themes: int = 15  # keywords per language
    script_window: timedelta = timedelta(days=30)
    reply_goal: float = 0.9  # replies.goal: share of replies in time the plan aims at

    def entity_names(self) -> dict[str, str]:
        """Entity id -> display name."""
        return {e.id: e.name for e in self.entities}
