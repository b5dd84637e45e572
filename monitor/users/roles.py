"""The three roles, weakest first: each can do everything the ones before it can.

- viewer: read every page and API answer;
- responder: also act on incidents, mentions, labels and silences;
- admin: also manage users and tokens and read the audit log.
"""

from __future__ import annotations

from typing import Final, Literal

Role = Literal["viewer", "responder", "admin"]
ROLES: Final[tuple[Role, ...]] = ("viewer", "responder", "admin")


class UnknownRole(ValueError):
    """A role that is not one of ROLES."""


def role(value: str) -> Role:
    """``value`` as a Role, or UnknownRole naming the choices."""
    for known in ROLES:
        if value == known:
            return known
    raise UnknownRole(f"unknown role {value!r}: one of {', '.join(ROLES)}")


def allows(held: str, needed: Role) -> bool:
    """Whether a holder of ``held`` may do what needs ``needed``."""
    return held in ROLES and ROLES.index(role(held)) >= ROLES.index(needed)
