"""A bound on how long the process may take to stop once asked.

The shutdown itself waits ``service.shutdown_timeout`` for running work, a few seconds for the
leader lock, and closes channels and the database. Something blocking past that (a driver
call that never returns, a thread the interpreter waits for) would otherwise leave the process
hanging until a supervisor kills it, with nothing in the log to say where. The watchdog logs
every thread's stack and exits: by then running work has been handed back or its lease will
lapse, and open transactions are rolled back by the database, so nothing accepted is lost.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
import traceback
from collections.abc import Callable

log = logging.getLogger("monitor.service")

GRACE_SECONDS = 15.0  # beyond shutdown_timeout: leader lock release, channel and database close


def thread_stacks() -> str:
    """Every live thread's name and Python stack, for the log."""
    names = {thread.ident: thread.name for thread in threading.enumerate()}
    return "\n".join(
        f"thread {names.get(ident, ident)}:\n{''.join(traceback.format_stack(frame)).rstrip()}"
        for ident, frame in sys._current_frames().items()
    )


def start_shutdown_watchdog(
    stop: threading.Event,
    *,
    seconds: float,
    exit_process: Callable[[int], object] = os._exit,
) -> threading.Thread:
    """Once ``stop`` is set, allow ``seconds`` for the process to end; then log the thread
    stacks and exit with status 0 (the status a stop by SIGTERM always has)."""

    def watch() -> None:
        stop.wait()
        time.sleep(seconds)
        log.error("shutdown still not finished %.0fs after the stop request: exiting now; "
                  "thread stacks follow\n%s", seconds, thread_stacks())
        logging.shutdown()
        exit_process(0)

    thread = threading.Thread(target=watch, name="shutdown-watchdog", daemon=True)
    thread.start()
    return thread
