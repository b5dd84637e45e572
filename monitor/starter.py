"""The starter folder ``crisiswatch init`` writes: the bundled example configuration as
``crisiswatch.yaml`` with the sample files its sources read beside it, so every relative path
in it resolves and ``crisiswatch check-config`` passes as written.

Nothing is written when a file would be overwritten, unless asked to: a starter never
replaces someone's edited configuration or data.
"""

from __future__ import annotations

from collections.abc import Iterator
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path, PurePosixPath

from config.loader import example_config_path

CONFIG_NAME = "crisiswatch.yaml"


class StarterError(Exception):
    """The starter cannot be written (a file exists, or the folder cannot be made)."""


def starter_files() -> dict[PurePosixPath, bytes]:
    """The starter's files by path relative to its folder: the configuration, then samples."""
    files = {PurePosixPath(CONFIG_NAME): example_config_path().read_bytes()}
    samples = resources.files("config").joinpath("samples")
    for relative, item in sorted(_walk(samples, PurePosixPath("samples")), key=lambda f: f[0]):
        files[relative] = item.read_bytes()
    return files


def write_starter(folder: Path, *, force: bool = False) -> list[Path]:
    """Write the starter into ``folder`` (made if needed); return the files written.

    Raises StarterError naming the first existing file unless ``force``, before writing any.
    """
    targets = {folder.joinpath(*relative.parts): data for relative, data in starter_files().items()}
    if not force:
        existing = next((path for path in targets if path.exists()), None)
        if existing is not None:
            raise StarterError(f"{existing} exists; nothing was written (--force overwrites)")
    try:
        for path, data in targets.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
    except OSError as exc:
        raise StarterError(f"{exc.filename or folder}: {exc.strerror or exc}") from None
    return list(targets)


def _walk(
    folder: Traversable, relative: PurePosixPath
) -> Iterator[tuple[PurePosixPath, Traversable]]:
    for item in folder.iterdir():
        if item.is_dir():
            yield from _walk(item, relative / item.name)
        elif item.is_file():
            yield relative / item.name, item
