"""Who this process is, in the form claims record their owner by: ``host:pid:token``.

Every name is unique (its random token tells two runs apart even when a restarted container
gets the same pid), and it lets a process recognise claims left by an earlier process on the
same host: when the owner's pid is no longer running, or is this process's own pid with a
token this process never issued (a restarted container), the owner is gone and its claims can
be taken at once instead of waiting for their lease to run out.
"""

from __future__ import annotations

import os
import socket
import threading
import uuid
from collections.abc import Iterable

_issued: set[str] = set()
_issued_lock = threading.Lock()


def instance_name() -> str:
    """A new ``host:pid:token`` name (several may live in one process, e.g. in tests)."""
    token = uuid.uuid4().hex[:8]
    with _issued_lock:
        _issued.add(token)
    return f"{socket.gethostname()}:{os.getpid()}:{token}"


def owner_is_gone(owner: str, *, me: str) -> bool:
    """True when ``owner`` (an ``instance_name``) was a process on this host that has ended."""
    parts = owner.rsplit(":", 2)
    if len(parts) != 3 or owner == me or parts[0] != me.rsplit(":", 2)[0]:
        return False
    try:
        pid = int(parts[1])
    except ValueError:
        return False
    if pid == os.getpid():
        with _issued_lock:
            return parts[2] not in _issued  # our pid, a token not ours: an earlier process
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # e.g. EPERM: the pid runs, as another user
        return False
    return False


def gone_owners(owners: Iterable[str | None], *, me: str) -> list[str]:
    """The ``owners`` (of live claims) that are ended processes of this host."""
    return [o for o in owners if o is not None and owner_is_gone(o, me=me)]
