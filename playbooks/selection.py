"""Choosing the playbook for an incident's grade and category."""

from __future__ import annotations

from collections.abc import Iterable

from playbooks.model import Playbook


def select_playbook(
    *, playbooks: Iterable[Playbook], grade: str, category: str | None
) -> Playbook | None:
    """The first playbook naming both grade and category, else the first for the grade alone."""
    general: Playbook | None = None
    for playbook in playbooks:
        if grade not in playbook.grades:
            continue
        if playbook.categories:
            if category is not None and category in playbook.categories:
                return playbook
        elif general is None:
            general = playbook
    return general
