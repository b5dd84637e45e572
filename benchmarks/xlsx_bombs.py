"""Peak memory of reading XLSX exports: decompression bombs against an ordinary large workbook.

Each file is read by ``read_export`` in a fresh child process; the child prints its peak RSS,
the records it produced and, when the file was refused, the one-line reason. Prints JSON.
Bombs are written with ``zipfile`` in streamed pieces, so they are small on disk and never
held in memory here either. Target: every peak under 400 MB, bombs refused with a reason.

    python benchmarks/xlsx_bombs.py [--bomb-mb 1500] [--rows 100000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

_CHILD = """
import resource, sys
from datetime import UTC, datetime
from pathlib import Path
from monitor.collectors.base import CollectorError, RawItem
from monitor.collectors.exports import read_export
records = items = 0
reason = None
try:
    for record in read_export(Path(sys.argv[1]), now=datetime.now(UTC)):
        records += 1
        items += isinstance(record, RawItem)
except CollectorError as exc:
    reason = str(exc)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
import json; print(json.dumps({"records": records, "items": items, "peak_rss_mb": round(peak),
                               "refused": reason}))
"""


def _measure(path: Path) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, str(path)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    ).stdout
    return {"file": path.name, "size_kb": round(path.stat().st_size / 1024), **json.loads(out)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bomb-mb", type=int, default=1500, help="inflated size of the bomb cell")
    parser.add_argument("--rows", type=int, default=100_000, help="rows of the normal workbook")
    args = parser.parse_args()
    from monitor.collectors.testing import inline_cell_bomb, large_workbook, shared_string_bomb

    with tempfile.TemporaryDirectory() as tmp:
        size = args.bomb_mb * 1024 * 1024
        files = [
            inline_cell_bomb(Path(tmp) / "inline_bomb.xlsx", size),
            shared_string_bomb(Path(tmp) / "shared_bomb.xlsx", size),
            # under the size where the ratio is checked: refused by the streamed scan
            inline_cell_bomb(Path(tmp) / "small_cell_bomb.xlsx", 7 * 1024 * 1024),
            large_workbook(Path(tmp) / "large.xlsx", args.rows),
        ]
        print(json.dumps([_measure(path) for path in files], indent=2))


if __name__ == "__main__":
    main()
