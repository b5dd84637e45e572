"""Errors raised by the playbooks library; each carries one line naming file, key and problem."""

from __future__ import annotations


class PlaybookError(Exception):
    """A playbook or script definition cannot be used; ``str()`` is one line for the user."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        key: str | None = None,
        line: int | None = None,
    ) -> None:
        self.file = file
        self.key = key
        self.line = line
        self.problem = message
        parts = [p for p in (file, key) if p]
        text = ": ".join([*parts, message])
        if line is not None:
            text += f" (line {line})"
        super().__init__(text)


class ScriptError(PlaybookError):
    """A response script file or approval is invalid, or a file update could not be done safely."""


class EscalationError(PlaybookError):
    """An escalation state or call is inconsistent (naive datetime, wrong playbook, bad dict)."""


class SilenceError(PlaybookError):
    """A silence definition is invalid (no scope, naive time, empty reason or author)."""
