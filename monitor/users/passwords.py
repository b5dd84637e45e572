"""Password hashing with argon2id (argon2-cffi's defaults, RFC 9106's second recommendation)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 10

_HASHER = PasswordHasher()


class WeakPassword(ValueError):
    """A password too short to accept."""


def check_strength(password: str) -> None:
    """WeakPassword unless the password has at least MIN_LENGTH characters."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"password too short: at least {MIN_LENGTH} characters")


def hash_password(password: str) -> str:
    """The argon2id hash to store."""
    check_strength(password)
    return _HASHER.hash(password)


def verify_password(stored: str, password: str) -> bool:
    """Whether ``password`` matches ``stored``; a malformed hash matches nothing."""
    try:
        return _HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """Whether ``stored`` was made with weaker parameters than today's."""
    return _HASHER.check_needs_rehash(stored)


# verifying against this when the user does not exist costs the same time as a real check,
# so response times do not tell which names exist
DUMMY_HASH = _HASHER.hash("not a password of anyone")
